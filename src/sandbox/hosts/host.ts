/**
 * One test host: a named network namespace (eth0 on the fleet's bridge) plus
 * mount and UTS namespaces in which the host's own directories are /nix,
 * /run, /boot and /var/lib/hostplane. Commands enter all three with nsenter.
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { offlineNixConfig } from "../../nix/index.js";
import { run, type RunResult } from "../../process/run.js";
import { wrapHostProcess, type HostProcess } from "./_host-process.js";
import { bootMountNamespace, type BindMount, type MountNamespace } from "./_mount-ns.js";
import { cutHostNet, restoreHostNet, type CutMode } from "./_net.js";
import type { HostNetPlan } from "./_net-plan.js";
import { initStore } from "./_store-init.js";
import { killNamespaces, killNamespacesSync, pidsInNamespaces, type NamespaceIds } from "./_processes.js";
import { TOOLS } from "./_tools.js";

export interface HostExecOptions {
  timeoutMs?: number;
  /** Added to (and overriding) the host's environment, `host.env`. */
  env?: Record<string, string>;
  input?: string;
  /** Working directory inside the host (default /). */
  cwd?: string;
}

export interface TestHost {
  /** "h1", "h2", …; also the hostname inside the host. */
  readonly name: string;
  readonly netns: string;
  readonly ipv6: string;
  readonly ipv4?: string;
  /** This host's directory in the root namespace: nix/, run/, boot/, state/ (its /var/lib/hostplane), home/ (its HOME). */
  readonly root: string;
  /** The environment commands get (clean, not the test's): PATH, HOME, LANG, offline NIX_CONFIG, XDG_CACHE_HOME. */
  readonly env: Readonly<Record<string, string>>;
  /** Runs a command inside the host and returns the result as a value (a non-zero exit is not an error). */
  exec(cmd: string, args: readonly string[], opts?: HostExecOptions): Promise<RunResult>;
  /** Starts a long-running process inside the host; teardown and power cycles end it. */
  spawn(cmd: string, args: readonly string[], opts?: Omit<HostExecOptions, "input" | "timeoutMs">): HostProcess;
  /**
   * Cuts the host off: "drop" (default) silently drops every packet but loopback in the host's namespace, like a
   * partition; "link-down" sets the hub end of its veth down, like a pulled cable (eth0 loses carrier).
   */
  cutNetwork(options?: { mode?: CutMode }): Promise<void>;
  /** Undoes a cut (no-op when not cut). */
  restoreNetwork(): Promise<void>;
  /** Pids of every process inside the host now. */
  processes(): number[];
  /** Namespace inodes of the host now (the mount namespace changes with each power cycle). */
  namespaces(): { mnt: number; net: number };
  /**
   * Pulls the plug and turns it on again: SIGKILL to every process inside, new mount and UTS namespaces,
   * and (default) an empty /run. Disks (/nix, /boot, state) and the network stay. Starts nothing.
   */
  powerCycle(options?: { freshRun?: boolean }): Promise<void>;
}

export class Host implements TestHost {
  readonly name: string;
  readonly netns: string;
  readonly ipv6: string;
  readonly ipv4?: string;
  readonly env: Readonly<Record<string, string>>;
  private ns: MountNamespace | undefined;
  private readonly netInode: number;
  private cut: CutMode | undefined;
  private readonly spawned = new Set<HostProcess>();

  constructor(private readonly plan: HostNetPlan, readonly root: string) {
    this.name = plan.name;
    this.netns = plan.netns;
    this.ipv6 = plan.ipv6;
    if (plan.ipv4 !== undefined) this.ipv4 = plan.ipv4;
    this.netInode = statSync(`/run/netns/${plan.netns}`).ino;
    this.env = {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: join(root, "home"),
      LANG: "C.UTF-8",
      NIX_CONFIG: `${offlineNixConfig()}\nsandbox = false`,
      // Nix caches binary-cache lookups (also failed ones) here; per host, so hosts do not see each other's.
      XDG_CACHE_HOME: join(root, "home", ".cache"),
    };
  }

  private mounts(): BindMount[] {
    return [
      { source: join(this.root, "run"), target: "/run" },
      { source: join(this.root, "nix"), target: "/nix" },
      { source: join(this.root, "boot"), target: "/boot" },
      { source: join(this.root, "state"), target: "/var/lib/hostplane" },
    ];
  }

  async boot(): Promise<void> {
    for (const dir of ["run", "nix", "boot", "state", "home"]) await mkdir(join(this.root, dir), { recursive: true });
    // Mount points must exist on the machine; made once if missing (empty directories, left in place).
    for (const m of this.mounts()) await mkdir(m.target, { recursive: true });
    await initStore(this.root);
    this.ns = await bootMountNamespace(this.netns, this.name, this.mounts());
  }

  private enter(): string[] {
    if (this.ns === undefined) throw new Error(`test host ${this.name} is not running`);
    return this.ns.enterArgs();
  }

  /**
   * nsenter's own --wd opens the directory before entering the mount namespace (so it would be the machine's);
   * env --chdir changes directory inside, then execs the command in place (same pid).
   */
  private argv(cmd: string, args: readonly string[], cwd: string | undefined): string[] {
    return [...this.enter(), ...(cwd === undefined ? [] : ["/usr/bin/env", `--chdir=${cwd}`, "--"]), cmd, ...args];
  }

  async exec(cmd: string, args: readonly string[], opts: HostExecOptions = {}): Promise<RunResult> {
    return await run(TOOLS.nsenter, this.argv(cmd, args, opts.cwd), {
      env: { ...this.env, ...opts.env },
      timeoutMs: opts.timeoutMs ?? 60_000,
      ...(opts.input === undefined ? {} : { input: opts.input }),
    });
  }

  spawn(cmd: string, args: readonly string[], opts: Omit<HostExecOptions, "input" | "timeoutMs"> = {}): HostProcess {
    // detached: its own process group, so kill({ group: true }) reaches its children too.
    const child = spawn(TOOLS.nsenter, this.argv(cmd, args, opts.cwd), { env: { ...this.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const p = wrapHostProcess(child, `${cmd} on test host ${this.name}`);
    this.spawned.add(p);
    void p.exited.then(() => this.spawned.delete(p));
    return p;
  }

  async cutNetwork(options: { mode?: CutMode } = {}): Promise<void> {
    const mode = options.mode ?? "drop";
    if (this.cut !== undefined && this.cut !== mode) await this.restoreNetwork();
    if (this.cut === mode) return;
    await cutHostNet(this.plan, mode);
    this.cut = mode;
  }

  async restoreNetwork(): Promise<void> {
    if (this.cut === undefined) return;
    await restoreHostNet(this.plan, this.cut);
    this.cut = undefined;
  }

  private ids(): NamespaceIds {
    return this.ns === undefined ? { net: this.netInode } : { mnt: this.ns.mntInode, net: this.netInode };
  }

  processes(): number[] {
    return pidsInNamespaces([this.ids()]);
  }

  namespaces(): { mnt: number; net: number } {
    if (this.ns === undefined) throw new Error(`test host ${this.name} is not running`);
    return { mnt: this.ns.mntInode, net: this.netInode };
  }

  async powerCycle(options: { freshRun?: boolean } = {}): Promise<void> {
    await this.shutdown({ graceMs: 0 });
    if (options.freshRun ?? true) {
      await rm(join(this.root, "run"), { recursive: true, force: true });
    }
    await this.boot();
  }

  /** Ends every process inside (SIGTERM, then SIGKILL after graceMs) and closes the namespaces. */
  async shutdown(options: { graceMs?: number } = {}): Promise<void> {
    await killNamespaces([this.ids()], { graceMs: options.graceMs ?? 2000 });
    // A process spawned a moment ago may not have entered the namespaces yet: it is our child, so its pid is its own.
    for (const p of this.spawned) p.kill("SIGKILL");
    await Promise.all([...this.spawned].map((p) => p.exited));
    this.ns?.close();
    this.ns = undefined;
  }

  /** For the synchronous exit hook. */
  shutdownSync(): void {
    killNamespacesSync([this.ids()]);
    this.ns?.close();
    this.ns = undefined;
  }
}
