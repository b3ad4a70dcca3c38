/**
 * The paths to audit for some roots: their closure. From a local store when
 * the roots are valid there (Nix knows the references), otherwise by walking
 * the references recorded in the cache's own narinfos, breadth-first — which
 * is how an audit works on a machine with no store at all.
 */
import type { Nix } from "../nix/index.js";
import { drainQueue } from "./_pool.js";
import { STORE_DIR } from "./_store-path.js";
import type { BinaryCache } from "./cache-reader.js";
import { NarinfoError, parseNarinfo, referencePaths } from "./narinfo.js";

export interface ClosurePathsOptions {
  /** Where narinfos come from; wrap it with memoizeNarinfos to reuse them in the audit. */
  cache: Pick<BinaryCache, "readNarinfo"> & { storeDir?: string };
  /** A Nix adapter for the store that may hold the roots (optional). */
  nix?: Pick<Nix, "pathInfo">;
  /** Narinfo requests in flight during the walk (default 32). */
  concurrency?: number;
}

export interface ClosurePaths {
  /** Every path, sorted: roots, and what they reference, transitively. */
  paths: string[];
  /** Roots expanded by the store, and roots expanded through the cache. */
  fromStore: string[];
  fromCache: string[];
}

/**
 * Walks references through the cache. A path whose narinfo is missing or
 * unreadable stays in the result (the audit reports it); its references are
 * unknown, so they are reached only through other paths.
 */
async function walkCache(roots: readonly string[], options: ClosurePathsOptions): Promise<string[]> {
  const storeDir = options.cache.storeDir ?? STORE_DIR;
  const seen = new Set(roots);
  await drainQueue(seen, options.concurrency ?? 32, async (path, enqueue) => {
    const text = await options.cache.readNarinfo(path.slice(storeDir.length + 1, storeDir.length + 33));
    if (text === null) return;
    let refs: string[];
    try {
      const narinfo = parseNarinfo(text, path, { storeDir });
      if (narinfo.storePath !== path) return;
      refs = referencePaths(narinfo, storeDir);
    } catch (err) {
      if (err instanceof NarinfoError) return;
      throw err;
    }
    for (const ref of refs) {
      if (!seen.has(ref)) {
        seen.add(ref);
        enqueue(ref);
      }
    }
  });
  return [...seen];
}

export async function closurePaths(roots: readonly string[], options: ClosurePathsOptions): Promise<ClosurePaths> {
  const unique = [...new Set(roots)];
  let fromStore: string[] = [];
  const all = new Set<string>();
  if (options.nix !== undefined && unique.length > 0) {
    // Non-recursive first: `path-info --recursive` fails outright on one missing path.
    const infos = await options.nix.pathInfo(unique);
    fromStore = infos.filter((i) => i.valid).map((i) => i.path);
    if (fromStore.length > 0) for (const info of await options.nix.pathInfo(fromStore, { recursive: true })) all.add(info.path);
  }
  const inStore = new Set(fromStore);
  const fromCache = unique.filter((p) => !inStore.has(p));
  if (fromCache.length > 0) for (const p of await walkCache(fromCache, options)) all.add(p);
  return { paths: [...all].sort(), fromStore: fromStore.sort(), fromCache: fromCache.sort() };
}
