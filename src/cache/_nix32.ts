/**
 * Nix's base-32 ("nix32") for src/cache, with the null-on-invalid API its
 * parsers want; the encoding itself is the Nix adapter's (src/nix/hash.ts).
 */
import { NIX32_ALPHABET, nix32Decode as decodeOrThrow, nix32Encode, nix32Length } from "../nix/hash.js";

export { nix32Encode, nix32Length };

/** Decode nix32 text into `size` bytes, or null when it is not valid nix32 of that size. */
export function nix32Decode(text: string, size: number): Buffer | null {
  try {
    return Buffer.from(decodeOrThrow(text, size));
  } catch {
    return null;
  }
}

/** True when every character is in the nix32 alphabet (store path hash parts). */
export function isNix32(text: string): boolean {
  for (let k = 0; k < text.length; k++) if (!NIX32_ALPHABET.includes(text[k]!)) return false;
  return true;
}
