/** Run the real `hostplane` binary as a user would, in a directory of our choosing. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = join(REPO_ROOT, "bin/hostplane.js");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function hostplane(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const scratchDirs: string[] = [];
// Scratch trees go when the test process ends, passed or failed.
process.on("exit", () => { for (const d of scratchDirs) rmSync(d, { recursive: true, force: true }); });

/** A scratch directory populated from a map of relative path → content; removed when the process exits. */
export function scratchTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "hostplane-e2e-"));
  scratchDirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    const abs = join(dir, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
  return dir;
}
