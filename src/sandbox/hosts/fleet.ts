/**
 * A fleet of test hosts on one bridge, and its teardown. Everything a fleet
 * creates is named after its prefix (links and namespaces `hpt-PREFIX…`, the
 * directory `$TMPDIR/hostplane-hosts-PREFIX`), so teardown, the exit hook and
 * sweepStaleTestFleets find it all.
 */
import { mkdir, rm } from "node:fs/promises";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Host, type TestHost } from "./host.js";
import { LIMITED_DIRS, mountTmpfs, unmountUnder, unmountUnderSync, type DiskLimits } from "./_mounts.js";
import { configureHostNet, createRootNet, deleteNet, deleteNetSync, takenNetworks } from "./_net.js";
import { PREFIX_RE, planFleetNet, type FleetNetPlan } from "./_net-plan.js";
import { claimFleetDir } from "./_owner.js";
import { sweepStaleTestFleets } from "./sweep.js";
import { HOSTS_SKIP } from "./_tools.js";

export interface TestFleetOptions {
  hosts: number;
  /** 1-6 of [a-z0-9], unique per test file (test files run in parallel); default `p` + this process's pid in base 36. */
  prefix?: string;
  /** Give hosts and server IPv4 addresses too (default true); IPv6 is always there. */
  ipv4?: boolean;
  /**
   * Size-limited /nix, /boot or /var/lib/hostplane (a tmpfs of that size on the host's directory, so statvfs
   * inside reports it and a full disk fails writes with ENOSPC): for every host, or per host by name/number.
   */
  disks?: DiskLimits | ((host: { name: string; index: number }) => DiskLimits | undefined);
  /**
   * Leave the fleet in place when this process exits (default false: an exit hook tears it down). Its network
   * namespaces stay; each host's mount namespace stays while a process runs inside it. Remove it later with
   * sweepStaleTestFleets(prefix) (the local sandbox's `down`).
   */
  keepAtExit?: boolean;
}

export interface TestFleet {
  readonly prefix: string;
  readonly hosts: readonly TestHost[];
  /** Where hosts reach the control plane: the bridge's addresses in the root namespace. Listen here (or on ::). */
  readonly serverAddress: { ipv6: string; ipv4?: string };
  /** `http://[ipv6]:port` (or the IPv4 form), as a host would address the server. */
  serverUrl(port: number, family?: 4 | 6): string;
  /** The fleet's own directory (hosts' roots, build store, caches); removed by teardown. */
  readonly dir: string;
  /** A chroot Nix store for building fixtures once (`buildSystem(fleet.buildStore, …)`), then copying to hosts. */
  readonly buildStore: string;
  /** Removes every process, namespace, link and directory of the fleet; idempotent, also after a failed creation. */
  teardown(): Promise<void>;
}

const live = new Set<Fleet>();

function exitHook(): void {
  for (const f of live) f.teardownSync();
}

function signalHook(signal: NodeJS.Signals): void {
  exitHook();
  process.kill(process.pid, signal);
}

function watch(fleet: Fleet): void {
  if (live.size === 0) {
    process.on("exit", exitHook);
    // Once: after cleaning up, the re-raised signal gets the default action and ends the process.
    process.once("SIGINT", signalHook);
    process.once("SIGTERM", signalHook);
  }
  live.add(fleet);
}

function unwatch(fleet: Fleet): void {
  live.delete(fleet);
  if (live.size === 0) {
    process.off("exit", exitHook);
    process.off("SIGINT", signalHook);
    process.off("SIGTERM", signalHook);
  }
}

class Fleet implements TestFleet {
  readonly hosts: Host[] = [];
  readonly serverAddress: { ipv6: string; ipv4?: string };
  readonly buildStore: string;
  private tearing: Promise<void> | undefined;

  constructor(readonly prefix: string, readonly dir: string, private readonly plan: FleetNetPlan, private readonly disks: TestFleetOptions["disks"]) {
    this.serverAddress = { ...plan.server };
    this.buildStore = join(dir, "build-store");
  }

  serverUrl(port: number, family: 4 | 6 = 6): string {
    if (family === 4) {
      if (this.serverAddress.ipv4 === undefined) throw new Error(`test fleet ${this.prefix} has no IPv4 (created with ipv4: false)`);
      return `http://${this.serverAddress.ipv4}:${port}`;
    }
    return `http://[${this.serverAddress.ipv6}]:${port}`;
  }

  async start(): Promise<void> {
    await createRootNet(this.plan);
    await Promise.all(this.plan.hosts.map(async (h) => {
      await configureHostNet(h);
      const root = join(this.dir, h.name);
      await mkdir(root);
      const index = Number(h.name.slice(1));
      const limits = typeof this.disks === "function" ? this.disks({ name: h.name, index }) : this.disks;
      for (const [key, sub] of Object.entries(LIMITED_DIRS) as [keyof DiskLimits, string][]) {
        const size = limits?.[key];
        if (size === undefined) continue;
        await mkdir(join(root, sub));
        await mountTmpfs(join(root, sub), size, `hostplane-test-${this.prefix}-${h.name}-${sub}`);
      }
      const host = new Host(h, root);
      this.hosts.push(host);
      await host.boot();
    }));
    this.hosts.sort((a, b) => Number(a.name.slice(1)) - Number(b.name.slice(1)));
  }

  teardown(): Promise<void> {
    this.tearing ??= this.doTeardown();
    return this.tearing;
  }

  private async doTeardown(): Promise<void> {
    const errors: unknown[] = [];
    const step = async (fn: () => Promise<void>): Promise<void> => { try { await fn(); } catch (e) { errors.push(e); } };
    await Promise.all(this.hosts.map((h) => step(() => h.shutdown())));
    // Disks only after every process inside is gone (a lazy unmount would otherwise leave them in use).
    await step(() => unmountUnder(this.dir));
    await step(() => deleteNet(this.plan));
    await step(() => rm(this.dir, { recursive: true, force: true }));
    unwatch(this);
    if (errors.length > 0) throw new AggregateError(errors, `teardown of test fleet ${this.prefix} left something behind: ${errors.map(String).join("; ")}`);
  }

  /** No exit hook for this fleet any more: it outlives this process (teardown() still removes it). */
  keep(): void {
    unwatch(this);
  }

  teardownSync(): void {
    for (const h of this.hosts) h.shutdownSync();
    unmountUnderSync(this.dir);
    deleteNetSync(this.plan);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Makes `hosts` test hosts on a fresh bridge; first removes leftovers of a crashed earlier run with the same prefix. */
export async function createTestFleet(options: TestFleetOptions): Promise<TestFleet> {
  if (HOSTS_SKIP !== undefined) throw new Error(`Cannot create test hosts here: ${HOSTS_SKIP} (tests should skip on HOSTS_SKIP)`);
  const prefix = options.prefix ?? `p${process.pid.toString(36)}`;
  if (!PREFIX_RE.test(prefix)) throw new Error(`test-fleet prefix ${JSON.stringify(prefix)} must be 1-6 of [a-z0-9] (link names are limited to 15 characters)`);
  if ([...live].some((f) => f.prefix === prefix)) throw new Error(`Cannot create test fleet '${prefix}': this process already has a live fleet with that prefix`);
  await sweepStaleTestFleets(prefix);
  const plan = planFleetNet(prefix, options.hosts, { ipv4: options.ipv4 ?? true, taken: await takenNetworks() });
  const dir = await claimFleetDir(prefix);
  const fleet = new Fleet(prefix, dir, plan, options.disks);
  watch(fleet);
  try {
    await fleet.start();
  } catch (err) {
    await fleet.teardown().catch(() => undefined);
    throw new Error(`Cannot create test fleet '${prefix}' of ${options.hosts} host(s): ${(err as Error).message}`, { cause: err });
  }
  if (options.keepAtExit === true) fleet.keep();
  return fleet;
}
