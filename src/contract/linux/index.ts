/**
 * The Linux adapter of the host contract: gathers a facts snapshot from
 * /proc, /sys, /dev, a few host tools and KVM ioctls. Every probe answers
 * `{ ok: true, value }` or `{ ok: false, reason }`, so gatherFacts never
 * throws for anything the host does; independent probes run concurrently.
 */
import { hostname, machine } from "node:os";
import { FACTS_SCHEMA_ID, SCRATCH_NOT_RUN, type Facts } from "../facts.js";
import { gatherCgroup } from "./_cgroup.js";
import { makeContext, type RootName } from "./_context.js";
import { gatherCpu } from "./_cpu.js";
import { gatherHygiene } from "./_hygiene.js";
import { gatherKernel } from "./_kernel.js";
import { gatherKvm } from "./_kvm.js";
import { gatherNetHost } from "./_net-host.js";
import { gatherNix } from "./_nix.js";
import { gatherScratch } from "./_scratch.js";
import { gatherServices } from "./_services.js";
import { gatherStorage } from "./_storage.js";

export interface GatherOptions {
  /** Kernel config option names to report, e.g. ["CONFIG_KVM", "CONFIG_TUN"]. */
  kernelConfigKeys: readonly string[];
  /** KVM capabilities to check with KVM_CHECK_EXTENSION: name → KVM_CAP number (for this arch). */
  kvmCapabilities: Readonly<Record<string, number>>;
  /** Canonical storage paths to stat and statfs. */
  storagePaths: readonly { role: string; path: string }[];
  /** systemd slice that runs microVMs, e.g. "microvms.slice" or "hostplane-microvms.slice" (systemd's dash rule: a-b.slice lives in a.slice/a-b.slice). */
  microvmSlice: string;
  /** Run the scratch-namespace probes (default true). */
  scratch?: boolean;
  /** Filesystem roots, for tests that point the gatherer at a fake tree: defaults "/proc", "/sys", "/dev", "/etc", "/var", "/boot". */
  roots?: Partial<Record<RootName, string>>;
  /** Directory holding the tools (nft, ip, unshare, systemctl, systemd-analyze, timedatectl, nix); default: search PATH. */
  toolPath?: string;
  /** Per-subprocess timeout, default 5000 ms. */
  timeoutMs?: number;
}

export async function gatherFacts(options: GatherOptions): Promise<Facts> {
  const started = performance.now();
  const gatheredAt = new Date().toISOString();
  const ctx = makeContext(options);
  const [kernel, cpu, kvm, cgroup, netHost, scratch, storage, services, hygiene, nix] = await Promise.all([
    gatherKernel(ctx, options.kernelConfigKeys),
    gatherCpu(ctx),
    gatherKvm(ctx, options.kvmCapabilities),
    gatherCgroup(ctx, options.microvmSlice),
    gatherNetHost(ctx),
    options.scratch === false
      ? Promise.resolve({ ok: false as const, reason: SCRATCH_NOT_RUN })
      : gatherScratch(ctx),
    gatherStorage(options.storagePaths),
    gatherServices(ctx),
    gatherHygiene(ctx),
    gatherNix(ctx),
  ]);
  return {
    schema: FACTS_SCHEMA_ID,
    gatheredAt,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    hostname: hostname(),
    arch: machine(),
    euid: ctx.euid,
    ...kernel,
    ...cpu,
    kvm,
    cgroup,
    net: { ...netHost, scratch },
    storage,
    services,
    hygiene,
    nix,
  };
}
