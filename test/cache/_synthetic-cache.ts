/**
 * Binary caches made by code for the audit tests: narinfos written with
 * writeNarinfo (real fingerprints and Ed25519 signatures) into a directory
 * that is served as file:// or over HTTP.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { narinfoFileName, writeNarinfo, type Narinfo } from "../../src/cache/index.js";

export const CACHE_INFO = "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n";

/** Writes `nix-cache-info` and one `<hash>.narinfo` per entry (text entries are written as is). */
export function writeCache(dir: string, entries: ReadonlyArray<Narinfo | { storePath: string; text: string }>): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "nix-cache-info"), CACHE_INFO);
  for (const e of entries) writeFileSync(join(dir, narinfoFileName(e.storePath)), "text" in e ? e.text : writeNarinfo(e));
  return dir;
}
