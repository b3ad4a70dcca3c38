/**
 * Reading /proc, /sys and friends so that every failure names the path and
 * the errno. Files are opened non-blocking and must be regular files, so a
 * FIFO or device where a file belongs is a reason, not a hang.
 */
import { constants, type Stats } from "node:fs";
import { lstat, open } from "node:fs/promises";
import type { FileStat } from "../facts.js";
import { codeOf, ProbeError, unexpectedContent } from "./_probe.js";

/** The whole text of a regular file, or a ProbeError `cannot read PATH: CODE`. */
export async function readText(path: string): Promise<string> {
  return (await readBytes(path)).toString("utf8");
}

/** The bytes of a regular file (for compressed ones such as /proc/config.gz). */
export async function readBytes(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new ProbeError(`cannot read ${path}: ${codeOf(err)}`, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new ProbeError(`cannot read ${path}: EISDIR (a directory where a file was expected)`);
    if (!st.isFile()) throw new ProbeError(`cannot read ${path}: not a regular file (${_fileType(st)})`);
    return await handle.readFile();
  } catch (err) {
    if (err instanceof ProbeError) throw err;
    throw new ProbeError(`cannot read ${path}: ${codeOf(err)}`, { cause: err });
  } finally {
    await handle.close();
  }
}

/** Like readText, but a missing file is `null` (for files whose absence is itself the fact). */
export async function readOptionalText(path: string): Promise<string | null> {
  try {
    return await readText(path);
  } catch (err) {
    if (err instanceof ProbeError && err.cause !== undefined && codeOf(err.cause) === "ENOENT") return null;
    throw err;
  }
}

/** A 0/1 switch such as /proc/sys/net/ipv4/ip_forward. */
export async function readFlag(path: string): Promise<boolean> {
  return parseFlag(path, await readText(path));
}

export function parseFlag(path: string, content: string): boolean {
  const text = content.trim();
  if (text === "0") return false;
  if (text === "1") return true;
  throw unexpectedContent(path, text, "0 or 1");
}

export async function readInt(path: string): Promise<number> {
  const text = (await readText(path)).trim();
  if (!/^-?\d+$/.test(text)) throw unexpectedContent(path, text, "an integer");
  return Number(text);
}

/** lstat as a FileStat; a path that does not exist is `{ exists: false }`, other errors are reasons. */
export async function statOf(path: string): Promise<FileStat> {
  let st: Stats;
  try {
    st = await lstat(path);
  } catch (err) {
    const code = codeOf(err);
    if (code === "ENOENT" || code === "ENOTDIR") return { exists: false };
    throw new ProbeError(`cannot stat ${path}: ${code}`, { cause: err });
  }
  return { exists: true, type: _fileType(st), uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
}

function _fileType(st: Stats): string {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  if (st.isSocket()) return "socket";
  if (st.isFIFO()) return "fifo";
  return "unknown";
}
