/** Writing output files for the CLI. */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "./errors.js";

/**
 * Write a file whole or not at all (temp file beside it, then rename), so a
 * failed write never leaves half a report or half a policy behind.
 */
export function writeFileAtomic(path: string, content: string, mode = 0o644): void {
  const tmp = join(dirname(path), `.${Date.now()}-${process.pid}.tmp`);
  try {
    writeFileSync(tmp, content, { mode });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new UsageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}
