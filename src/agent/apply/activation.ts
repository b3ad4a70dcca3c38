/**
 * How `bin/switch-to-configuration` runs (docs/ops/upgrades-and-rollback.md,
 * "Activation under systemd").
 *
 * - `direct`: a child of the agent. For hosts without systemd as PID 1 (the
 *   test hosts) and for agents run by hand.
 * - `systemd`: a transient unit, `systemd-run --wait`, as nixos-rebuild does.
 *   The activation then runs outside the agent's sandbox (it writes /boot,
 *   /etc and /run and restarts units, which the agent's unit may not), and it
 *   outlives the agent if the agent is stopped mid-activation (its output goes
 *   to a file the agent reads afterwards, not to a pipe). The unit name
 *   is fixed, so two activations can never overlap: before starting one, the
 *   agent waits for a unit of that name left running by an earlier agent
 *   process. systemd enforces the time limit (RuntimeMaxSec), so the limit
 *   holds even when the agent is gone.
 */
import { existsSync } from "node:fs";
import { run, type RunResult } from "../../process/run.js";
import type { Sleep } from "../backoff.js";

export type ActivationMode = "direct" | "systemd";

/** The transient unit an activation runs as (mode `systemd`). */
export const SWITCH_UNIT = "hostplane-switch-to-configuration.service";

/** `auto` → `systemd` when systemd is PID 1 (it made /run/systemd/system, as sd_booted checks), else `direct`. */
export function activationMode(spec: string, runDir = "/run"): ActivationMode | null {
  if (spec === "direct" || spec === "systemd") return spec;
  if (spec === "auto") return existsSync(`${runDir}/systemd/system`) ? "systemd" : "direct";
  return null;
}

export interface SwitchCommand {
  /** What the journal shows as the command. */
  readonly command: string;
  readonly file: string;
  readonly args: readonly string[];
  /** The agent's own limit on the child (systemd enforces the real one, a little earlier). */
  readonly timeoutMs: number;
}

/** Environment an activation takes from the agent (as nixos-rebuild passes them to its transient unit). */
const PASSED_ENV = ["LOCALE_ARCHIVE", "NIXOS_INSTALL_BOOTLOADER"];

/**
 * `logFile`: where a transient unit's output goes (mode `systemd`). Not a pipe to the agent: if the agent is
 * stopped mid-activation, an activation writing to a closed pipe would die of SIGPIPE half-way.
 */
export function switchCommand(mode: ActivationMode, system: string, action: "test" | "boot", timeoutMs: number, logFile: string): SwitchCommand {
  const command = `${system}/bin/switch-to-configuration`;
  if (mode === "direct") return { command, file: command, args: [action], timeoutMs };
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  return {
    command: `systemd-run --unit=${SWITCH_UNIT} … ${command} ${action}`,
    file: "systemd-run",
    args: [
      `--unit=${SWITCH_UNIT}`, `--description=hostplane: switch-to-configuration ${action} ${system}`,
      "--wait", "--collect", "--no-ask-password", "--service-type=exec",
      `--property=RuntimeMaxSec=${seconds}`, "--property=KillMode=mixed",
      `--property=StandardOutput=truncate:${logFile}`, "--property=StandardError=inherit",
      ...PASSED_ENV.flatMap((name) => (process.env[name] === undefined ? [] : [`--setenv=${name}`])),
      "--", command, action,
    ],
    // systemd stops the unit at RuntimeMaxSec; the agent gives it a minute more to say so.
    timeoutMs: timeoutMs + 60_000,
  };
}

export interface UnitState {
  /** `systemctl is-active` of the unit: active, activating, deactivating, inactive, failed, … */
  isActive(unit: string): Promise<string>;
}

export const systemctlUnitState: UnitState = {
  async isActive(unit) {
    const r: RunResult = await run("systemctl", ["is-active", unit], { timeoutMs: 30_000 });
    // is-active exits non-zero for anything but active, printing the state all the same.
    const state = r.stdout.toString("utf8").trim();
    if (state === "") throw new Error(`systemctl is-active ${unit} printed nothing (exit ${r.exitCode ?? r.signal}): ${r.stderr.trim().slice(-300)}`);
    return state;
  },
};

const RUNNING_STATES = new Set(["active", "activating", "deactivating", "reloading", "refreshing"]);

/**
 * Waits until no activation unit runs (an agent stopped mid-activation leaves it running); false when
 * `timeoutMs` passed or the wait was aborted first.
 */
export async function waitForSwitchUnit(units: UnitState, sleep: Sleep, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!RUNNING_STATES.has(await units.isActive(SWITCH_UNIT))) return true;
    if (Date.now() >= deadline) return false;
    if (!(await sleep(Math.min(1000, Math.max(0, deadline - Date.now())), signal))) return false;
  }
}
