/**
 * The audit's decision for one store path, from the narinfo text the cache
 * served (pure). A path passes iff Nix trusting exactly the non-revoked keys
 * would accept it: a verifying signature by one of them, or a content address
 * that reproduces the path. Revoked keys are checked only to explain a failure.
 */
import { STORE_DIR } from "./_store-path.js";
import { FingerprintError } from "./fingerprint.js";
import { parsePublicKey, type PublicKey } from "./keys.js";
import { NarinfoError, parseNarinfo, type Narinfo } from "./narinfo.js";
import { verifyNarinfo, type NarinfoVerdict } from "./signature.js";

export type AuditProblemKind = "missing" | "unsigned" | "untrusted" | "revoked-only" | "invalid" | "malformed";

export interface AuditProblem {
  path: string;
  kind: AuditProblemKind;
  /** One sentence a person can act on. */
  detail: string;
  /** Key names of the narinfo's Sig lines, in file order (empty when missing or malformed). */
  signers: string[];
}

export interface RevokedKey {
  name: string;
  /** `<name>:<base64>`. */
  publicKey: string;
}

export interface AuditKeys {
  /** Trusted and not revoked: the keys a path must verify against. */
  trusted: PublicKey[];
  revoked: PublicKey[];
}

/**
 * Parse the key lists once. A key both trusted and revoked counts as revoked
 * (matched by name, as Nix looks keys up by name).
 */
export function auditKeys(trusted: readonly string[], revoked: readonly RevokedKey[]): AuditKeys {
  const revokedKeys = revoked.map((r, i) => {
    const key = parsePublicKey(r.publicKey, `revoked key #${i + 1} (${r.name})`);
    if (key.name !== r.name) throw new Error(`revoked key #${i + 1}: its name "${r.name}" differs from the name in its public key ("${key.name}"); fix the trust policy`);
    return key;
  });
  const revokedNames = new Set(revokedKeys.map((k) => k.name));
  const trustedKeys = trusted.map((t, i) => parsePublicKey(t, `trusted key #${i + 1}`)).filter((k) => !revokedNames.has(k.name));
  return { trusted: trustedKeys, revoked: revokedKeys };
}

export interface JudgeInput {
  /** The full store path audited. */
  path: string;
  /** Narinfo text, or null when the cache has none. */
  text: string | null;
  /** Where the narinfo was read (URL), for messages. */
  source: string;
}

function signerNames(narinfo: Narinfo): string[] {
  const names: string[] = [];
  for (const sig of narinfo.sigs) {
    const colon = sig.indexOf(":");
    const name = colon <= 0 ? "(no key name)" : sig.slice(0, colon);
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

function trustedList(keys: AuditKeys): string {
  return keys.trusted.length === 0 ? "no key is trusted" : `trusted: ${keys.trusted.map((k) => k.name).join(", ")}`;
}

function invalidDetail(verdict: NarinfoVerdict): string {
  const bad = verdict.invalidSigs[0]!;
  if (bad.reason === "malformed") {
    return `the signature by trusted key ${bad.keyName} is not 64 bytes of base64; Nix fails this path ("signature is not valid"); re-sign it`;
  }
  return `the signature by trusted key ${bad.keyName} does not verify: the narinfo changed after signing (tampered or corrupt); re-upload the path from a good store and re-sign it`;
}

/** The problem with one path, or null when it passes. */
export function judgeNarinfo(input: JudgeInput, keys: AuditKeys, options: { storeDir?: string } = {}): AuditProblem | null {
  const { path, text, source } = input;
  const storeDir = options.storeDir ?? STORE_DIR;
  if (text === null) {
    return { path, kind: "missing", detail: `the cache has no narinfo for it (${source} not found); copy the closure to the cache`, signers: [] };
  }
  let narinfo: Narinfo;
  try {
    narinfo = parseNarinfo(text, source, { storeDir });
  } catch (err) {
    if (err instanceof NarinfoError) return { path, kind: "malformed", detail: err.message, signers: [] };
    throw err;
  }
  if (narinfo.storePath !== path) {
    return { path, kind: "malformed", detail: `${source} describes ${narinfo.storePath}, not this path (Nix treats the path as not valid)`, signers: [] };
  }
  const signers = signerNames(narinfo);
  let verdict: NarinfoVerdict;
  try {
    verdict = verifyNarinfo(narinfo, keys.trusted, { storeDir });
  } catch (err) {
    if (err instanceof FingerprintError) return { path, kind: "malformed", detail: `${source}: ${err.message}`, signers };
    throw err;
  }
  switch (verdict.status) {
    case "valid":
    case "content-addressed":
      return null;
    case "invalid":
      return { path, kind: "invalid", detail: invalidDetail(verdict), signers };
    case "untrusted":
    case "unsigned": {
      const byRevoked = keys.revoked.length > 0 ? verifyNarinfo(narinfo, keys.revoked, { storeDir }).validBy : [];
      if (byRevoked.length > 0) {
        return { path, kind: "revoked-only", detail: `its only valid signatures are by revoked key(s) ${byRevoked.join(", ")}; re-sign it with a trusted key (${trustedList(keys)})`, signers };
      }
      if (verdict.status === "untrusted") {
        const revoked = new Set(keys.revoked.map((k) => k.name));
        const by = signers.map((n) => (revoked.has(n) ? `${n}: revoked, and its signature does not verify` : n)).join(", ");
        return { path, kind: "untrusted", detail: `signed only by keys that are not trusted (${by}); sign it with a trusted key (${trustedList(keys)})`, signers };
      }
      const ca = verdict.contentAddress === "mismatch" ? "; its CA claim does not reproduce the store path" : "";
      return { path, kind: "unsigned", detail: `the narinfo has no signature${ca}; sign it with a trusted key (${trustedList(keys)})`, signers };
    }
  }
}
