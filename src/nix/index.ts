/**
 * The Nix adapter: the only code in hostplane that runs nix. See nix.ts for the
 * class, hash.ts for hash encodings, and the parsers beside them for output formats.
 * (Option and result types are imported from those modules directly.)
 */
export { Nix } from "./nix.js";
export { NixError, NIX_ERROR_CODES, classifyNixFailure } from "./errors.js";
export {
  HashFormatError, HASH_SIZES, convertHash, formatHash, nix32Decode, nix32Encode, parseHash, toNarinfoHash, toSriHash, type HashAlgo,
} from "./hash.js";
export { parsePathInfoJson, PathInfoFormatError, type ValidPathInfo } from "./path-info.js";
export { decodeVerify } from "./verify.js";
export { parseGenerations } from "./profile.js";
export { parseGcResult, parseGcRoots } from "./gc.js";
export { offlineNixConfig, parseConfigJson, parseVersion } from "./config.js";
export type { GeneratedKey } from "./keys.js";
