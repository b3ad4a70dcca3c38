/**
 * Size-limited disks for test hosts (a tmpfs with size= mounted on the host's
 * directory in the root namespace, so statvfs inside the host reports that
 * size and copies from the root namespace still land on it), and removing
 * every mount under a fleet's directory before it is deleted.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { run } from "../../process/run.js";

/** Sizes in MiB of the host disks to limit; an absent one is a directory on the machine's disk. */
export interface DiskLimits {
  nixMiB?: number;
  bootMiB?: number;
  stateMiB?: number;
}

export const LIMITED_DIRS = { nixMiB: "nix", bootMiB: "boot", stateMiB: "state" } as const;

/** Mount points at or under `dir` in our mount namespace, deepest first (mountinfo escapes space, tab, newline and backslash as octal). */
export function mountsUnder(dir: string): string[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(Boolean)
    .map((l) => unescape(l.split(" ")[4] ?? ""))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export async function mountTmpfs(path: string, sizeMiB: number, label: string): Promise<void> {
  if (!Number.isSafeInteger(sizeMiB) || sizeMiB < 1) throw new Error(`disk size for ${path} must be a whole number of MiB >= 1, got ${sizeMiB}`);
  const r = await run("/usr/bin/mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0755`, label, path], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new Error(`Cannot mount a ${sizeMiB} MiB disk on ${path}: mount exited ${r.exitCode ?? r.signal}: ${r.stderr.trim()}`);
}

/** Lazily unmounts everything under `dir`, deepest first; throws if something is still mounted afterwards. */
export async function unmountUnder(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) await run("/usr/bin/umount", ["-l", m], { timeoutMs: 30_000 });
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`still mounted under ${dir} after umount -l: ${left.join(", ")}`);
}

export function unmountUnderSync(dir: string): void {
  for (const m of mountsUnder(dir)) spawnSync("/usr/bin/umount", ["-l", m], { stdio: "ignore", timeout: 30_000 });
}
