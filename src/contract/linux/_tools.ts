/**
 * The host tools the gatherer runs (ip, nft, unshare, systemctl, …): found once
 * per gather, run through src/process/run with the gather's timeout, and every
 * way they can fail — not installed, timed out, killed, non-zero exit — turned
 * into a ProbeError that names the command.
 */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { run, type RunResult } from "../../process/run.js";
import { ProbeError } from "./_probe.js";

export type ToolName = "nft" | "ip" | "unshare" | "systemctl" | "systemd-analyze" | "timedatectl" | "nix";

/** Debian puts ip and nft in /usr/sbin, which is not on a non-root user's PATH. */
const SBIN_FALLBACK = ["/usr/sbin", "/sbin"];

export interface ToolRunOptions {
  input?: string;
  /** Exit codes that are answers rather than failures (e.g. `systemctl is-active` → 3). */
  okExit?: (code: number) => boolean;
}

export class Tools {
  private readonly found = new Map<ToolName, Promise<string>>();

  constructor(private readonly toolPath: string | undefined, private readonly timeoutMs: number) {}

  /** Absolute path of a tool, or a ProbeError `nft not found on PATH`. */
  locate(name: ToolName): Promise<string> {
    let p = this.found.get(name);
    if (p === undefined) {
      p = this._search(name);
      this.found.set(name, p);
    }
    return p;
  }

  /** Runs a tool; a non-zero exit is returned (callers decide) unless it cannot be an answer: not found, timed out, killed. */
  async run(name: ToolName, args: readonly string[], options: ToolRunOptions = {}): Promise<RunResult> {
    const path = await this.locate(name);
    const what = _describe(name, args);
    let r: RunResult;
    try {
      r = await run(path, args, {
        timeoutMs: this.timeoutMs, killDelayMs: 500, maxOutputBytes: 16 << 20,
        ...(options.input === undefined ? {} : { input: options.input }),
      });
    } catch (err) {
      // SpawnError's message already says "cannot run PATH: why".
      throw new ProbeError(`${(err as Error).message} (for ${what})`, { cause: err });
    }
    if (r.timedOut) throw new ProbeError(`${what} timed out after ${this.timeoutMs} ms`);
    if (r.exitCode === null) throw new ProbeError(`${what} was killed by ${r.signal ?? "a signal"}`);
    return r;
  }

  /** stdout of a run that must exit 0. */
  async output(name: ToolName, args: readonly string[], options: ToolRunOptions = {}): Promise<string> {
    const r = await this.run(name, args, options);
    if (r.exitCode !== 0 && !(r.exitCode !== null && options.okExit?.(r.exitCode))) {
      throw new ProbeError(`${_describe(name, args)} exited ${r.exitCode}: ${firstLine(r.stderr) || "(no message)"}`);
    }
    return r.stdout.toString("utf8");
  }

  private async _search(name: ToolName): Promise<string> {
    const dirs = this.toolPath !== undefined ? [this.toolPath] : [...(process.env["PATH"] ?? "").split(delimiter).filter((d) => d !== ""), ...SBIN_FALLBACK];
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        await access(candidate, constants.X_OK);
        if ((await stat(candidate)).isFile()) return candidate;
      } catch {
        // not in this directory
      }
    }
    throw new ProbeError(this.toolPath !== undefined ? `${name} not found in ${this.toolPath}` : `${name} not found on PATH`);
  }
}

function _describe(name: string, args: readonly string[]): string {
  return [name, ...args].join(" ");
}

export function firstLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
}
