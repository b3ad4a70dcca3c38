/**
 * A long-running process inside a test host: its pid (the command itself —
 * nsenter execs it, so a signal to `pid` reaches the command), the tail of its
 * output, and a promise of how it ended.
 */
import type { ChildProcess } from "node:child_process";

export interface HostProcessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export interface HostProcess {
  readonly pid: number;
  /** What it printed so far (the last MiB of each stream). */
  stdout(): string;
  stderr(): string;
  /** Signals the process itself (default SIGTERM); `group: true` signals its whole process group (it leads one). */
  kill(signal?: NodeJS.Signals, options?: { group?: boolean }): void;
  /** Resolves when it has ended and its output is read; never rejects (a failed start is exit code 127 with the reason in stderr). */
  readonly exited: Promise<HostProcessExit>;
  /** Resolves with the first match of `pattern` in the stream (default stdout); rejects on timeout or exit without a match. */
  waitForOutput(pattern: RegExp, options?: { timeoutMs?: number; stream?: "stdout" | "stderr" }): Promise<RegExpExecArray>;
}

const KEEP = 1 << 20;

export function wrapHostProcess(child: ChildProcess, label: string): HostProcess {
  const out = { stdout: "", stderr: "" };
  let done: HostProcessExit | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => { for (const l of [...listeners]) l(); };
  const take = (stream: "stdout" | "stderr") => (d: Buffer): void => {
    out[stream] = (out[stream] + d.toString("utf8")).slice(-KEEP);
    notify();
  };
  child.stdout?.on("data", take("stdout"));
  child.stderr?.on("data", take("stderr"));
  const exited = new Promise<HostProcessExit>((resolve) => {
    child.on("error", (err) => { out.stderr += `cannot start: ${err.message}\n`; });
    child.on("close", (exitCode, signal) => {
      done = { exitCode: exitCode ?? (signal === null ? 127 : null), signal };
      notify();
      resolve(done);
    });
  });
  const pid = child.pid ?? -1;
  return {
    pid,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    kill: (signal = "SIGTERM", options = {}) => {
      if (done !== undefined || pid < 0) return;
      try {
        process.kill(options.group ? -pid : pid, signal);
      } catch {
        // ended meanwhile
      }
    },
    exited,
    waitForOutput: (pattern, options = {}) => {
      const stream = options.stream ?? "stdout";
      return new Promise<RegExpExecArray>((resolve, reject) => {
        const finish = (fn: () => void): void => { listeners.delete(check); clearTimeout(timer); fn(); };
        const check = (): void => {
          const m = pattern.exec(out[stream]);
          if (m) finish(() => resolve(m));
          else if (done !== undefined) finish(() => reject(new Error(`${label} ended (${JSON.stringify(done)}) without printing ${String(pattern)} on ${stream}; stdout: ${out.stdout.slice(-2000)} stderr: ${out.stderr.slice(-2000)}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`${label} printed no ${String(pattern)} on ${stream} within ${options.timeoutMs ?? 10_000} ms; stdout: ${out.stdout.slice(-2000)} stderr: ${out.stderr.slice(-2000)}`))), options.timeoutMs ?? 10_000);
        listeners.add(check);
        check();
      });
    },
  };
}
