/**
 * Nix hash encodings, pure: Nix's base-32 ("nix32"), base-16, base-64 and SRI.
 * narinfo files write `sha256:<nix32>`, `nix path-info --json` writes SRI
 * (`sha256-<base64>`); signing fingerprints always use the nix32 form, so every
 * hash that crosses the adapter is normalised through here.
 */

export type HashAlgo = "md5" | "sha1" | "sha256" | "sha512";
export type HashEncoding = "nix32" | "base16" | "base64" | "sri";

export interface Hash {
  algo: HashAlgo;
  bytes: Uint8Array;
}

/** Bytes per digest; also decides which encoding a bare hash string is in. */
export const HASH_SIZES: Readonly<Record<HashAlgo, number>> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

/** Nix's base-32 alphabet: digits and lower-case letters without e, o, u, t. */
export const NIX32_ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

const NIX32_VALUES = new Map([...NIX32_ALPHABET].map((c, i) => [c, i]));
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE16_RE = /^[0-9a-fA-F]*$/;

export class HashFormatError extends Error {
  override readonly name = "HashFormatError";
}

export function isHashAlgo(text: string): text is HashAlgo {
  return Object.hasOwn(HASH_SIZES, text);
}

/** Length of the nix32 rendering of `size` bytes (Nix: (8·size − 1) / 5 + 1). */
export function nix32Length(size: number): number {
  return Math.floor((size * 8 - 1) / 5) + 1;
}

/**
 * Nix's base-32. Unlike RFC 4648 it reads bits from the end of the digest:
 * character k (from the right) holds bits 5k..5k+4, little-endian within bytes.
 */
export function nix32Encode(bytes: Uint8Array): string {
  const len = nix32Length(bytes.length);
  let out = "";
  for (let n = len - 1; n >= 0; n--) {
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    const c = ((bytes[i] ?? 0) >> j) | ((bytes[i + 1] ?? 0) << (8 - j));
    out += NIX32_ALPHABET[c & 0x1f];
  }
  return out;
}

/** Decodes nix32 into `size` bytes (default: the largest size the length allows). */
export function nix32Decode(text: string, size = Math.floor((text.length * 5) / 8)): Uint8Array {
  if (text.length !== nix32Length(size)) {
    throw new HashFormatError(`nix32 string of ${text.length} characters cannot hold ${size} bytes (expected ${nix32Length(size)})`);
  }
  const out = new Uint8Array(size);
  for (let n = 0; n < text.length; n++) {
    const ch = text[text.length - n - 1]!;
    const digit = NIX32_VALUES.get(ch);
    if (digit === undefined) throw new HashFormatError(`invalid character '${ch}' in nix32 string '${text}'`);
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    out[i] = out[i]! | ((digit << j) & 0xff);
    const carry = digit >> (8 - j);
    if (i + 1 < size) out[i + 1] = out[i + 1]! | carry;
    else if (carry !== 0) throw new HashFormatError(`nix32 string '${text}' has bits beyond ${size} bytes`);
  }
  return out;
}

function decodeBase64(text: string, size: number, whole: string): Uint8Array {
  if (text.length % 4 !== 0 || !BASE64_RE.test(text)) throw new HashFormatError(`invalid base-64 in hash '${whole}'`);
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== size) throw new HashFormatError(`hash '${whole}' has ${bytes.length} bytes, expected ${size}`);
  return new Uint8Array(bytes);
}

function decodeBody(algo: HashAlgo, body: string, whole: string): Uint8Array {
  const size = HASH_SIZES[algo];
  if (body.length === size * 2) {
    if (!BASE16_RE.test(body)) throw new HashFormatError(`invalid base-16 in hash '${whole}'`);
    return new Uint8Array(Buffer.from(body, "hex"));
  }
  if (body.length === nix32Length(size)) return nix32Decode(body, size);
  if (body.length === Math.ceil(size / 3) * 4) return decodeBase64(body, size, whole);
  throw new HashFormatError(`hash '${whole}' has the wrong length for ${algo} (base-16 ${size * 2}, nix32 ${nix32Length(size)} or base-64 ${Math.ceil(size / 3) * 4} characters)`);
}

/**
 * Parses any form Nix accepts: `algo:<base16|nix32|base64>`, SRI `algo-<base64>`,
 * or a bare digest when `algo` is given. The encoding follows from the length, as in Nix.
 */
export function parseHash(text: string, algo?: HashAlgo): Hash {
  const sri = /^(md5|sha1|sha256|sha512)-/.exec(text);
  if (sri) {
    const a = sri[1] as HashAlgo;
    return { algo: a, bytes: decodeBase64(text.slice(sri[0].length), HASH_SIZES[a], text) };
  }
  const colon = text.indexOf(":");
  if (colon >= 0) {
    const a = text.slice(0, colon);
    if (!isHashAlgo(a)) throw new HashFormatError(`unknown hash algorithm '${a}' in '${text}'`);
    if (algo !== undefined && a !== algo) throw new HashFormatError(`hash '${text}' should have type '${algo}'`);
    return { algo: a, bytes: decodeBody(a, text.slice(colon + 1), text) };
  }
  if (algo === undefined) throw new HashFormatError(`hash '${text}' names no algorithm (expected 'sha256:…' or 'sha256-…')`);
  return { algo, bytes: decodeBody(algo, text, text) };
}

/** Renders a hash; nix32/base16/base64 get an `algo:` prefix unless `prefix: false`. */
export function formatHash(hash: Hash, encoding: HashEncoding, options: { prefix?: boolean } = {}): string {
  const buf = Buffer.from(hash.bytes.buffer, hash.bytes.byteOffset, hash.bytes.byteLength);
  if (encoding === "sri") return `${hash.algo}-${buf.toString("base64")}`;
  const body = encoding === "nix32" ? nix32Encode(hash.bytes) : buf.toString(encoding === "base16" ? "hex" : "base64");
  return options.prefix === false ? body : `${hash.algo}:${body}`;
}

/** Re-encodes any accepted hash string. */
export function convertHash(text: string, encoding: HashEncoding, options: { algo?: HashAlgo; prefix?: boolean } = {}): string {
  return formatHash(parseHash(text, options.algo), encoding, options.prefix === undefined ? {} : { prefix: options.prefix });
}

/** The narinfo / fingerprint form: `sha256:<nix32>`. */
export function toNarinfoHash(text: string): string {
  return convertHash(text, "nix32");
}

/** The SRI form used by `nix path-info --json`: `sha256-<base64>`. */
export function toSriHash(text: string): string {
  return convertHash(text, "sri");
}
