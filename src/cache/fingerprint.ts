/**
 * The string Nix signs for a store path (`ValidPathInfo::fingerprint`):
 * `1;<store path>;<algo>:<nix32 nar hash>;<nar size>;<sorted full reference paths, comma-joined>`.
 * The hash is always re-rendered as nix32, so a narinfo whose NarHash is
 * written in base16, base64 or SRI still verifies, exactly as in Nix.
 */
import { parseHash, renderNix32 } from "./_hash.js";
import { STORE_DIR, baseNameProblem, storePathProblem } from "./_store-path.js";

export interface FingerprintInput {
  storePath: string;
  /** sha256:<nix32|base16|base64> or SRI sha256-<base64>. */
  narHash: string;
  narSize: number;
  /** Base names (as in narinfo) or full store paths (as in `nix path-info --json`). */
  references: readonly string[];
}

export interface FingerprintOptions {
  storeDir?: string;
}

/** Inputs that Nix could not fingerprint (bad hash, size unknown, not a store path). */
export class FingerprintError extends Error {
  override readonly name = "FingerprintError";
}

export function fingerprint(input: FingerprintInput, options: FingerprintOptions = {}): string {
  const storeDir = options.storeDir ?? STORE_DIR;
  const where = `cannot compute the signing fingerprint of ${input.storePath}`;
  const pathProblem = storePathProblem(input.storePath, storeDir);
  if (pathProblem !== null) throw new FingerprintError(`${where}: ${pathProblem}`);
  const hash = parseHash(input.narHash);
  if (typeof hash === "string") throw new FingerprintError(`${where}: NAR hash ${JSON.stringify(input.narHash)}: ${hash}`);
  if (!Number.isSafeInteger(input.narSize) || input.narSize <= 0) {
    throw new FingerprintError(`${where}: NAR size ${input.narSize} is not a positive integer (Nix needs the size to be known)`);
  }
  const refs = new Set<string>();
  for (const ref of input.references) {
    const full = ref.startsWith("/") ? ref : `${storeDir}/${ref}`;
    const problem = ref.startsWith("/") ? storePathProblem(ref, storeDir) : baseNameProblem(ref);
    if (problem !== null) throw new FingerprintError(`${where}: reference ${problem}`);
    refs.add(full);
  }
  return `1;${input.storePath};${renderNix32(hash)};${input.narSize};${[...refs].sort().join(",")}`;
}
