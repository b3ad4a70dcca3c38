/**
 * The binary-cache trust chain in pure TypeScript: narinfo files, signing
 * fingerprints, Nix signing keys, and Ed25519 signatures with Nix's
 * acceptance rules. No subprocesses; only key-file.ts touches the disk.
 * (Option and helper types live beside their functions; re-export them here
 * when a consumer needs them — knip flags unused re-exports.)
 */
export { parseNarinfo, writeNarinfo, referencePaths, narinfoFileName, NarinfoError } from "./narinfo.js";
export type { Narinfo } from "./narinfo.js";
export { fingerprint, FingerprintError } from "./fingerprint.js";
export { parseSecretKey, parsePublicKey, publicKeyOf, formatPublicKey, generateKeyPair, SecretKey, KeyError } from "./keys.js";
export type { PublicKey, KeyPair } from "./keys.js";
export { writeSecretKeyFile } from "./key-file.js";
export { splitKeyName, nextKeyName } from "./key-name.js";
export { signNarinfo, verifyNarinfo } from "./signature.js";
export type { NarinfoVerdict } from "./signature.js";
