/**
 * Garbage-collector output (pure parsers) for `nix-store --gc --print-roots`
 * and `nix-store --gc [--max-freed N]`.
 */

export interface GcRoot {
  /** The root: a symlink (profile generation, result link, gcroots entry) or a runtime root such as `/proc/<pid>/…`. */
  link: string;
  path: string;
}

export interface GcResult {
  /** Store paths deleted, from the `deleting '…'` lines (sorted; includes `.drv` and `.lock` files). */
  deleted: string[];
  deletedCount: number;
  /** Bytes freed as Nix reports them: MiB to two decimals, so accurate to ~5 KiB. */
  freedBytes: number;
}

export function parseGcRoots(stdout: string): GcRoot[] {
  const out: GcRoot[] = [];
  for (const line of stdout.split("\n")) {
    const i = line.lastIndexOf(" -> ");
    if (i < 0) continue;
    out.push({ link: line.slice(0, i), path: line.slice(i + 4).trim() });
  }
  return out.sort((a, b) => (a.link < b.link ? -1 : a.link > b.link ? 1 : 0));
}

export function parseStorePathLines(stdout: string): string[] {
  return stdout.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("/")).sort();
}

const FREED_RE = /^(\d+) store paths deleted, (\d+(?:\.\d+)?) MiB freed$/m;

export function parseGcResult(stdout: string, stderr: string): GcResult {
  const deleted = [...stderr.matchAll(/^deleting '(\/[^']+)'$/gm)].map((m) => m[1]!)
    // The trash directory is Nix's own scratch space, not a store path.
    .filter((p) => !p.endsWith("/trash"))
    .sort();
  const m = FREED_RE.exec(stdout);
  return {
    deleted,
    deletedCount: m ? Number(m[1]) : deleted.length,
    freedBytes: m ? Math.round(Number(m[2]) * 1024 * 1024) : 0,
  };
}
