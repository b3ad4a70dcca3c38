/**
 * Lists what scan-closure reads in one store path: regular files with their
 * sizes, and symlinks with their target strings. Symlinks are never followed
 * (a target inside the store path is reached by the walk itself, and one
 * outside it is not part of this path), and nothing but regular files is
 * ever opened, so a FIFO cannot block the scan. Private to src/cache.
 */
import { lstatSync, readdirSync, readlinkSync, type Dirent, type Stats } from "node:fs";
import { join } from "node:path";

export interface WalkedFile {
  storePath: string;
  /** Relative path inside the store path; "" when the store path itself is the file. */
  rel: string;
  abs: string;
  size: number;
}

export interface WalkedLink {
  storePath: string;
  rel: string;
  /** The target as stored, decoded as latin1 (byte offsets). */
  target: string;
}

export interface WalkOutput {
  files: WalkedFile[];
  links: WalkedLink[];
  skipped: { path: string; reason: string }[];
}

const relJoin = (rel: string, name: string): string => (rel === "" ? name : `${rel}/${name}`);
const shown = (storePath: string, rel: string): string => (rel === "" ? storePath : `${storePath}/${rel}`);

function kindOf(entry: Dirent | Stats): string {
  if (entry.isFIFO()) return "a FIFO";
  if (entry.isSocket()) return "a socket";
  if (entry.isBlockDevice() || entry.isCharacterDevice()) return "a device";
  return "of an unknown type";
}

/** Appends the entries of `storePath` (found on disk at `real`) to `out`. */
export function walkStorePath(storePath: string, real: string, out: WalkOutput): void {
  let top: Stats;
  try {
    top = lstatSync(real);
  } catch (err) {
    out.skipped.push({ path: storePath, reason: `cannot read the store path at ${real}: ${(err as Error).message}` });
    return;
  }
  const stack: string[] = [];
  const visit = (rel: string, abs: string, entry: Dirent | Stats, size: () => number): void => {
    try {
      if (entry.isSymbolicLink()) out.links.push({ storePath, rel, target: readlinkSync(abs, { encoding: "buffer" }).toString("latin1") });
      else if (entry.isFile()) out.files.push({ storePath, rel, abs, size: size() });
      else if (entry.isDirectory()) stack.push(rel);
      else out.skipped.push({ path: shown(storePath, rel), reason: `not a regular file, directory or symlink: it is ${kindOf(entry)}` });
    } catch (err) {
      out.skipped.push({ path: shown(storePath, rel), reason: `cannot read: ${(err as Error).message}` });
    }
  };
  visit("", real, top, () => top.size);
  while (stack.length > 0) {
    const rel = stack.pop()!;
    const dir = rel === "" ? real : join(real, rel);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      out.skipped.push({ path: shown(storePath, rel), reason: `cannot list the directory: ${(err as Error).message}` });
      continue;
    }
    for (const e of entries) {
      const childRel = relJoin(rel, e.name);
      const abs = join(dir, e.name);
      visit(childRel, abs, e, () => lstatSync(abs).size);
    }
  }
}
