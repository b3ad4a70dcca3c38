/** Run the real `hostplane` binary as a user would, in a directory of our choosing. */
import { spawn, spawnSync } from "node:child_process";
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

/**
 * The binary without blocking this process (which may be serving it, in-process): resolves when it exits and its
 * output is read; killed (SIGKILL) after `timeoutMs`.
 */
export function hostplaneAsync(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      ...(o.cwd === undefined ? {} : { cwd: o.cwd }), env: { ...process.env, NO_COLOR: "1", ...o.env },
      stdio: ["ignore", "pipe", "pipe"], timeout: o.timeoutMs ?? 120_000, killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString("utf8"); });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString("utf8"); });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
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
