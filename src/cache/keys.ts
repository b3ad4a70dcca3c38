/**
 * Nix signing keys, `<name>:<base64>`: a secret key is 64 bytes (Ed25519
 * seed ‖ public key, libsodium's layout), a public key 32 bytes. Secret
 * material stays inside SecretKey: it is redacted from JSON, inspection and
 * every error message, and leaves only through `revealNixFormat`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { inspect } from "node:util";
import { nixBase64Decode } from "./_base64.js";

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

/** Printable ASCII without ':' and space: names go into space-separated `trusted-public-keys`. */
const KEY_NAME = /^[!-9;-~]+$/;

export interface PublicKey {
  name: string;
  /** 32 raw Ed25519 public key bytes. */
  key: Buffer;
}

/** A key file or key text that cannot be used; `source` is the file or setting it came from. */
export class KeyError extends Error {
  override readonly name = "KeyError";
  constructor(
    readonly source: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${source}: ${reason}`, options);
  }
}

export class SecretKey {
  readonly #seed: Buffer;
  readonly #keyObject: KeyObject;

  /** Throws a plain Error when the parts do not form one Ed25519 key (see parseSecretKey for file input). */
  constructor(
    readonly name: string,
    seed: Buffer,
    readonly publicKey: Buffer,
  ) {
    if (!KEY_NAME.test(name)) throw new Error(`invalid key name ${JSON.stringify(name)}: use printable ASCII without ':' or spaces`);
    if (seed.length !== 32 || publicKey.length !== 32) throw new Error(`secret key ${name}: seed and public key must be 32 bytes each`);
    this.#seed = Buffer.from(seed);
    this.#keyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
    // libsodium signs with the embedded public half, so a mismatch would produce signatures nobody can verify.
    const derived = createPublicKey(this.#keyObject).export({ format: "der", type: "spki" }).subarray(-32);
    if (!derived.equals(publicKey)) throw new Error(`secret key ${name}: the public half does not match the seed`);
  }

  /** Raw 64-byte Ed25519 signature of `data`. */
  sign(data: string | Buffer): Buffer {
    return sign(null, typeof data === "string" ? Buffer.from(data) : data, this.#keyObject);
  }

  /** `<name>:<base64(seed‖pub)>`, Nix's secret key file content. Secret: write it only to a 0600 file. */
  revealNixFormat(): string {
    return `${this.name}:${Buffer.concat([this.#seed, this.publicKey]).toString("base64")}`;
  }

  toJSON(): { name: string; publicKey: string; secret: "[redacted]" } {
    return { name: this.name, publicKey: this.publicKey.toString("base64"), secret: "[redacted]" };
  }

  toString(): string {
    return `SecretKey(${this.name}, secret redacted)`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function splitKey(text: string, source: string, kind: string): { name: string; body: string } {
  const trimmed = text.trimEnd(); // key files may end with a newline; Nix accepts that too
  const colon = trimmed.indexOf(":");
  if (colon < 0) throw new KeyError(source, `${kind} is not in the form <name>:<base64> (no ':' found)`);
  const name = trimmed.slice(0, colon);
  if (name === "") throw new KeyError(source, `${kind} has an empty name before ':'`);
  if (!KEY_NAME.test(name)) throw new KeyError(source, `${kind} name ${JSON.stringify(name.slice(0, 64))} contains spaces or non-printable characters`);
  return { name, body: trimmed.slice(colon + 1) };
}

/** Parse a secret key (file content). Errors never include the key material. */
export function parseSecretKey(text: string, source: string): SecretKey {
  const { name, body } = splitKey(text, source, "secret key");
  const raw = nixBase64Decode(body);
  if (raw === null) throw new KeyError(source, `secret key ${name}: the part after ':' is not valid base64`);
  if (raw.length !== 64) {
    throw new KeyError(source, `secret key ${name}: expected 64 bytes (seed and public key), got ${raw.length}${raw.length === 32 ? "; is this a public key?" : ""}`);
  }
  try {
    return new SecretKey(name, raw.subarray(0, 32), raw.subarray(32));
  } catch (err) {
    throw new KeyError(source, `secret key ${name} is corrupt: its public half does not match its seed`, { cause: err });
  }
}

/** Parse a public key (`<name>:<base64 of 32 bytes>`), e.g. one entry of `trusted-public-keys`. */
export function parsePublicKey(text: string, source: string): PublicKey {
  const { name, body } = splitKey(text, source, "public key");
  const raw = nixBase64Decode(body);
  if (raw === null) throw new KeyError(source, `public key ${name}: ${JSON.stringify(body.slice(0, 64))} is not valid base64`);
  if (raw.length !== 32) {
    // A 64-byte value is a secret key: say so without echoing it.
    const hint = raw.length === 64 ? " (this looks like a SECRET key; do not distribute it)" : "";
    throw new KeyError(source, `public key ${name}: expected 32 bytes, got ${raw.length}${hint}`);
  }
  return { name, key: raw };
}

export function publicKeyOf(secret: SecretKey): PublicKey {
  return { name: secret.name, key: Buffer.from(secret.publicKey) };
}

/** `<name>:<base64>`, as in `trusted-public-keys` and `nix-store --generate-binary-cache-key`'s public file. */
export function formatPublicKey(key: PublicKey): string {
  return `${key.name}:${key.key.toString("base64")}`;
}

export interface KeyPair {
  secretKey: SecretKey;
  publicKey: PublicKey;
}

/** A fresh Ed25519 key pair in Nix's format (what `nix-store --generate-binary-cache-key` makes). */
export function generateKeyPair(name: string): KeyPair {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  if (jwk.d === undefined || jwk.x === undefined) throw new Error("node:crypto returned an Ed25519 JWK without d or x");
  const secretKey = new SecretKey(name, Buffer.from(jwk.d, "base64url"), Buffer.from(jwk.x, "base64url"));
  return { secretKey, publicKey: publicKeyOf(secretKey) };
}
