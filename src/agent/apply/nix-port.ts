/**
 * What applying an operation asks of Nix, over the Nix adapter (src/nix, the
 * only code that runs nix): the closure as the cache describes it, which
 * paths the store already holds, dead paths' size and garbage collection,
 * the signed fetch, a GC root for the fetched system until the operation
 * ends, and the system profile.
 */
import { rm } from "node:fs/promises";
import type { Nix } from "../../nix/index.js";
import type { CachePath } from "./preflight.js";

export const SYSTEM_PROFILE = "/nix/var/nix/profiles/system";

export interface NixPort {
  /** Every path of `path`'s closure from the cache's narinfos (with signatures); throws when the cache lacks one. */
  cacheClosure(cacheUrl: string, path: string): Promise<CachePath[]>;
  /** Which of `paths` are valid in the local store. */
  present(paths: readonly string[]): Promise<Set<string>>;
  /** Bytes (NAR size) of the paths garbage collection would delete now. */
  deadBytes(): Promise<number>;
  collectGarbage(maxFreedBytes: number): Promise<{ freedBytes: number; deletedCount: number }>;
  /** `nix copy --from CACHE`, trusting only `publicKeys`, signatures required. */
  fetch(cacheUrl: string, path: string, publicKeys: readonly string[]): Promise<{ copied: number }>;
  addRoot(path: string, link: string): Promise<void>;
  removeRoot(link: string): Promise<void>;
  /** Sets the system profile to `path` unless its current generation already is it. */
  setSystemProfile(path: string): Promise<{ generation: number; created: boolean }>;
}

export function nixPort(nix: Nix, options: { profile?: string; fetchTimeoutMs?: number } = {}): NixPort {
  const profile = options.profile ?? SYSTEM_PROFILE;
  return {
    async cacheClosure(cacheUrl, path) {
      const infos = await nix.pathInfo([path], { store: cacheUrl, recursive: true, sigs: true });
      const missing = infos.filter((i) => !i.valid).map((i) => i.path);
      if (missing.length > 0 || infos.length === 0) throw new Error(`the cache ${cacheUrl} does not hold ${missing.join(", ") || path}`);
      return infos.flatMap((i) => (i.valid ? [{ path: i.path, narHash: i.narHash, narSize: i.narSize, references: i.references, signatures: i.signatures, ...(i.ca === undefined ? {} : { ca: i.ca }) }] : []));
    },
    async present(paths) {
      return new Set((await nix.pathInfo(paths)).filter((i) => i.valid).map((i) => i.path));
    },
    async deadBytes() {
      const dead = (await nix.deadPaths()).filter((p) => !p.endsWith(".lock"));
      const infos = await nix.pathInfo(dead);
      return infos.reduce((n, i) => n + (i.valid ? i.narSize : 0), 0);
    },
    async collectGarbage(maxFreedBytes) {
      const r = await nix.collectGarbage({ maxFreedBytes: Math.max(1, Math.ceil(maxFreedBytes)) });
      return { freedBytes: r.freedBytes, deletedCount: r.deletedCount };
    },
    async fetch(cacheUrl, path, publicKeys) {
      const r = await nix.copy({ from: cacheUrl, paths: [path], trustedPublicKeys: publicKeys, timeoutMs: options.fetchTimeoutMs ?? 60 * 60_000 });
      return { copied: r.copied.length };
    },
    addRoot: (path, link) => nix.addRoot(path, link),
    removeRoot: (link) => rm(link, { force: true }),
    async setSystemProfile(path) {
      const gens = await nix.listGenerations(profile).catch(() => []);
      const current = gens.find((g) => g.current);
      if (current !== undefined && current.storePath === path) return { generation: current.number, created: false };
      return { ...(await nix.setProfile(profile, path)), created: true };
    },
  };
}
