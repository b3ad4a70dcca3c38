/**
 * A real signed `file://` binary cache for test hosts: paths signed in the
 * store they were built in (`nix store sign`), then copied with their closures
 * by `nix copy --to file://…`. Hosts see the cache directory (only /nix, /run,
 * /boot and /var/lib/hostplane are private to them), so inside a host
 * `nix copy --from URL --option trusted-public-keys KEY PATH` fetches it with a
 * real signature check.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { GeneratedKey } from "../../nix/index.js";
import { storeNix } from "./system.js";

export interface BinaryCache {
  /** `file:///…/cache` */
  url: string;
  dir: string;
  /** The key the paths were signed with: `name:base64`, as trusted-public-keys lists it, and its files. */
  key: GeneratedKey;
  publicKey: string;
}

export interface BinaryCacheOptions {
  /** A working directory: the cache goes to DIR/cache, a generated key to DIR/KEYNAME.{sec,pub}. */
  dir: string;
  /** Generate a new key with this name (e.g. "fleet-1") … */
  keyName?: string;
  /** … or sign with an existing one (from an earlier makeBinaryCache or Nix.generateKey). */
  key?: GeneratedKey;
}

/** Signs `paths` (recursively) in `storeDir`, a chroot store such as `fleet.buildStore`, and copies them to a new cache. */
export async function makeBinaryCache(storeDir: string, paths: readonly string[], options: BinaryCacheOptions): Promise<BinaryCache> {
  if ((options.keyName === undefined) === (options.key === undefined)) throw new Error("makeBinaryCache needs exactly one of keyName (a new key) or key (an existing one)");
  const nix = storeNix(storeDir);
  await mkdir(options.dir, { recursive: true });
  const key = options.key ?? await nix.generateKey(options.keyName!, join(options.dir, `${options.keyName!}.sec`), join(options.dir, `${options.keyName!}.pub`));
  await nix.sign(paths, key.secretPath, { recursive: true });
  const cacheDir = join(options.dir, "cache");
  const url = `file://${cacheDir}`;
  // The chroot store is local, so copying from it to a cache needs no signature check of its own.
  await nix.copy({ from: storeDir, to: url, paths });
  return { url, dir: cacheDir, key, publicKey: key.publicKey };
}
