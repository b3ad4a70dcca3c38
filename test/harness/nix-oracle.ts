/**
 * The reference parser: Debian's `nix-instantiate --parse`, used by the
 * differential tests. Offline settings keep every call local and fast.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";

export const NIX_TEST_ENV = {
  ...process.env,
  NIX_CONFIG: ["substituters =", "build-users-group =", "experimental-features = nix-command"].join("\n"),
};

const CANDIDATES = ["/usr/bin/nix-instantiate", "/run/current-system/sw/bin/nix-instantiate"];

/** Path of nix-instantiate, or null when Nix is not installed here. */
export function findNixInstantiate(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export interface OracleVerdict {
  accepted: boolean;
  message: string;
}

export function nixParse(bin: string, file: string): Promise<OracleVerdict> {
  return new Promise((resolve, reject) => {
    execFile(bin, ["--parse", file], { env: NIX_TEST_ENV, timeout: 30_000, maxBuffer: 64 << 20 }, (err, _stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === "ENOENT") return reject(new Error(`cannot run ${bin}`, { cause: err }));
      if (err && err.killed) return reject(new Error(`nix-instantiate --parse ${file} timed out`, { cause: err }));
      const message = stderr.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), "").trim().split("\n")[0] ?? "";
      resolve({ accepted: !err, message });
    });
  });
}

/** Run `fn` over items with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
