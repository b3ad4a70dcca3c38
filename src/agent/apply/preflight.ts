/**
 * The preflight's decisions (pure): which closure paths lack a signature by
 * one of the operation's keys, how many bytes are to be fetched, and whether
 * /nix and /boot have room with the margins of the apply protocol — or would
 * after collecting garbage.
 */
import { parsePublicKey, type PublicKey } from "../../cache/keys.js";
import { verifyNarinfo } from "../../cache/signature.js";

export const MiB = 1024 * 1024;

/** 10% of what is to be written, at least 512 MiB on /nix and 64 MiB on /boot. */
export const MARGINS = { share: 0.1, nixMinBytes: 512 * MiB, bootMinBytes: 64 * MiB } as const;

/** A closure path as the cache's narinfo describes it. */
export interface CachePath {
  path: string;
  narHash: string;
  narSize: number;
  references: readonly string[];
  signatures: readonly string[];
  ca?: string;
}

/** Parses `name:base64` keys; a bad one is named in the error. */
export function parseKeys(keys: readonly string[]): PublicKey[] {
  if (keys.length === 0) throw new Error("the operation names no cache.publicKeys: nothing could be trusted");
  return keys.map((k, i) => parsePublicKey(k, `cache.publicKeys[${i}]`));
}

/** Paths of `closure` without a signature that verifies against `keys` (content-addressed paths pass, as in Nix). */
export function unsignedPaths(closure: readonly CachePath[], keys: readonly PublicKey[]): string[] {
  return closure.filter((p) => {
    try {
      return !verifyNarinfo({ storePath: p.path, narHash: p.narHash, narSize: p.narSize, references: [...p.references], sigs: [...p.signatures], ...(p.ca === undefined ? {} : { ca: p.ca }) }, keys).accepted;
    } catch {
      return true;
    }
  }).map((p) => p.path).sort();
}

/** Needed free bytes to write `bytes`: nothing when nothing is written, else the bytes plus the margin. */
export function neededBytes(bytes: number, minMargin: number): number {
  return bytes <= 0 ? 0 : bytes + Math.max(Math.ceil(bytes * MARGINS.share), minMargin);
}

export interface SpaceInput {
  /** Bytes (unpacked) of closure paths not yet in the store. */
  bytesToFetch: number;
  /** Bytes of kernel and initrd not yet on /boot. */
  bootBytes: number;
  freeNix: number;
  /** null: no /boot on this host (nothing checked there). */
  freeBoot: number | null;
  /** Bytes garbage collection could free on /nix (null: not measured yet). */
  deadBytes: number | null;
}

export type SpaceDecision =
  | { ok: true; needNix: number; needBoot: number }
  | { ok: false; collect: number; needNix: number; needBoot: number }
  | { ok: false; collect: null; needNix: number; needBoot: number; reason: string };

const fmt = (n: number) => `${n} bytes (${(n / MiB).toFixed(1)} MiB)`;

/** Room on /nix and /boot; when /nix is short but dead paths would make room, how much to collect first. */
export function decideSpace(s: SpaceInput): SpaceDecision {
  const needNix = neededBytes(s.bytesToFetch, MARGINS.nixMinBytes);
  const needBoot = neededBytes(s.bootBytes, MARGINS.bootMinBytes);
  if (s.freeBoot !== null && needBoot > s.freeBoot) {
    return { ok: false, collect: null, needNix, needBoot, reason: `/boot has ${fmt(s.freeBoot)} free but needs ${fmt(needBoot)} (kernel and initrd ${fmt(s.bootBytes)} plus margin); remove old boot entries` };
  }
  const short = needNix - s.freeNix;
  if (short <= 0) return { ok: true, needNix, needBoot };
  if (s.deadBytes === null) return { ok: false, collect: short, needNix, needBoot };
  if (s.deadBytes >= short) return { ok: false, collect: short, needNix, needBoot };
  return {
    ok: false, collect: null, needNix, needBoot,
    reason: `/nix has ${fmt(s.freeNix)} free but needs ${fmt(needNix)} (${fmt(s.bytesToFetch)} to fetch plus margin); garbage collection could free only ${fmt(s.deadBytes)}; free space on /nix or delete old generations`,
  };
}
