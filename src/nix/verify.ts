/**
 * Decoding `nix store verify` (pure). Its exit code is a sum — 1: some path's
 * contents differ from its NAR hash, 2: some path lacks enough trusted
 * signatures, 4: some other error — and stderr names the paths.
 */
import { classifyNixFailure, stripAnsi, type NixErrorCode } from "./errors.js";

export interface VerifyOutcome {
  path: string;
  ok: boolean;
  /** Present when the contents do not match the recorded NAR hash. */
  modified?: { expected: string; got: string };
  untrusted: boolean;
  /** An error Nix reported for this path (e.g. not valid in the store). */
  error?: string;
}

export interface VerifyError {
  code: NixErrorCode;
  message: string;
  path?: string;
}

export interface VerifyReport {
  ok: boolean;
  exitCode: number;
  corrupted: boolean;
  untrusted: boolean;
  otherErrors: boolean;
  /** One outcome per path Nix checked or complained about, sorted by path. */
  paths: VerifyOutcome[];
  /** `error:` lines, classified; those naming a path are also on its outcome. */
  errors: VerifyError[];
}

const CHECKING_RE = /^checking '([^']+)'\.\.\.$/;
const MODIFIED_RE = /^path '([^']+)' was modified! expected hash '([^']+)', got '([^']+)'$/;
const UNTRUSTED_RE = /^path '([^']+)' is untrusted$/;
const PATH_IN_ERROR_RE = /path '(\/[^']+)'/;

/**
 * Returns the report, or null when the exit code is not explained by the
 * per-path lines — then the command itself failed (bad key, unreachable store…)
 * and the caller should throw instead.
 */
export function decodeVerify(exitCode: number, stderr: string): VerifyReport | null {
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 7) return null;
  const byPath = new Map<string, VerifyOutcome>();
  const outcome = (path: string): VerifyOutcome => {
    let o = byPath.get(path);
    if (!o) byPath.set(path, (o = { path, ok: true, untrusted: false }));
    return o;
  };
  const errors: VerifyError[] = [];
  let modifiedSeen = false;
  let untrustedSeen = false;
  for (const raw of stripAnsi(stderr).split("\n")) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = CHECKING_RE.exec(line))) outcome(m[1]!);
    else if ((m = MODIFIED_RE.exec(line))) {
      const o = outcome(m[1]!);
      o.ok = false;
      o.modified = { expected: m[2]!, got: m[3]! };
      modifiedSeen = true;
    } else if ((m = UNTRUSTED_RE.exec(line))) {
      const o = outcome(m[1]!);
      o.ok = false;
      o.untrusted = true;
      untrustedSeen = true;
    } else if (line.startsWith("error:")) {
      const message = line.replace(/^error:\s*/, "");
      const err: VerifyError = { code: classifyNixFailure(line, 4), message };
      const p = PATH_IN_ERROR_RE.exec(message)?.[1];
      if (p !== undefined) {
        err.path = p;
        const o = outcome(p);
        o.ok = false;
        o.error = message;
      }
      errors.push(err);
    }
  }
  const corrupted = (exitCode & 1) !== 0;
  const untrusted = (exitCode & 2) !== 0;
  const otherErrors = (exitCode & 4) !== 0;
  if (corrupted !== modifiedSeen || untrusted !== untrustedSeen || otherErrors !== (errors.length > 0)) return null;
  // Errors that stop every path (no store, no network, no space) are failures of the command.
  if (errors.some((e) => e.code === "cannot-connect" || e.code === "no-daemon" || e.code === "not-supported" || e.code === "no-space")) return null;
  const paths = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ok: exitCode === 0, exitCode, corrupted, untrusted, otherErrors, paths, errors };
}
