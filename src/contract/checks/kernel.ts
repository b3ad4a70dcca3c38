/** Kernel: a version at or above the baseline, and the config options microVM hosts rely on. */
import { ALL_PROFILES, MICROVM_HOST, known, pass, problem, skip, type CheckDef } from "../check.js";

/** Each entry is satisfied when any one of its options is `y` or `m`; `why` is shown when it is not. */
export interface KernelRequirement { anyOf: readonly string[]; why: string; arch?: string }

export const KERNEL_REQUIREMENTS: readonly KernelRequirement[] = [
  { anyOf: ["CONFIG_KVM"], why: "KVM" },
  { anyOf: ["CONFIG_KVM_INTEL", "CONFIG_KVM_AMD"], why: "KVM for Intel or AMD CPUs", arch: "x86_64" },
  { anyOf: ["CONFIG_TUN"], why: "tap devices for microVM NICs" },
  { anyOf: ["CONFIG_BRIDGE"], why: "the bridge taps attach to" },
  { anyOf: ["CONFIG_VETH"], why: "veth pairs between namespaces" },
  { anyOf: ["CONFIG_NF_TABLES"], why: "nftables" },
  { anyOf: ["CONFIG_NF_TABLES_INET"], why: "nftables inet (dual-stack) tables" },
  { anyOf: ["CONFIG_WIREGUARD"], why: "the WireGuard overlay" },
  { anyOf: ["CONFIG_IPV6"], why: "IPv6" },
  { anyOf: ["CONFIG_CGROUPS"], why: "control groups" },
  { anyOf: ["CONFIG_MEMCG"], why: "the memory controller" },
  { anyOf: ["CONFIG_CGROUP_PIDS"], why: "the pids controller" },
  { anyOf: ["CONFIG_CPUSETS"], why: "the cpuset controller" },
  { anyOf: ["CONFIG_BLK_CGROUP"], why: "the io controller" },
  { anyOf: ["CONFIG_CGROUP_SCHED"], why: "the cpu controller" },
  { anyOf: ["CONFIG_SECCOMP_FILTER"], why: "Firecracker's seccomp filters" },
  { anyOf: ["CONFIG_NET_NS"], why: "network namespaces (jailer)" },
  { anyOf: ["CONFIG_PID_NS"], why: "PID namespaces (jailer)" },
  { anyOf: ["CONFIG_IPC_NS"], why: "IPC namespaces (jailer)" },
  { anyOf: ["CONFIG_UTS_NS"], why: "UTS namespaces (jailer)" },
];

/** Every option name the evaluator may ask about (the gatherer reports exactly these). */
export const KERNEL_CONFIG_KEYS: readonly string[] = [...new Set(KERNEL_REQUIREMENTS.flatMap((r) => r.anyOf))];

/** "6.1.55-hardened" → [6, 1, 55]. */
export function kernelVersionParts(release: string): number[] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function atLeast(have: number[], want: number[]): boolean {
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

export const KERNEL_CHECKS: CheckDef[] = [
  {
    id: "kernel.version", group: "kernel", title: "Kernel at or above the baseline",
    why: "Firecracker validates specific host kernels (5.10, 6.1, 6.18); older kernels lack fixes and features its devices depend on.",
    severity: "fail", profiles: ALL_PROFILES, nixos: ["boot.kernelPackages"], whenUnknown: "fail",
    hint: "choose a kernelPackages at or above the baseline (hostplane.host.kernelBaseline)",
    judge(facts, { config }) {
      const { release } = known(facts.kernel, "kernel release");
      const have = kernelVersionParts(release);
      const want = kernelVersionParts(config.kernelBaseline)!;
      if (!have) return problem(`cannot read a version from "${release}"`);
      return atLeast(have, want) ? pass(`${release} (baseline ${config.kernelBaseline})`) : problem(`${release} is older than the baseline ${config.kernelBaseline}`);
    },
  },
  {
    id: "kernel.config", group: "kernel", title: "Kernel built with what microVM hosts need",
    why: "KVM, tap, bridge, nftables, WireGuard, the cgroup v2 controllers and the jailer's namespaces must be built in or available as modules.",
    severity: "fail", profiles: MICROVM_HOST, nixos: ["boot.kernelPackages"], whenUnknown: "skip",
    hint: "use NixOS's default kernel or enable the missing options in a custom kernel",
    judge(facts) {
      const cfg = known(facts.kernelConfig, "no readable kernel config (/proc/config.gz or /boot/config-*)");
      const missing = KERNEL_REQUIREMENTS
        .filter((r) => r.arch === undefined || r.arch === facts.arch)
        .filter((r) => !r.anyOf.some((k) => cfg.options[k] === "y" || cfg.options[k] === "m"));
      if (missing.length === 0) return pass(`all required options set (${cfg.source})`);
      if (Object.keys(cfg.options).length === 0) return skip(`${cfg.source} reported none of the options`);
      return problem(`not set in ${cfg.source}: ${missing.map((r) => `${r.anyOf.join(" or ")} (${r.why})`).join(", ")}`);
    },
  },
];
