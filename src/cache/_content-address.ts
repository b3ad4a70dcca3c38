/**
 * Content addresses (`CA:` in narinfo): `text:sha256:<h>`, `fixed:<algo>:<h>`
 * or `fixed:r:<algo>:<h>`. A path whose CA claim reproduces its store path
 * needs no signature in Nix (`ValidPathInfo::isContentAddressed`), so we must
 * recompute the path exactly as Nix 2.8 does rather than trust the claim.
 */
import { createHash } from "node:crypto";
import { decodeHashBody, isHashAlgo, renderBase16, renderNix32, type ParsedHash } from "./_hash.js";
import { makeStorePath, storePathName } from "./_store-path.js";

export interface ContentAddress {
  kind: "text" | "fixed";
  /** For `fixed`: true with `r:` (NAR serialisation), false for a flat file hash. */
  recursive: boolean;
  hash: ParsedHash;
}

/** Parse a CA value (non-empty); returns a reason string when Nix would reject it. */
export function parseContentAddress(text: string): ContentAddress | string {
  const colon = text.indexOf(":");
  const prefix = colon < 0 ? "" : text.slice(0, colon);
  if (prefix !== "text" && prefix !== "fixed") return "expected 'text:<algo>:<hash>' or 'fixed:[r:]<algo>:<hash>'";
  let rest = text.slice(colon + 1);
  const recursive = prefix === "fixed" && rest.startsWith("r:");
  if (recursive) rest = rest.slice(2);
  const sep = rest.indexOf(":");
  const algo = sep < 0 ? "" : rest.slice(0, sep);
  if (!isHashAlgo(algo)) return `expected '<algo>:<hash>' after '${prefix}:' with algo md5, sha1, sha256 or sha512`;
  if (prefix === "text" && algo !== "sha256") return `text content addresses use sha256, not ${algo}`;
  const bytes = decodeHashBody(algo, rest.slice(sep + 1), false);
  if (bytes === null) return `not a valid ${algo} hash`;
  return { kind: prefix, recursive, hash: { algo, bytes } };
}

/** How Nix writes a content address (hash re-rendered as nix32). */
export function renderContentAddress(ca: ContentAddress): string {
  return `${ca.kind}:${ca.recursive ? "r:" : ""}${renderNix32(ca.hash)}`;
}

/**
 * The store path this content address yields for `path` with `references`
 * (full paths), or null when Nix could not derive one. Compare with `path`.
 */
export function contentAddressedPath(ca: ContentAddress, path: string, references: readonly string[], storeDir: string): string | null {
  const name = storePathName(path);
  const sorted = [...new Set(references)].sort();
  if (ca.kind === "text") return makeStorePath(["text", ...sorted].join(":"), renderBase16(ca.hash), name, storeDir);
  const others = sorted.filter((r) => r !== path);
  const selfRef = others.length !== sorted.length;
  if (ca.hash.algo === "sha256" && ca.recursive) {
    const type = ["source", ...others, ...(selfRef ? ["self"] : [])].join(":");
    return makeStorePath(type, renderBase16(ca.hash), name, storeDir);
  }
  // Nix asserts there are no references here; such a claim never matches.
  if (others.length > 0) return null;
  const inner = createHash("sha256").update(`fixed:out:${ca.recursive ? "r:" : ""}${renderBase16(ca.hash)}:`).digest("hex");
  return makeStorePath("output:out", `sha256:${inner}`, name, storeDir);
}
