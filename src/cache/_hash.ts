/**
 * Hashes as Nix writes them: `<algo>:<nix32|base16|base64>` or SRI
 * `<algo>-<base64>`. Parsing follows Nix 2.8's `Hash::parseAnyPrefixed`
 * (the encoding is told apart by length), so we accept exactly what Nix
 * accepts and can re-render it the way Nix does (nix32) for fingerprints.
 */
import { nixBase64Decode } from "./_base64.js";
import { nix32Decode, nix32Encode, nix32Length } from "./_nix32.js";

export type HashAlgo = "md5" | "sha1" | "sha256" | "sha512";

const SIZES: Record<HashAlgo, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

export interface ParsedHash {
  algo: HashAlgo;
  bytes: Buffer;
}

export function isHashAlgo(name: string): name is HashAlgo {
  return Object.hasOwn(SIZES, name);
}

/** Decode the hash body for a known algorithm; `sri` forces base64. Returns null when invalid. */
export function decodeHashBody(algo: HashAlgo, body: string, sri: boolean): Buffer | null {
  const size = SIZES[algo];
  if (!sri && body.length === size * 2) {
    return /^[0-9a-fA-F]+$/.test(body) ? Buffer.from(body, "hex") : null;
  }
  if (!sri && body.length === nix32Length(size)) return nix32Decode(body, size);
  if (sri || body.length === (((4 * size) / 3 + 3) & ~3)) {
    const bytes = nixBase64Decode(body);
    return bytes !== null && bytes.length === size ? bytes : null;
  }
  return null;
}

/**
 * Parse `sha256:<…>` or `sha256-<base64>`; returns a reason string when the
 * text is not a hash Nix would accept.
 */
export function parseHash(text: string): ParsedHash | string {
  const colon = text.indexOf(":");
  const dash = text.indexOf("-");
  const sri = colon < 0;
  const sep = sri ? dash : colon;
  if (sep < 0) return "no hash type (expected e.g. sha256:<nix32> or sha256-<base64>)";
  const algo = text.slice(0, sep);
  if (!isHashAlgo(algo)) return `unknown hash type '${algo}'`;
  const bytes = decodeHashBody(algo, text.slice(sep + 1), sri);
  if (bytes === null) {
    const size = SIZES[algo];
    return sri ? `not a valid SRI ${algo} hash (expected base-64 of ${size} bytes)` : `not a valid ${algo} hash (expected ${size} bytes in base-16, nix32 or base-64)`;
  }
  return { algo, bytes };
}

/** `<algo>:<nix32>`, the form Nix writes in narinfo files and fingerprints. */
export function renderNix32(hash: ParsedHash): string {
  return `${hash.algo}:${nix32Encode(hash.bytes)}`;
}

/** `<algo>:<hex>`, the form Nix hashes into store paths. */
export function renderBase16(hash: ParsedHash): string {
  return `${hash.algo}:${hash.bytes.toString("hex")}`;
}
