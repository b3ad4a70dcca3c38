/** The real nix-instantiate on the module's Nix files, offline; and where those files are. */
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../harness/cli.js";
import { findNixInstantiate, NIX_TEST_ENV } from "../harness/nix-oracle.js";

export const NIX = findNixInstantiate();
export const NO_NIX = "nix-instantiate not installed (apt-get install nix-bin)";

export const NIXOS_DIR = join(REPO_ROOT, "nixos");
export const TEST_DIR = join(REPO_ROOT, "test/nixos");

/** Every .nix file under `dir`, as absolute paths, sorted. */
export function nixFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".nix")) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

/** A failed evaluation: nix's first error line and the expression, for the assertion message. */
export class NixEvalError extends Error {
  override readonly name = "NixEvalError";
}

/** `nix-instantiate --eval --strict --json ARGS`, run in REPO_ROOT; the decoded value, or a NixEvalError with nix's message. */
export function nixEvalJson(nix: string, args: readonly string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(nix, ["--eval", "--strict", "--json", ...args], { cwd: REPO_ROOT, env: NIX_TEST_ENV, timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const message = stderr.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), "").trim();
        reject(new NixEvalError(`nix-instantiate --eval ${args.join(" ")} failed:\n${message || err.message}`, { cause: err }));
        return;
      }
      try {
        resolve(JSON.parse(stdout));
      } catch (parseErr) {
        reject(new NixEvalError(`nix-instantiate printed no JSON: ${stdout.slice(0, 200)}`, { cause: parseErr }));
      }
    });
  });
}

/** A path relative to the repository, for messages. */
export function rel(path: string): string {
  return relative(REPO_ROOT, path);
}
