/**
 * Bearer credentials: `hp_<kind>_<id>_<secret>`. The id is the public lookup
 * key; the secret is 32 random bytes (base64url) of which the store keeps only
 * the hex SHA-256, so a leaked database holds nothing that authenticates.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const CREDENTIAL_KINDS = ["op", "boot", "node"] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

export interface ParsedCredential {
  kind: CredentialKind;
  id: string;
}

/** A freshly made credential: `token` goes to its holder once, the rest to the store. */
export interface NewCredential {
  token: string;
  id: string;
  secretHash: string;
}

const ID_BYTES = 8;
const SECRET_BYTES = 32;
/** 16 lower-case hex characters: no `_`, so the token splits unambiguously. */
const ID_PATTERN = /^[0-9a-f]{16}$/;
/** 32 bytes in unpadded base64url. */
const SECRET_PATTERN = /^[\w-]{43}$/;

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function newCredential(kind: CredentialKind): NewCredential {
  const id = randomBytes(ID_BYTES).toString("hex");
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  return { token: `hp_${kind}_${id}_${secret}`, id, secretHash: hashSecret(secret) };
}

/** A node credential an agent made itself (hp_node_<16 hex>_<43 base64url>): the same shape newCredential makes. */
export const NODE_CREDENTIAL_PATTERN = /^hp_node_[0-9a-f]{16}_[\w-]{43}$/;

/**
 * A credential an agent proposes at enrollment, as the store keeps it (id and
 * hash of the secret), or null when it is not a node credential of ours.
 */
export function proposedNodeCredential(token: string): NewCredential | null {
  const parsed = parseCredential(token);
  if (parsed === null || parsed.kind !== "node") return null;
  return { token, id: parsed.id, secretHash: hashSecret(parsed.secret) };
}

/** Kind, id and secret of a presented token, or null when it is not one of ours. */
export function parseCredential(token: string): (ParsedCredential & { secret: string }) | null {
  if (token.length > 128 || !token.startsWith("hp_")) return null;
  const parts = token.split("_");
  // The secret may itself contain "_": everything after the third separator is the secret.
  if (parts.length < 4) return null;
  const kind = parts[1]!;
  const id = parts[2]!;
  const secret = parts.slice(3).join("_");
  if (!(CREDENTIAL_KINDS as readonly string[]).includes(kind) || !ID_PATTERN.test(id) || !SECRET_PATTERN.test(secret)) return null;
  return { kind: kind as CredentialKind, id, secret };
}

/** A hash to compare against when the id is unknown, so unknown and wrong secrets take the same time. */
const DUMMY_HASH = hashSecret("hostplane-no-such-credential");

/** Does `secret` hash to `storedHash`? Constant-time in the secret; a null hash (unknown id) is always false. */
export function secretMatches(secret: string, storedHash: string | null): boolean {
  const expected = Buffer.from(storedHash ?? DUMMY_HASH, "hex");
  const actual = Buffer.from(hashSecret(secret), "hex");
  const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
  return equal && storedHash !== null;
}
