/**
 * `nix-cache-info`, the file at a binary cache's root: `StoreDir`, and
 * optionally `WantMassQuery` and `Priority`. Nix skips lines it cannot read;
 * we refuse them, because an HTML error page or a wrong URL looks exactly like
 * that, and an audit against the wrong thing must not pass quietly.
 */
import { CacheError } from "./cache-error.js";

export interface CacheInfo {
  storeDir: string;
  wantMassQuery?: boolean;
  priority?: number;
}

/** Parse nix-cache-info text fetched from `source` (a URL, credentials removed). */
export function parseCacheInfo(text: string, source: string): CacheInfo {
  const bad = (line: number, reason: string): never => {
    throw new CacheError("bad-cache-info", source, `${source}:${line}: ${reason}; is this URL a Nix binary cache?`);
  };
  const info: Partial<CacheInfo> = {};
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const colon = line.indexOf(":");
    const key = colon < 0 ? "" : line.slice(0, colon);
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(key)) bad(i + 1, `expected 'Key: value', got ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    if (key === "StoreDir") {
      if (!value.startsWith("/")) bad(i + 1, `StoreDir ${JSON.stringify(value)} is not an absolute path`);
      info.storeDir = value;
    } else if (key === "WantMassQuery") {
      info.wantMassQuery = value === "1";
    } else if (key === "Priority") {
      if (!/^[0-9]{1,9}$/.test(value)) bad(i + 1, `Priority ${JSON.stringify(value)} is not a number`);
      info.priority = Number(value);
    }
  });
  return { ...info, storeDir: info.storeDir ?? bad(1, "no StoreDir line") };
}
