/**
 * Nix's base-32 ("nix32") encoding, private to src/cache until the shared
 * src/nix/hash.ts exists. Nix writes the LAST byte's bits first, with an
 * alphabet that omits e, o, u and t.
 */
const ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

/** Length of the nix32 text for `bytes` bytes (32 → 52, 20 → 32). */
export function nix32Length(bytes: number): number {
  return Math.ceil((bytes * 8) / 5);
}

export function nix32Encode(bytes: Uint8Array): string {
  let out = "";
  for (let n = nix32Length(bytes.length) - 1; n >= 0; n--) {
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    const c = (bytes[i]! >> j) | (i + 1 < bytes.length ? bytes[i + 1]! << (8 - j) : 0);
    out += ALPHABET[c & 0x1f];
  }
  return out;
}

/** Decode nix32 text into `size` bytes, or null when it is not valid nix32 of that size. */
export function nix32Decode(text: string, size: number): Buffer | null {
  if (text.length !== nix32Length(size)) return null;
  const out = Buffer.alloc(size);
  for (let n = 0; n < text.length; n++) {
    const code = text.charCodeAt(text.length - n - 1);
    const digit = code < 128 ? DIGIT[code]! : -1;
    if (digit < 0) return null;
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    out[i]! |= (digit << j) & 0xff;
    const carry = digit >> (8 - j);
    if (i + 1 < size) out[i + 1]! |= carry;
    else if (carry !== 0) return null; // bits beyond the last byte: Nix rejects these too
  }
  return out;
}

/** True when every character is in the nix32 alphabet (store path hash parts). */
export function isNix32(text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    const code = text.charCodeAt(k);
    if (code >= 128 || DIGIT[code]! < 0) return false;
  }
  return true;
}
