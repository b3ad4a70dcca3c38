/**
 * The canonical storage paths: who owns them and with what mode, and how full
 * their filesystem is. A path that does not exist yet is measured at its
 * nearest existing ancestor, since that is where it would be created.
 */
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type { FsUsage, StoragePathFacts } from "../facts.js";
import { statOf } from "./_fs.js";
import { codeOf, probe, ProbeError } from "./_probe.js";

export function gatherStorage(paths: readonly { role: string; path: string }[]): Promise<StoragePathFacts[]> {
  return Promise.all(paths.map(async ({ role, path }) => {
    const [stat, usage] = await Promise.all([probe(`stat ${path}`, () => statOf(path)), probe(`statfs ${path}`, () => _usage(path))]);
    return { role, path, stat, usage };
  }));
}

async function _usage(path: string): Promise<FsUsage & { measuredAt: string }> {
  let at = path;
  for (;;) {
    try {
      // bigint: block counts times block size overflow 2^53 only past 8 PiB, but the product is taken exactly first.
      const s = await statfs(at, { bigint: true });
      return {
        fsType: Number(s.type),
        totalBytes: Number(s.blocks * s.bsize),
        availableBytes: Number(s.bavail * s.bsize),
        totalInodes: Number(s.files),
        freeInodes: Number(s.ffree),
        measuredAt: at,
      };
    } catch (err) {
      const code = codeOf(err);
      const parent = dirname(at);
      if ((code !== "ENOENT" && code !== "ENOTDIR") || parent === at) throw new ProbeError(`cannot statfs ${at}: ${code}`, { cause: err });
      at = parent;
    }
  }
}
