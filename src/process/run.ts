/**
 * Running a subprocess as a value: every call has a timeout and a kill delay,
 * and the result keeps command, exit code, signal, timed-out flag, output and
 * duration, so a failure can be reported (or sent elsewhere) as data.
 */
import { spawn } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds before SIGTERM (default 60 s). */
  timeoutMs?: number;
  /** Milliseconds between SIGTERM and SIGKILL (default 2 s). */
  killDelayMs?: number;
  /** Bytes of stdout kept (default 64 MiB); the rest is dropped and `truncated` set. */
  maxOutputBytes?: number;
  /** Written to the child's stdin, which is then closed (default: stdin is /dev/null). */
  input?: string | Buffer;
}

export interface RunResult {
  command: string;
  args: readonly string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: Buffer;
  stderr: string;
  truncated: boolean;
  durationMs: number;
}

/** A command that could not start (not installed, not executable). */
export class SpawnError extends Error {
  override readonly name = "SpawnError";
  constructor(readonly command: string, options: { cause: unknown }) {
    super(`cannot run ${command}: ${(options.cause as Error).message}`, options);
  }
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const max = options.maxOutputBytes ?? 64 << 20;
  return new Promise((resolve, reject) => {
    const input = options.input;
    const spawnOptions = { cwd: options.cwd, env: options.env ?? process.env };
    const child = input === undefined
      ? spawn(command, args, { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(command, args, { ...spawnOptions, stdio: ["pipe", "pipe", "pipe"] });
    if (input !== undefined && child.stdin !== null) {
      // A child may exit without reading all of its input (EPIPE); its exit status says what happened, not the pipe.
      child.stdin.on("error", () => undefined);
      child.stdin.end(input);
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let truncated = false;
    let stderr = "";
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), options.killDelayMs ?? 2000);
    }, options.timeoutMs ?? 60_000);
    child.stdout.on("data", (chunk: Buffer) => {
      if (outBytes + chunk.length > max) { truncated = true; return; }
      out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 1 << 20) stderr += chunk.toString("utf8");
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      reject(new SpawnError(command, { cause: err }));
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({
        command, args, exitCode, signal, timedOut, stdout: Buffer.concat(out), stderr, truncated,
        durationMs: performance.now() - started,
      });
    });
  });
}
