/**
 * How the adapter starts nix programs: binary lookup, environment, store flag,
 * timeout, and turning every failure into a NixError. Private to src/nix.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { run, SpawnError, type RunResult } from "../process/run.js";
import { NixError, nixErrorFromRun, runData } from "./errors.js";

export type NixTool = "nix" | "nix-build" | "nix-store" | "nix-env";

export interface RunnerOptions {
  store?: string;
  env?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  killDelayMs?: number;
  bin?: string;
}

export interface ExecOptions {
  /** Names the operation in error messages, e.g. `nix copy to file:///cache`. */
  what: string;
  timeoutMs?: number | undefined;
  /** Exit codes that are results, not failures (default: only 0). */
  okExit?: (code: number) => boolean;
  /** Applied to stderr before it goes into an error. */
  redact?: (text: string) => string;
}

const DEFAULT_TIMEOUT_MS = 300_000;

export class NixRunner {
  readonly store: string | undefined;
  private readonly binDir: string | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private readonly killDelayMs: number;

  constructor(options: RunnerOptions) {
    this.store = options.store;
    this.binDir = options.bin ?? (existsSync("/usr/bin/nix") ? "/usr/bin" : undefined);
    this.env = { ...process.env, ...options.env };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.killDelayMs = options.killDelayMs ?? 2000;
  }

  /** `--store X` for the call's store, else the adapter's, else nothing (Nix's default store). */
  storeArgs(store?: string): string[] {
    const s = store ?? this.store;
    return s === undefined ? [] : ["--store", s];
  }

  async exec(tool: NixTool, args: readonly string[], options: ExecOptions): Promise<RunResult> {
    const command = this.binDir === undefined ? tool : join(this.binDir, tool);
    // The adapter needs the nix command itself; enabling it per call works on hosts that have not.
    const fullArgs = tool === "nix" ? ["--extra-experimental-features", "nix-command", ...args] : [...args];
    let result: RunResult;
    try {
      result = await run(command, fullArgs, { env: this.env, timeoutMs: options.timeoutMs ?? this.timeoutMs, killDelayMs: this.killDelayMs });
    } catch (cause) {
      if (cause instanceof SpawnError) {
        throw new NixError("unknown", `${options.what} failed: cannot run ${command} (${(cause.cause as Error).message}); install Nix or pass the directory of its binaries as 'bin'`, { cause });
      }
      throw cause;
    }
    const ok = result.exitCode !== null && !result.timedOut && (result.exitCode === 0 || (options.okExit?.(result.exitCode) ?? false));
    if (!ok) throw nixErrorFromRun(options.what, result, options.redact === undefined ? {} : { redact: options.redact });
    if (result.truncated) {
      throw new NixError("unknown", `${options.what}: output exceeded the 64 MiB limit and was cut; ask about fewer paths per call`, { run: runData(result) });
    }
    return result;
  }
}
