/**
 * The closure signature audit: every path must be in the cache and carry a
 * valid signature by a trusted, non-revoked key (or be content-addressed), so
 * a host trusting exactly those keys could substitute the whole closure.
 * Narinfos are fetched through a bounded pool; the verdict per path is the
 * pure judgeNarinfo.
 */
import { STORE_DIR, storePathProblem } from "./_store-path.js";
import { drainQueue } from "./_pool.js";
import { auditKeys, judgeNarinfo, type AuditProblem, type RevokedKey } from "./audit-verdict.js";
import type { BinaryCache } from "./cache-reader.js";

export interface AuditOptions {
  /** Full store paths: the whole closure (see closurePaths). Duplicates are audited once. */
  paths: readonly string[];
  cache: Pick<BinaryCache, "url" | "readNarinfo" | "narinfoUrl"> & { storeDir?: string };
  /** Public keys `<name>:<base64>` a path may be signed by. */
  trusted: readonly string[];
  /** Keys whose signatures no longer count (e.g. trust-policy `revokedKeys`). */
  revoked: readonly RevokedKey[];
  /** Narinfo requests in flight (default 32). */
  concurrency?: number;
  /** Called after every `progressEvery` paths (default 250) and after the last. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

export interface AuditReport {
  cache: string;
  total: number;
  ok: number;
  /** Sorted by path. */
  problems: AuditProblem[];
}

export async function auditClosure(options: AuditOptions): Promise<AuditReport> {
  const { cache, onProgress } = options;
  const storeDir = cache.storeDir ?? STORE_DIR;
  const keys = auditKeys(options.trusted, options.revoked);
  const paths = [...new Set(options.paths)];
  const bad = paths.map((p) => storePathProblem(p, storeDir)).filter((p) => p !== null);
  if (bad.length > 0) throw new TypeError(`Cannot audit: ${bad.length} input path(s) are not store paths, e.g. ${bad[0]}`);

  const every = Math.max(1, options.progressEvery ?? 250);
  const problems: AuditProblem[] = [];
  let done = 0;
  await drainQueue(paths, options.concurrency ?? 32, async (path) => {
    const hashPart = path.slice(storeDir.length + 1, storeDir.length + 33);
    const text = await cache.readNarinfo(hashPart);
    const problem = judgeNarinfo({ path, text, source: cache.narinfoUrl(hashPart) }, keys, { storeDir });
    if (problem !== null) problems.push(problem);
    done++;
    if (onProgress !== undefined && (done % every === 0 || done === paths.length)) onProgress(done, paths.length);
  });
  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { cache: cache.url, total: paths.length, ok: paths.length - problems.length, problems };
}
