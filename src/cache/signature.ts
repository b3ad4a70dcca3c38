/**
 * Signing and verifying narinfos with Nix's semantics (Nix 2.8
 * `ValidPathInfo::checkSignatures` as used by `nix copy` / substitution):
 * - a path is accepted iff at least one signature by a trusted key verifies
 *   over its fingerprint, or its CA claim reproduces its store path;
 * - a signature naming an unknown key, or with no ':' at all, is ignored;
 * - a signature naming a trusted key whose bytes are not 64 bytes of valid
 *   base64 makes Nix fail the path ("signature is not valid") even when
 *   another signature is good, so it makes the verdict "invalid".
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { nixBase64Decode } from "./_base64.js";
import { contentAddressedPath, parseContentAddress } from "./_content-address.js";
import { STORE_DIR } from "./_store-path.js";
import { fingerprint } from "./fingerprint.js";
import type { PublicKey, SecretKey } from "./keys.js";
import { referencePaths, type Narinfo } from "./narinfo.js";

/** DER prefix of an SPKI Ed25519 public key; the 32 key bytes follow. */
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

export type SignedFields = Pick<Narinfo, "storePath" | "narHash" | "narSize" | "references">;
export type VerifiedFields = Pick<Narinfo, "storePath" | "narHash" | "narSize" | "references" | "sigs" | "ca">;

export interface SignatureOptions {
  storeDir?: string;
}

export type VerifyStatus = "valid" | "untrusted" | "unsigned" | "invalid" | "content-addressed";

export interface SignatureRef {
  /** Key name before ':' ("" when the signature has no ':'). */
  keyName: string;
  sig: string;
}

export interface InvalidSignature extends SignatureRef {
  /** mismatch: does not verify (tampered or wrong key); malformed: not 64 bytes of base64 (Nix: hard error). */
  reason: "mismatch" | "malformed";
}

export interface NarinfoVerdict {
  status: VerifyStatus;
  /** True iff Nix would accept the path: status is "valid" or "content-addressed". */
  accepted: boolean;
  /** Names of trusted keys with a signature that verifies. */
  validBy: string[];
  invalidSigs: InvalidSignature[];
  untrustedSigs: SignatureRef[];
  /** Whether a CA claim exists and reproduces the store path (Nix warns on "mismatch" and falls back to signatures). */
  contentAddress: "none" | "verified" | "mismatch";
}

/** `<name>:<base64 signature>` over the path's fingerprint; identical to Nix's (Ed25519 is deterministic). */
export function signNarinfo(narinfo: SignedFields, secretKey: SecretKey, options: SignatureOptions = {}): string {
  const data = fingerprint(narinfo, options);
  return `${secretKey.name}:${secretKey.sign(data).toString("base64")}`;
}

// KeyObjects are costly to build (DER parse); trusted sets are tiny, so a small cache suffices.
const keyObjects = new Map<string, KeyObject>();

function keyObjectOf(key: PublicKey): KeyObject {
  const id = key.key.toString("base64");
  let object = keyObjects.get(id);
  if (object === undefined) {
    if (keyObjects.size >= 1024) keyObjects.clear();
    object = createPublicKey({ key: Buffer.concat([SPKI_ED25519, key.key]), format: "der", type: "spki" });
    keyObjects.set(id, object);
  }
  return object;
}

function caStatus(narinfo: VerifiedFields, storeDir: string): NarinfoVerdict["contentAddress"] {
  if (narinfo.ca === undefined || narinfo.ca === "") return "none";
  const ca = parseContentAddress(narinfo.ca);
  if (typeof ca === "string") return "mismatch";
  const refs = referencePaths(narinfo, storeDir);
  return contentAddressedPath(ca, narinfo.storePath, refs, storeDir) === narinfo.storePath ? "verified" : "mismatch";
}

export function verifyNarinfo(narinfo: VerifiedFields, trustedKeys: readonly PublicKey[], options: SignatureOptions = {}): NarinfoVerdict {
  const storeDir = options.storeDir ?? STORE_DIR;
  // Like Nix's PublicKeys map: the first key with a given name wins.
  const trusted = new Map<string, PublicKey>();
  for (const key of trustedKeys) if (!trusted.has(key.name)) trusted.set(key.name, key);

  const validBy: string[] = [];
  const invalidSigs: InvalidSignature[] = [];
  const untrustedSigs: SignatureRef[] = [];
  let data: Buffer | undefined;
  for (const sig of new Set(narinfo.sigs)) {
    const colon = sig.indexOf(":");
    const keyName = colon <= 0 ? "" : sig.slice(0, colon);
    const key = trusted.get(keyName);
    if (key === undefined) {
      untrustedSigs.push({ keyName, sig });
      continue;
    }
    const bytes = nixBase64Decode(sig.slice(colon + 1));
    if (bytes === null || bytes.length !== 64) {
      invalidSigs.push({ keyName, sig, reason: "malformed" });
      continue;
    }
    data ??= Buffer.from(fingerprint(narinfo, { storeDir }));
    if (verify(null, data, keyObjectOf(key), bytes)) {
      if (!validBy.includes(keyName)) validBy.push(keyName);
    } else {
      invalidSigs.push({ keyName, sig, reason: "mismatch" });
    }
  }

  const contentAddress = caStatus(narinfo, storeDir);
  const status: VerifyStatus =
    contentAddress === "verified"
      ? "content-addressed"
      : invalidSigs.some((s) => s.reason === "malformed")
        ? "invalid"
        : validBy.length > 0
          ? "valid"
          : invalidSigs.length > 0
            ? "invalid"
            : untrustedSigs.length > 0
              ? "untrusted"
              : "unsigned";
  return { status, accepted: status === "valid" || status === "content-addressed", validBy, invalidSigs, untrustedSigs, contentAddress };
}
