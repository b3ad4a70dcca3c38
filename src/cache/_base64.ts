/**
 * Base64 decoding with Nix's rules (libutil `base64Decode`): standard
 * alphabet only, decoding stops at the first '=', and any other character is
 * an error. Node's own decoder silently skips bad characters and accepts the
 * URL-safe alphabet, which would let us accept what Nix refuses.
 */
const VALID = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") VALID[c.charCodeAt(0)] = 1;

/** Bytes encoded by `text`, or null when Nix would reject it. */
export function nixBase64Decode(text: string): Buffer | null {
  const end = text.indexOf("=");
  const body = end < 0 ? text : text.slice(0, end);
  for (let k = 0; k < body.length; k++) {
    const code = body.charCodeAt(k);
    if (code >= 128 || VALID[code] === 0) return null;
  }
  return Buffer.from(body, "base64");
}
