/** Writing output files for the CLI. */
import { lstatSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "./errors.js";

/**
 * Where to write `path`: a symbolic link is followed to its target (the link
 * stays); anything but a regular file or nothing is refused — the atomic
 * rename would swap a device node, a FIFO or a directory for a plain file (as
 * root, `--facts-out /dev/full` would otherwise destroy the device).
 */
export function assertRegularFileTarget(path: string): string {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return path; // nothing there (or unreachable: the write itself will say why)
  }
  if (st.isSymbolicLink()) {
    let target: string;
    try {
      target = realpathSync(path);
    } catch {
      throw new UsageError(`refusing to write ${path}: it is a symbolic link to nothing; give the path of a regular file`);
    }
    return target === path ? path : assertRegularFileTarget(target);
  }
  if (!st.isFile()) {
    const kind = st.isDirectory() ? "a directory" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : "not a regular file";
    throw new UsageError(`refusing to write ${path}: it is ${kind}; give the path of a regular file`);
  }
  return path;
}

/**
 * Write a file whole or not at all (temp file beside it, then rename), so a
 * failed write never leaves half a report or half a policy behind.
 */
export function writeFileAtomic(given: string, content: string, mode = 0o644): void {
  const path = assertRegularFileTarget(given);
  const tmp = join(dirname(path), `.${Date.now()}-${process.pid}.tmp`);
  try {
    writeFileSync(tmp, content, { mode });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new UsageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}
