/**
 * The host side of applying an operation (I/O): which system runs and was
 * booted, free space, whether a kernel or initrd is already on /boot, and
 * NixOS's `bin/switch-to-configuration` run as a value (exit code, signal,
 * timeout, stderr tail, duration) so a failed activation travels as data;
 * directly or as a transient systemd unit (activation.ts).
 */
import { open, readdir, statfs } from "node:fs/promises";
import { basename, join } from "node:path";
import { run, type RunResult } from "../../process/run.js";
import { realSleep, type Sleep } from "../backoff.js";
import { linkTarget } from "../facts.js";
import { SWITCH_UNIT, switchCommand, systemctlUnitState, waitForSwitchUnit, type ActivationMode, type UnitState } from "./activation.js";

export interface SwitchResult {
  command: string;
  action: "test" | "boot";
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stderrTail: string;
  durationMs: number;
}

export function switchOk(r: SwitchResult): boolean {
  return r.exitCode === 0 && !r.timedOut;
}

export interface HostPort {
  currentSystem(): Promise<string | null>;
  bootedSystem(): Promise<string | null>;
  /** Free bytes (as df shows to users) on the filesystem of `path`; null when it does not exist. */
  freeBytes(path: string): Promise<number | null>;
  /** Whether a file named after the store path (as boot loaders copy kernels) is already under /boot. */
  onBoot(storePath: string): Promise<boolean>;
  /** `<system>/bin/switch-to-configuration ACTION`. */
  switchTo(system: string, action: "test" | "boot"): Promise<SwitchResult>;
}

async function namesUnder(dir: string, depth: number): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out = entries.map((e) => e.name);
  if (depth > 0) for (const e of entries) if (e.isDirectory()) out.push(...await namesUnder(join(dir, e.name), depth - 1));
  return out;
}

/** The last `bytes` of a file as text ("" when it cannot be read). */
async function tail(path: string, bytes: number): Promise<string> {
  let f;
  try {
    f = await open(path, "r");
    const size = (await f.stat()).size;
    const buf = Buffer.alloc(Math.min(bytes, size));
    await f.read(buf, 0, buf.length, size - buf.length);
    return buf.toString("utf8");
  } catch {
    return "";
  } finally {
    await f?.close();
  }
}

export interface HostPortOptions {
  switchTimeoutMs?: number;
  /** How switch-to-configuration runs (default direct). */
  activation?: ActivationMode;
  /** For `systemd` (required there): the file the transient unit's output goes to. */
  activationLog?: string;
  /** For `systemd`: how the agent learns whether an earlier activation unit still runs. */
  units?: UnitState;
  sleep?: Sleep;
  signal?: AbortSignal;
}

export function hostPort(options: HostPortOptions = {}): HostPort {
  const mode = options.activation ?? "direct";
  const timeoutMs = options.switchTimeoutMs ?? 15 * 60_000;
  const signal = options.signal ?? new AbortController().signal;
  const logFile = options.activationLog ?? "";
  if (mode === "systemd" && logFile === "") throw new Error("hostPort: activation systemd needs activationLog (where the transient unit's output goes)");
  return {
    currentSystem: () => linkTarget("/run/current-system"),
    bootedSystem: () => linkTarget("/run/booted-system"),
    async freeBytes(path) {
      try {
        const s = await statfs(path, { bigint: true });
        return Number(s.bavail * s.bsize);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw err;
      }
    },
    async onBoot(storePath) {
      const name = basename(storePath);
      return (await namesUnder("/boot", 3)).some((n) => n.includes(name));
    },
    async switchTo(system, action) {
      const c = switchCommand(mode, system, action, timeoutMs, logFile);
      const failed = (why: string): SwitchResult => ({ command: c.command, action, exitCode: null, signal: null, timedOut: false, stderrTail: why, durationMs: 0 });
      if (mode === "systemd") {
        try {
          if (!(await waitForSwitchUnit(options.units ?? systemctlUnitState, options.sleep ?? realSleep, timeoutMs, signal))) {
            return failed(`an earlier activation (${SWITCH_UNIT}) still runs after ${Math.round(timeoutMs / 1000)} s; not starting another`);
          }
        } catch (err) {
          return failed(`cannot tell whether an earlier activation still runs: ${(err as Error).message}`);
        }
      }
      let r: RunResult;
      try {
        r = await run(c.file, c.args, { timeoutMs: c.timeoutMs, killDelayMs: 10_000, maxOutputBytes: 1 << 20 });
      } catch (err) {
        return failed((err as Error).message);
      }
      // systemd-run (without --quiet) says how the unit ended: "Finished with result: timeout" when RuntimeMaxSec hit.
      const output = mode === "systemd" ? `${await tail(logFile, 4000)}${r.stderr}` : r.stderr;
      return {
        command: c.command, action, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut || /Finished with result: timeout/.test(r.stderr),
        stderrTail: output.slice(-4000), durationMs: Math.round(r.durationMs),
      };
    },
  };
}
