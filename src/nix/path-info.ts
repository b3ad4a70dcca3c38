/**
 * `nix path-info --json`, every shape Nix has printed, parsed into one type (pure).
 * - ≤ 2.18 (Debian's 2.8): an array of objects, full store paths, `{path, valid:false}` for missing paths.
 * - 2.19+: an object keyed by store path, `null` for missing paths.
 * - Store Object Info v2/v3 (2.33+): objects carry `version` and `storeDir`, paths are base names,
 *   `ca` is `{method, hash}`, and in v3 signatures are `{keyName, sig}`.
 */
import { toNarinfoHash, toSriHash } from "./hash.js";

export const DEFAULT_STORE_DIR = "/nix/store";

export interface ValidPathInfo {
  valid: true;
  path: string;
  /** narinfo / fingerprint form: `sha256:<nix32>`. */
  narHash: string;
  /** SRI form: `sha256-<base64>`. */
  narHashSri: string;
  narSize: number;
  /** Full store paths, sorted. */
  references: string[];
  deriver?: string;
  signatures: string[];
  /** Content address in Nix's string form, e.g. `fixed:r:sha256:<nix32>`. */
  ca?: string;
  ultimate?: boolean;
  registrationTime?: number;
  closureSize?: number;
  /** Binary caches only. */
  url?: string;
  downloadHash?: string;
  downloadSize?: number;
}

export interface InvalidPathInfo {
  valid: false;
  path: string;
}

export type PathInfo = ValidPathInfo | InvalidPathInfo;

export class PathInfoFormatError extends Error {
  override readonly name = "PathInfoFormatError";
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fullPath(p: string, storeDir: string): string {
  return p.startsWith("/") ? p : `${storeDir}/${p}`;
}

/** A hash as a string, or the structured `{algorithm, hash}` / `{algorithm, format, hash}` form. */
function hashText(v: unknown, where: string): string {
  if (typeof v === "string") return v;
  if (isObject(v) && typeof v.hash === "string") {
    const algo = typeof v.algorithm === "string" ? v.algorithm : typeof v.algo === "string" ? v.algo : undefined;
    if (v.hash.includes(":") || v.hash.includes("-") || algo === undefined) return v.hash;
    return `${algo}:${v.hash}`;
  }
  throw new PathInfoFormatError(`${where}: expected a hash, got ${JSON.stringify(v)}`);
}

/** v2's `{method, hash}` back to the string form Nix writes in narinfo `CA:` lines. */
function caText(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (isObject(v) && typeof v.method === "string") {
    const h = toNarinfoHash(hashText(v.hash, where));
    switch (v.method) {
      case "text": return `text:${h}`;
      case "nar": return `fixed:r:${h}`;
      case "flat": return `fixed:${h}`;
      case "git": return `fixed:git:${h}`;
      default: throw new PathInfoFormatError(`${where}: unknown content-address method '${v.method}'`);
    }
  }
  throw new PathInfoFormatError(`${where}: unreadable ca ${JSON.stringify(v)}`);
}

function signatureText(v: unknown, where: string): string {
  if (typeof v === "string") return v;
  if (isObject(v) && typeof v.keyName === "string" && typeof v.sig === "string") return `${v.keyName}:${v.sig}`;
  throw new PathInfoFormatError(`${where}: unreadable signature ${JSON.stringify(v)}`);
}

function optionalNumber(o: Json, key: string): number | undefined {
  return typeof o[key] === "number" ? o[key] : undefined;
}

function parseEntry(o: Json, keyPath: string | undefined, storeDir: string): PathInfo {
  const dir = typeof o.storeDir === "string" ? o.storeDir : storeDir;
  const rawPath = typeof o.path === "string" ? o.path : keyPath;
  if (rawPath === undefined) throw new PathInfoFormatError(`path-info entry without a path: ${JSON.stringify(o).slice(0, 200)}`);
  const path = fullPath(rawPath, dir);
  if (o.valid === false) return { valid: false, path };
  const where = `path-info of ${path}`;
  if (typeof o.narSize !== "number") throw new PathInfoFormatError(`${where}: narSize missing`);
  const narHash = hashText(o.narHash, where);
  const refs = Array.isArray(o.references) ? o.references : [];
  const info: ValidPathInfo = {
    valid: true,
    path,
    narHash: toNarinfoHash(narHash),
    narHashSri: toSriHash(narHash),
    narSize: o.narSize,
    references: refs.map((r) => {
      if (typeof r !== "string") throw new PathInfoFormatError(`${where}: reference ${JSON.stringify(r)} is not a string`);
      return fullPath(r, dir);
    }).sort(),
    signatures: Array.isArray(o.signatures) ? o.signatures.map((s) => signatureText(s, where)) : [],
  };
  if (typeof o.deriver === "string") info.deriver = fullPath(o.deriver, dir);
  const ca = caText(o.ca, where);
  if (ca !== undefined) info.ca = ca;
  if (o.ultimate === true) info.ultimate = true;
  const registrationTime = optionalNumber(o, "registrationTime");
  if (registrationTime !== undefined) info.registrationTime = registrationTime;
  const closureSize = optionalNumber(o, "closureSize");
  if (closureSize !== undefined) info.closureSize = closureSize;
  if (typeof o.url === "string") info.url = o.url;
  if (o.downloadHash !== undefined && o.downloadHash !== null) info.downloadHash = toNarinfoHash(hashText(o.downloadHash, where));
  const downloadSize = optionalNumber(o, "downloadSize");
  if (downloadSize !== undefined) info.downloadSize = downloadSize;
  return info;
}

/** Parses `nix path-info --json` output of any Nix version; results sorted by path. */
export function parsePathInfoJson(text: string, options: { storeDir?: string } = {}): PathInfo[] {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new PathInfoFormatError(`nix path-info printed invalid JSON: ${text.slice(0, 200)}`, { cause });
  }
  const out: PathInfo[] = [];
  if (Array.isArray(data)) {
    for (const e of data) {
      if (!isObject(e)) throw new PathInfoFormatError(`path-info array holds a non-object: ${JSON.stringify(e)}`);
      out.push(parseEntry(e, undefined, storeDir));
    }
  } else if (isObject(data)) {
    for (const [key, e] of Object.entries(data)) {
      if (e === null) out.push({ valid: false, path: fullPath(key, storeDir) });
      else if (isObject(e)) out.push(parseEntry(e, key, storeDir));
      else throw new PathInfoFormatError(`path-info entry for ${key} is ${JSON.stringify(e)}`);
    }
  } else {
    throw new PathInfoFormatError(`nix path-info printed neither an array nor an object: ${text.slice(0, 200)}`);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
