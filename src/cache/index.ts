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
export { openCache, memoizeNarinfos } from "./cache-reader.js";
export type { BinaryCache } from "./cache-reader.js";
export { CacheError } from "./cache-error.js";
export { parseCacheInfo } from "./cache-info.js";
export { auditClosure } from "./audit.js";
export type { AuditReport } from "./audit.js";
export { judgeNarinfo, auditKeys } from "./audit-verdict.js";
export type { AuditProblemKind } from "./audit-verdict.js";
export { closurePaths } from "./closure-paths.js";
export { parseManifest, readManifest, manifestPaths, ManifestError } from "./manifest-paths.js";
export { scanClosure, ScanClosureError } from "./scan-closure.js";
export type { ScanClosureResult, ClosureFinding, ScanProgress } from "./scan-closure.js";
