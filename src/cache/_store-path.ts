/**
 * Store paths as Nix checks and computes them (libstore `StorePath`,
 * `Store::makeStorePath`). Base names are `<32 nix32 chars>-<name>`.
 */
import { createHash } from "node:crypto";
import { isNix32, nix32Encode } from "./_nix32.js";

export const STORE_DIR = "/nix/store";

const HASH_LEN = 32;
const NAME_CHARS = /^[0-9a-zA-Z+\-._?=]+$/;

/** Why `base` is not a valid store path base name, or null when it is. */
export function baseNameProblem(base: string): string | null {
  if (base.length < HASH_LEN + 2 || base[HASH_LEN] !== "-") return `'${base}' is not <32-char hash>-<name>`;
  if (!isNix32(base.slice(0, HASH_LEN))) return `'${base}' has a hash part that is not nix32`;
  const name = base.slice(HASH_LEN + 1);
  if (name.length > 211) return `'${base}' has a name longer than 211 characters`;
  if (!NAME_CHARS.test(name)) return `'${base}' has a character not allowed in store path names`;
  return null;
}

/** Why `path` is not a store path in `storeDir`, or null when it is. */
export function storePathProblem(path: string, storeDir: string): string | null {
  if (!path.startsWith(`${storeDir}/`)) return `'${path}' is not in the store ${storeDir}`;
  return baseNameProblem(path.slice(storeDir.length + 1));
}

/** The name part of a base name or full store path (after the hash and dash). */
export function storePathName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.slice(HASH_LEN + 1);
}

/** `Store::makeStorePath`: `hashHex` is `<algo>:<base16>`. */
export function makeStorePath(type: string, hashHex: string, name: string, storeDir: string): string {
  const digest = createHash("sha256").update(`${type}:${hashHex}:${storeDir}:${name}`).digest();
  // compressHash: fold the 32-byte digest into 20 bytes by XOR.
  const folded = Buffer.alloc(20);
  for (let i = 0; i < digest.length; i++) folded[i % 20]! ^= digest[i]!;
  return `${storeDir}/${nix32Encode(folded)}-${name}`;
}
