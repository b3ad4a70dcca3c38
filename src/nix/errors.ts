/**
 * The adapter's one error type. A failed nix call becomes a NixError whose
 * `code` says what the stderr meant (strings observed on Nix 2.8, see the
 * adapter's tests), and which keeps the run's data so it can travel as a value.
 */
import type { RunResult } from "../process/run.js";

export const NIX_ERROR_CODES = [
  "signature-untrusted",
  "hash-mismatch",
  "no-space",
  "path-invalid",
  "no-substituter",
  "cannot-connect",
  "no-daemon",
  "build-failed",
  "timeout",
  "bad-key",
  "not-supported",
  "generation-invalid",
  "key-exists",
  "unknown",
] as const;
export type NixErrorCode = (typeof NIX_ERROR_CODES)[number];

/** What a failed run looked like: enough to report it elsewhere without the process. */
export interface NixRunData {
  command: string;
  args: readonly string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last few KiB of stderr, escape sequences removed. */
  stderrTail: string;
  durationMs: number;
}

export class NixError extends Error {
  override readonly name = "NixError";
  readonly code: NixErrorCode;
  readonly run: NixRunData | undefined;
  constructor(code: NixErrorCode, message: string, options: { run?: NixRunData; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.run = options.run;
  }
  get command(): string | undefined { return this.run?.command; }
  get args(): readonly string[] | undefined { return this.run?.args; }
  get exitCode(): number | null | undefined { return this.run?.exitCode; }
  get stderr(): string | undefined { return this.run?.stderrTail; }
  get durationMs(): number | undefined { return this.run?.durationMs; }
}

const TAIL_CHARS = 4000;
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, "");
}

/** Ordered: the first pattern that matches the error part of stderr decides. */
const PATTERNS: readonly (readonly [NixErrorCode, RegExp])[] = [
  ["no-space", /No space left on device/],
  ["hash-mismatch", /hash mismatch|size mismatch importing path|was modified! expected hash/],
  ["signature-untrusted", /lacks a valid signature|is not signed by any of the keys/],
  ["bad-key", /(?:public|secret) key is (?:not valid|corrupt)|signature is not valid|invalid character in Base64 string/],
  ["not-supported", /not supported by store|is not supported for this Nix store|primary store that isn't a local store/],
  // Before cannot-connect: the daemon's socket also answers "Connection refused".
  ["no-daemon", /cannot connect to socket at '[^']*daemon-socket[^']*'|cannot open connection to remote store 'daemon'/],
  ["cannot-connect", /Couldn't connect to server|Could not resolve host|Couldn't resolve host|Connection refused|Failed to connect/],
  ["generation-invalid", /profile version \d+ does not exist|no profile version older than|cannot delete current version of profile/],
  ["no-substituter", /there is no substituter that can build it/],
  ["build-failed", /builder for '[^']*' failed|build of '[^']*' failed|cannot build|failed with exit code|dependencies couldn't be built/],
  ["path-invalid", /is not valid|does not exist|is not in the Nix store|No such file or directory/],
];

/** From the first `error:` line on; warnings before it are context, not the failure. */
function errorPart(stderr: string): string {
  const m = /^error:/m.exec(stderr);
  return m ? stderr.slice(m.index) : stderr;
}

/** Maps a failed run's stderr (and exit code) to an error code. Pure. */
export function classifyNixFailure(stderr: string, exitCode: number | null, timedOut = false): NixErrorCode {
  if (timedOut) return "timeout";
  const text = stripAnsi(stderr);
  const failure = errorPart(text);
  // Substitution reports the root cause only as a warning, then fails generically.
  if (/is not signed by any of the keys/.test(text) && /no substituter that can build it|build of '[^']*' failed/.test(failure)) {
    return "signature-untrusted";
  }
  for (const [code, re] of PATTERNS) if (re.test(failure)) return code;
  // nix-build's documented exit codes when stderr said nothing we recognise.
  if (exitCode === 100 || exitCode === 101) return "build-failed";
  if (exitCode === 102) return "hash-mismatch";
  return "unknown";
}

/** The line a person should read first: the first `error:` line, else the last line. */
export function primaryErrorLine(stderr: string): string {
  const lines = stripAnsi(stderr).split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const err = lines.find((l) => l.startsWith("error:"));
  return (err ?? lines.at(-1) ?? "").replace(/^error:\s*/, "");
}

const HINTS: Partial<Record<NixErrorCode, string>> = {
  "signature-untrusted": "sign the paths with a key listed in trusted-public-keys, or trust the key that signed them",
  "hash-mismatch": "the cache's NAR or narinfo does not match the path; re-upload it from a good store",
  "no-space": "free space on the store's filesystem (garbage-collect) and retry",
  "path-invalid": "check that the path exists in the source store or cache",
  "no-substituter": "add a cache that holds the path to substituters, or copy the path first",
  "cannot-connect": "check the cache URL and the network",
  "no-daemon": "start nix-daemon (systemctl start nix-daemon.socket), or unset NIX_REMOTE where this may use the store directly",
  "bad-key": "check the key file or trusted-public-keys entry: keys are '<name>:<base64>'",
  "not-supported": "use a store type that supports this operation (a local or chroot store)",
  "timeout": "raise timeoutMs, or look for a stuck build or unreachable cache",
};

function tail(text: string): string {
  return text.length > TAIL_CHARS ? text.slice(-TAIL_CHARS) : text;
}

export function runData(result: RunResult, redact: (s: string) => string = (s) => s): NixRunData {
  return {
    command: result.command,
    args: result.args,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    stderrTail: redact(tail(stripAnsi(result.stderr))),
    durationMs: Math.round(result.durationMs),
  };
}

/** Builds the NixError for a failed run; `what` names the operation for the message. */
export function nixErrorFromRun(what: string, result: RunResult, options: { redact?: (s: string) => string; code?: NixErrorCode } = {}): NixError {
  const data = runData(result, options.redact);
  const code = options.code ?? classifyNixFailure(data.stderrTail, result.exitCode, result.timedOut);
  const how = result.timedOut
    ? `timed out after ${data.durationMs} ms`
    : result.signal !== null ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
  const line = primaryErrorLine(data.stderrTail);
  const hint = HINTS[code];
  const message = `${what} failed (${how}, ${code})${line ? `: ${line}` : ""}${hint ? ` — ${hint}` : ""}`;
  return new NixError(code, message, { run: data });
}

/** Parses a successful run's output; a parser failure becomes NixError "unknown" that keeps the run. */
export function parseOutput<T>(what: string, result: RunResult, parse: (stdout: string) => T): T {
  try {
    return parse(result.stdout.toString("utf8"));
  } catch (cause) {
    const message = `${what}: nix printed output this adapter cannot read (${(cause as Error).message}); is this Nix version supported?`;
    throw new NixError("unknown", message, { run: runData(result), cause });
  }
}
