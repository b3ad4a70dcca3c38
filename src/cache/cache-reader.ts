/**
 * Reading a binary cache the way Nix's BinaryCacheStore does: `nix-cache-info`
 * at the root (checked on open), `<hash part>.narinfo` beside it. `file://DIR`
 * reads the directory; `http(s)://…` goes through the HTTP adapter. Nothing is
 * ever written (Nix creates a missing file:// cache on open; we refuse it).
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fetchText, redactUrl, type FetchTextResult } from "../http/index.js";
import { isNix32 } from "./_nix32.js";
import { STORE_DIR } from "./_store-path.js";
import { CacheError } from "./cache-error.js";
import { parseCacheInfo, type CacheInfo } from "./cache-info.js";

export interface BinaryCache {
  /** The cache URL, credentials removed: safe to print. */
  readonly url: string;
  /** Logical store directory the cache serves (its nix-cache-info StoreDir). */
  readonly storeDir: string;
  readonly info: CacheInfo;
  /** Narinfo text for a 32-character hash part, or null when the cache has none. */
  readNarinfo(hashPart: string): Promise<string | null>;
  /** Where that narinfo lives, for messages (credentials removed). */
  narinfoUrl(hashPart: string): string;
}

export interface OpenCacheOptions {
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** The store directory the cache must serve (default /nix/store). */
  storeDir?: string;
}

type Getter = (file: string) => Promise<FetchTextResult>;

function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut < 0 ? url : url.slice(0, cut);
}

/** `file://` + path, as Nix reads it: no percent-decoding, relative paths from the working directory. */
function fileGetter(url: string, shown: string): { base: string; get: Getter } {
  const raw = withoutQuery(url.slice("file://".length));
  const dir = resolve(raw === "" ? "/" : raw);
  const get: Getter = async (file) => {
    try {
      return { status: 200, text: await readFile(`${dir}/${file}`, "utf8") };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return { status: 404 };
      throw new CacheError("read-failed", shown, `Cannot read ${shown}/${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  return { base: `file://${dir}`, get };
}

function httpGetter(url: string, timeoutMs: number): { base: string; get: Getter } {
  // Store parameters (`?priority=40`) and trailing slashes are not part of file URLs.
  let base = withoutQuery(url);
  while (base.endsWith("/")) base = base.slice(0, -1);
  return { base, get: (file) => fetchText(`${base}/${file}`, { timeoutMs }) };
}

/**
 * Opens a binary cache and checks its `nix-cache-info`. Throws CacheError for a
 * URL that is not a cache, HttpError when an HTTP cache cannot be reached.
 */
export async function openCache(url: string, options: OpenCacheOptions = {}): Promise<BinaryCache> {
  const shown = redactUrl(url);
  const storeDir = options.storeDir ?? STORE_DIR;
  let getter: { base: string; get: Getter };
  if (url.startsWith("file://")) getter = fileGetter(url, shown);
  else if (/^https?:\/\//i.test(url)) getter = httpGetter(url, options.timeoutMs ?? 30_000);
  else {
    throw new CacheError("unsupported-url", shown, `Cannot audit cache ${JSON.stringify(shown)}: use a file:///dir, http:// or https:// binary cache URL`);
  }
  const { get } = getter;
  const base = redactUrl(getter.base);

  const infoUrl = `${base}/nix-cache-info`;
  const answer = await get("nix-cache-info");
  if (answer.status === 404) {
    throw new CacheError("no-cache-info", base, `${base} is not a binary cache: ${infoUrl} does not exist (check the URL; 'nix copy --to ${base}' creates one)`);
  }
  const info = parseCacheInfo(answer.text, infoUrl);
  if (info.storeDir !== storeDir) {
    throw new CacheError("bad-cache-info", base, `${infoUrl}: the cache serves store ${info.storeDir}, not ${storeDir}; its paths cannot be substituted into this store`);
  }

  return {
    url: base,
    storeDir,
    info,
    narinfoUrl: (hashPart) => `${base}/${hashPart}.narinfo`,
    async readNarinfo(hashPart) {
      if (hashPart.length !== 32 || !isNix32(hashPart)) throw new TypeError(`not a store path hash part: ${JSON.stringify(hashPart)}`);
      const r = await get(`${hashPart}.narinfo`);
      return r.status === 200 ? r.text : null;
    },
  };
}

/**
 * The same cache, remembering every narinfo read (and concurrent reads of one
 * path share a request): a closure walk and the audit after it fetch each once.
 */
export function memoizeNarinfos(cache: BinaryCache): BinaryCache {
  const seen = new Map<string, Promise<string | null>>();
  return {
    url: cache.url,
    storeDir: cache.storeDir,
    info: cache.info,
    narinfoUrl: (hashPart) => cache.narinfoUrl(hashPart),
    readNarinfo(hashPart) {
      let p = seen.get(hashPart);
      if (p === undefined) {
        p = cache.readNarinfo(hashPart);
        seen.set(hashPart, p);
        p.catch(() => seen.delete(hashPart)); // a failed read may be retried
      }
      return p;
    },
  };
}
