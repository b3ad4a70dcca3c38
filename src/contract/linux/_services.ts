/**
 * Host services the platform leans on: what PID 1 is, journald's effective
 * storage settings, and time synchronisation. The last two are asked of
 * systemd, so when PID 1 is something else they are reasons, not guesses.
 */
import type { Facts, Probe } from "../facts.js";
import { at, type GatherContext } from "./_context.js";
import { readText, statOf } from "./_fs.js";
import { parseJournaldConfig } from "./_journald-config.js";
import { probe, ProbeError, unexpectedContent } from "./_probe.js";

type Pid1 = Extract<Facts["services"]["pid1"], { ok: true }>["value"];

/** In order of preference: the first one systemd reports active is the host's time service. */
const TIME_SERVICES = ["systemd-timesyncd", "chronyd", "chrony", "ntpd"];

export async function gatherServices(ctx: GatherContext): Promise<Facts["services"]> {
  const pid1 = await probe("pid 1", () => _pid1(ctx));
  const [journald, timeSync] = await Promise.all([
    _underSystemd(pid1, "journald", () => _journald(ctx)),
    _underSystemd(pid1, "time sync", () => _timeSync(ctx)),
  ]);
  return { pid1, journald, timeSync };
}

async function _pid1(ctx: GatherContext): Promise<Pid1> {
  const path = at(ctx, "proc", "1/comm");
  const comm = (await readText(path)).trim();
  if (comm === "") throw unexpectedContent(path, comm, "a command name");
  if (comm !== "systemd") return { comm, systemdVersion: null };
  const out = await ctx.tools.output("systemctl", ["--version"]);
  const m = /^systemd (\d+)/.exec(out);
  if (!m) throw new ProbeError(`cannot read a version from systemctl --version: ${JSON.stringify(out.slice(0, 60))}`);
  return { comm, systemdVersion: Number(m[1]) };
}

function _underSystemd<T>(pid1: Probe<Pid1>, what: string, fn: () => Promise<T>): Promise<Probe<T>> {
  if (!pid1.ok) return Promise.resolve({ ok: false, reason: `cannot tell whether systemd runs ${what}: ${pid1.reason}` });
  if (pid1.value.comm !== "systemd") {
    return Promise.resolve({ ok: false, reason: `PID 1 is ${pid1.value.comm}, not systemd: ${what} is not managed by systemd on this host, so its state is not asked` });
  }
  return probe(what, fn);
}

async function _isActive(ctx: GatherContext, unit: string): Promise<boolean> {
  // is-active exits 0 when active and 3 (or 4: no such unit) otherwise; stdout is the state either way.
  const out = await ctx.tools.output("systemctl", ["is-active", unit], { okExit: (c) => c === 3 || c === 4 });
  return out.trim() === "active";
}

async function _journald(ctx: GatherContext) {
  const [active, config, dir] = await Promise.all([
    _isActive(ctx, "systemd-journald"),
    ctx.tools.output("systemd-analyze", ["cat-config", "systemd/journald.conf"]),
    statOf(at(ctx, "var", "log/journal")),
  ]);
  return { active, ...parseJournaldConfig(config), persistentDir: dir.exists && dir.type === "dir" };
}

async function _timeSync(ctx: GatherContext) {
  const [actives, synced] = await Promise.all([
    Promise.all(TIME_SERVICES.map((s) => _isActive(ctx, s))),
    // NTPSynchronized needs timedated over D-Bus; when that is not there the answer is unknown (null), not "no".
    ctx.tools.output("timedatectl", ["show", "-p", "NTPSynchronized", "--value"]).then((o) => o.trim(), () => ""),
  ]);
  const service = TIME_SERVICES.find((_, i) => actives[i]) ?? null;
  return { service, synchronized: synced === "yes" ? true : synced === "no" ? false : null };
}
