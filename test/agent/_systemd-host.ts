/**
 * A test host with a real systemd as its PID 1, for running the agent the
 * way a NixOS host runs it: as a unit under the sandbox the NixOS module
 * gives it (nixos/modules/host/lib.nix, evaluated here with a bare
 * nix-instantiate), nix-daemon socket-activated, D-Bus, and activations as
 * transient units (systemd-run).
 *
 * systemd runs in new PID, mount and cgroup namespaces inside the test
 * host's own (its /run, /nix, /boot and state), in a cgroup of its own
 * (hostplane-test-NAME, removed at the end). It loads only the units this
 * helper writes (SYSTEMD_UNIT_PATH replaces every unit directory, and there
 * are no generators), so none of the machine's units run: no tmpfiles, no
 * getty. /tmp and /var/tmp are fresh tmpfs for it. Its console (and every
 * PID 1 sends its own output to /dev/console; the units this helper writes log
 * to /run/hp-logs/UNIT.log (output() reads them).
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../../src/process/run.js";
import type { HostProcess, HostProcessExit, TestHost } from "../harness/hosts/index.js";
import { waitFor } from "./_harness.js";

const LIB_NIX = fileURLToPath(new URL("../../../nixos/modules/host/lib.nix", import.meta.url));
const SYSTEMD = ["/lib/systemd/systemd", "/usr/lib/systemd/systemd"].find((p) => existsSync(p));
const DBUS_DAEMON = ["/usr/bin/dbus-daemon"].find((p) => existsSync(p));
const NIX_DAEMON = ["/usr/bin/nix-daemon"].find((p) => existsSync(p));

/** Why systemd test hosts cannot run here (undefined: they can). */
export function systemdHostSkip(): string | undefined {
  if (SYSTEMD === undefined) return "systemd is not installed (/lib/systemd/systemd)";
  if (DBUS_DAEMON === undefined) return "dbus-daemon is not installed (package dbus)";
  if (NIX_DAEMON === undefined) return "nix-daemon is not installed (package nix-bin)";
  if (!existsSync("/sys/fs/cgroup/cgroup.procs") && !existsSync("/sys/fs/cgroup/unified/cgroup.procs")) return "no cgroup v2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified";
  return undefined;
}

/** A [Service] section the way NixOS writes serviceConfig: lists as repeated keys, booleans as true/false. */
export function serviceLines(serviceConfig: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(serviceConfig)) {
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${key}=${typeof v === "boolean" ? (v ? "true" : "false") : String(v)}`);
  }
  return lines;
}

/** The agent unit's serviceConfig and environment from the NixOS module's lib.nix (what agent.nix uses). */
export async function agentUnitFromModule(stateDir: string): Promise<{ serviceConfig: Record<string, unknown>; environment: Record<string, string> }> {
  const expr = `let hp = import ${LIB_NIX}; in { serviceConfig = hp.agentServiceConfig ${JSON.stringify(stateDir)}; environment = hp.agentEnvironment ${JSON.stringify(stateDir)}; }`;
  const out = await new Promise<string>((resolve, reject) => {
    execFile("nix-instantiate", ["--eval", "--strict", "--json", "-E", expr], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`cannot evaluate ${LIB_NIX}: ${stderr || err.message}`)); else resolve(stdout);
    });
  });
  return JSON.parse(out) as { serviceConfig: Record<string, unknown>; environment: Record<string, string> };
}

// Runs inside the test host (nsenter). $1: cgroup name, $2: unit directory (inside the host), $3: systemd, then
// pairs of SOURCE TARGET to bind. The outer shell moves itself into its own cgroup; the inner one (new mount, PID
// and cgroup namespaces) makes the binds, mounts that cgroup as /sys/fs/cgroup, fresh /tmp and /var/tmp, and
// becomes systemd.
const LAUNCH = `set -eu
if [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then v2=/sys/fs/cgroup/unified; else v2=/sys/fs/cgroup; fi
mkdir -p "$v2/$1"
echo $$ > "$v2/$1/cgroup.procs"
if [ -d /sys/fs/cgroup/systemd ] && [ "$v2" != /sys/fs/cgroup ]; then mkdir -p "/sys/fs/cgroup/systemd/$1"; echo $$ > "/sys/fs/cgroup/systemd/$1/cgroup.procs"; fi
shift
exec unshare --kill-child=SIGKILL --cgroup --pid --fork --mount --mount-proc --propagation private /bin/sh -c '
set -eu
units="$1"; systemd="$2"; shift 2
while [ $# -gt 1 ]; do mkdir -p "$2"; mount --bind "$1" "$2"; shift 2; done
umount -R -l /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
exec env -i container=hostplane-test SYSTEMD_UNIT_PATH="$units" SYSTEMD_GENERATOR_PATH=/nonexistent SYSTEMD_ENVIRONMENT_GENERATOR_PATH=/nonexistent \\
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \\
  "$systemd" --system --unit=hostplane-host.target --log-target=console --log-level=notice --show-status=false \\
  --default-standard-output=null --default-standard-error=null
' inner "$@"
`;

const BASE_TARGETS = ["sysinit.target", "basic.target", "sockets.target", "paths.target", "timers.target", "slices.target", "local-fs.target", "swap.target",
  "shutdown.target", "network.target", "network-online.target", "multi-user.target"];

export interface SystemdHostOptions {
  /** Environment of nix-daemon (its Nix settings). */
  nixDaemonEnv: Record<string, string>;
  /** Extra units: file name → text. */
  units: Record<string, string>;
  /** Units hostplane-host.target starts. */
  start: readonly string[];
  /** Directories bound into systemd's mount namespace before /tmp is replaced (a checkout under /tmp, say). */
  binds?: readonly { source: string; target: string }[];
}

export class SystemdHost {
  proc: HostProcess | undefined;
  private ended: HostProcessExit | undefined;
  private logDir = "";
  private readonly cgroup: string;

  constructor(readonly host: TestHost) {
    this.cgroup = `hostplane-test-${host.netns}`;
  }

  /** Writes the units and boots systemd; resolves once `systemctl is-system-running` answers running or degraded. */
  async boot(o: SystemdHostOptions): Promise<void> {
    const unitDir = join(this.host.root, "run", "hp-units");
    await mkdir(unitDir, { recursive: true });
    const env = (vars: Record<string, string>) => Object.entries(vars).map(([k, v]) => `Environment=${JSON.stringify(`${k}=${v}`)}`);
    const files: Record<string, string> = {
      "hostplane-host.target": `[Unit]\nDescription=hostplane test host\nWants=${["dbus.socket", "nix-daemon.socket", ...o.start].join(" ")}\n`,
      "dbus.socket": "[Unit]\nDescription=D-Bus system bus socket\n[Socket]\nListenStream=/run/dbus/system_bus_socket\n",
      "dbus.service": `[Unit]\nDescription=D-Bus system bus\nRequires=dbus.socket\n[Service]\nExecStart=${DBUS_DAEMON!} --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only\n`,
      "nix-daemon.socket": "[Unit]\nDescription=Nix daemon socket\n[Socket]\nListenStream=/nix/var/nix/daemon-socket/socket\n",
      "nix-daemon.service": `[Unit]\nDescription=Nix daemon\nRequires=nix-daemon.socket\n[Service]\nExecStart=${NIX_DAEMON!} --daemon\n${env(o.nixDaemonEnv).join("\n")}\n`,
      // Empty stand-ins for the targets units' default dependencies name (also the transient units'), which
      // this systemd does not load from the machine.
      ...Object.fromEntries(BASE_TARGETS.map((t) => [t, `[Unit]\nDescription=${t} (empty)\n`])),
      ...o.units,
    };
    const logs = join(this.host.root, "run", "hp-logs");
    await mkdir(logs, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      const logged = name.endsWith(".service") ? text.replace("[Service]\n", `[Service]\nStandardOutput=append:/run/hp-logs/${name}.log\nStandardError=append:/run/hp-logs/${name}.log\n`) : text;
      await writeFile(join(unitDir, name), logged);
    }
    this.logDir = logs;
    await mkdir(join(this.host.root, "run", "dbus"), { recursive: true });
    await mkdir(join(this.host.root, "nix", "var", "nix", "daemon-socket"), { recursive: true });
    this.proc = this.host.spawn("/bin/sh", ["-c", LAUNCH, "launch", this.cgroup, "/run/hp-units", SYSTEMD!, ...(o.binds ?? []).flatMap((b) => [b.source, b.target])]);
    void this.proc.exited.then((e) => { this.ended = e; });
    let last = "";
    await waitFor(`systemd on ${this.host.name} is up`, async () => {
      if (this.ended !== undefined) throw new Error(`systemd on ${this.host.name} exited ${this.ended.exitCode ?? this.ended.signal}`);
      const r = await this.systemctl(["is-system-running"]);
      last = `${r.stdout.trim()} ${r.stderr.trim()}`;
      return ["running", "degraded"].includes(r.stdout.trim());
    }, 60_000, 200).catch(async (err: Error) => {
      const jobs = await this.systemctl(["list-jobs"]).catch(() => null);
      throw new Error(`${err.message} (systemctl is-system-running: ${last}; jobs: ${jobs?.stdout ?? "?"})\n${this.output().slice(-4000)}`);
    });
  }

  /**
   * Runs systemctl inside systemd's own namespaces (from the host's mount namespace alone, systemd refuses the
   * connection to its private socket: the caller's pid is not in its PID namespace).
   */
  async systemctl(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const pid = this.systemdPid();
    if (pid === undefined) return { code: null, stdout: "", stderr: "systemd is not running" };
    const r = await run("nsenter", [`--target=${pid}`, "--mount", "--pid", "--uts", "--net", "--", "systemctl", "--no-pager", ...args], { timeoutMs: 30_000, env: { PATH: this.host.env["PATH"]! } });
    return { code: r.exitCode, stdout: r.stdout.toString("utf8"), stderr: r.stderr };
  }

  /** systemd's pid as this process sees it: the child unshare forked. */
  private systemdPid(): number | undefined {
    if (this.proc === undefined) return undefined;
    try {
      const first = readFileSync(`/proc/${this.proc.pid}/task/${this.proc.pid}/children`, "utf8").trim().split(/\s+/)[0];
      return first === undefined || first === "" ? undefined : Number(first);
    } catch {
      return undefined;
    }
  }

  /** One property of a unit (`systemctl show -p NAME --value`). */
  async property(unit: string, name: string): Promise<string> {
    return (await this.systemctl(["show", unit, "-p", name, "--value"])).stdout.trim();
  }

  /** The launcher's output and every unit's log. */
  output(): string {
    const logs = this.logDir === "" ? [] : readdirSync(this.logDir).sort().map((f) => `--- ${f}\n${readFileSync(join(this.logDir, f), "utf8")}`);
    return [`${this.proc?.stdout() ?? ""}${this.proc?.stderr() ?? ""}`, ...logs].join("\n");
  }

  /** Kills systemd (and so its whole PID namespace) and removes its cgroups. */
  async stop(): Promise<void> {
    this.proc?.kill("SIGKILL");
    await this.proc?.exited;
    // The PID namespace dies with its init; its cgroups empty a moment later.
    for (const base of ["/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup"]) {
      const dir = join(base, this.cgroup);
      if (existsSync(dir)) await waitFor(`cgroup ${dir} removed`, async () => { await removeTree(dir); return !existsSync(dir); }, 10_000, 100).catch(() => {});
    }
  }
}

/** rmdir of a cgroup tree, deepest first (cgroup directories cannot be removed while they have children). */
async function removeTree(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await removeTree(join(dir, e.name));
  await rmdir(dir).catch(() => {});
}
