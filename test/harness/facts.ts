/**
 * Synthetic facts snapshots for evaluating the host contract without a host:
 * `conformingFacts()` is a microVM host that honours every check under the
 * default site config; tests change one fact at a time.
 */
import { DEFAULT_PATHS } from "../../src/contract/config.js";
import { FACTS_SCHEMA_ID, type Facts, type Probe } from "../../src/contract/facts.js";
import { KVM_CAPABILITIES } from "../../src/contract/checks/kvm.js";
import { KERNEL_CONFIG_KEYS } from "../../src/contract/checks/kernel.js";
import { CACHE_NIXOS_ORG_KEY } from "../../src/guard/cache-trust/nix-settings.js";

const ok = <T>(value: T): Probe<T> => ({ ok: true, value });
const GiB = 1024 ** 3;
const CONTROLLERS = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"];
const step = { created: true, removed: true };

function storage(role: string, path: string, mode: number, free: number): Facts["storage"][number] {
  return {
    role, path,
    stat: ok({ exists: true, type: "dir", uid: 0, gid: 0, mode }),
    usage: ok({ fsType: 0xef53, totalBytes: 500 * GiB, availableBytes: free, totalInodes: 1e7, freeInodes: 9e6, measuredAt: path }),
  };
}

export function conformingFacts(): Facts {
  return {
    schema: FACTS_SCHEMA_ID, gatheredAt: "2026-11-26T00:00:00.000Z", durationMs: 120, hostname: "node-1", arch: "x86_64", euid: 0,
    kernel: ok({ release: "6.6.58", version: "#1-NixOS SMP PREEMPT_DYNAMIC" }),
    kernelConfig: ok({ source: "/proc/config.gz", options: Object.fromEntries(KERNEL_CONFIG_KEYS.map((k) => [k, k === "CONFIG_KVM_AMD" ? null : "y"])) }),
    cmdline: ok("init=/nix/store/x-nixos-system/init systemd.unified_cgroup_hierarchy=1"),
    cpu: ok({ vendor: "GenuineIntel", model: "Intel(R) Xeon(R) Gold 6338", count: 64, flags: ["fpu", "vmx", "sse4_2", "avx2"] }),
    cpuVulnerabilities: ok({ itlb_multihit: "KVM: Mitigation: VMX disabled", meltdown: "Not affected", spectre_v2: "Mitigation: Enhanced / Automatic IBRS" }),
    smt: ok({ control: "off", active: false }),
    kvm: {
      device: ok({ exists: true, type: "char", uid: 0, gid: 0, mode: 0o660, readable: true, writable: true }),
      apiVersion: ok(12),
      extensions: ok(Object.fromEntries(Object.keys(KVM_CAPABILITIES["x86_64"]!).map((k) => [k, 1]))),
      moduleParams: ok({ "kvm.nx_huge_pages": "auto", "kvm_intel.nested": "N" }),
    },
    cgroup: {
      rootFsType: ok(0x63677270),
      unifiedMount: ok("/sys/fs/cgroup"),
      root: ok({ path: "/sys/fs/cgroup", exists: true, controllers: CONTROLLERS, subtreeControl: ["cpuset", "cpu", "io", "memory", "pids"] }),
      slice: ok({ path: "/sys/fs/cgroup/microvms.slice", exists: true, controllers: ["cpuset", "cpu", "io", "memory", "pids"], subtreeControl: ["cpu", "memory"] }),
    },
    net: {
      nft: ok({ version: "nftables v1.0.9 (Old Doc Yak #3)", listOk: true }),
      legacyIptables: ok({ ipv4: [], ipv6: [] }),
      scratch: ok({ method: "unshare --net", bridge: step, tap: step, tapOnBridge: step, veth: step, wireguard: step, nftables: step }),
      devices: {
        "/dev/net/tun": ok({ exists: true, type: "char", uid: 0, gid: 0, mode: 0o666 }),
        "/dev/vhost-vsock": ok({ exists: true, type: "char", uid: 0, gid: 0, mode: 0o600 }),
        "/dev/vhost-net": ok({ exists: true, type: "char", uid: 0, gid: 0, mode: 0o600 }),
      },
      ipv6: ok({ disabledAll: false, disabledDefault: false, ifInet6: true }),
      forwarding: ok({ ipv4: true, ipv6: true }),
      links: ok({ lo: { kind: "", up: true }, eno1: { kind: "", up: true }, hpbr0: { kind: "bridge", up: true }, "wg-hostplane": { kind: "wireguard", up: true } }),
    },
    storage: [
      ...Object.entries(DEFAULT_PATHS).map(([role, p]) => storage(role, p.path, p.mode, 100 * GiB)),
      storage("nix", "/nix", 0o755, 80 * GiB),
      storage("boot", "/boot", 0o755, 800 * 1024 ** 2),
    ],
    services: {
      pid1: ok({ comm: "systemd", systemdVersion: 256 }),
      journald: ok({ active: true, storage: "persistent", systemMaxUse: "2G", persistentDir: true }),
      timeSync: ok({ service: "systemd-timesyncd", synchronized: true }),
    },
    hygiene: { swaps: ok([]), ksmRun: ok(0) },
    nix: ok({
      version: "nix (Nix) 2.24.10",
      settings: {
        substituters: { value: ["https://cache.nixos.org/"] },
        "trusted-public-keys": { value: [CACHE_NIXOS_ORG_KEY] },
        "require-sigs": { value: true },
        "trusted-users": { value: ["root"] },
        "accept-flake-config": { value: false },
      },
    }),
  };
}

/** A copy of `facts` changed by `edit`. */
export function withFacts(edit: (f: Facts) => void, base: Facts = conformingFacts()): Facts {
  const f = structuredClone(base);
  edit(f);
  return f;
}

/** Every probe in the snapshot replaced by a failed one (what a badly broken host looks like). */
export function allUnknown(): Facts {
  const reason = "cannot read: EIO";
  const visit = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(visit);
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    if (typeof o["ok"] === "boolean") return { ok: false, reason };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, visit(x)]));
  };
  return visit(conformingFacts()) as Facts;
}
