/** cgroup v2: the unified hierarchy, its controllers, and their delegation to the microVM slice. */
import { MICROVM_HOST, known, pass, problem, type CheckDef } from "../check.js";

export const CGROUP2_MAGIC = 0x63677270;
const TMPFS_MAGIC = 0x01021994;

/** Controllers per-microVM accounting and limits need. */
export const REQUIRED_CONTROLLERS = ["cpu", "cpuset", "io", "memory", "pids"] as const;

/**
 * What the slice itself must have. cpuset is left out: systemd enables it on
 * a slice only for units that set AllowedCPUs=, so an idle host's slice lacks
 * it until the first pinned microVM starts (its root availability is checked).
 */
const SLICE_CONTROLLERS = ["cpu", "io", "memory", "pids"] as const;

function missingFrom(have: readonly string[], wanted: readonly string[] = REQUIRED_CONTROLLERS): string[] {
  const set = new Set(have);
  return wanted.filter((c) => !set.has(c));
}

export const CGROUP_CHECKS: CheckDef[] = [
  {
    id: "cgroup.v2", group: "cgroup", title: "cgroup v2 unified hierarchy at /sys/fs/cgroup",
    why: "Per-microVM CPU, memory, IO and pids limits are cgroup v2 features; hybrid or v1 layouts split controllers and break delegation.",
    severity: "fail", profiles: MICROVM_HOST, nixos: ["boot.kernelParams"], whenUnknown: "fail",
    hint: "boot with systemd.unified_cgroup_hierarchy=1 (NixOS's default) and without cgroup_no_v1 workarounds",
    judge(facts) {
      const type = known(facts.cgroup.rootFsType, "statfs /sys/fs/cgroup");
      if (type === CGROUP2_MAGIC) return pass("cgroup2 (unified)");
      const unified = facts.cgroup.unifiedMount.ok ? facts.cgroup.unifiedMount.value : null;
      const kind = type === TMPFS_MAGIC ? "tmpfs with v1 controllers" : `filesystem 0x${type.toString(16)}`;
      return problem(unified ? `hybrid: ${kind}, cgroup2 only at ${unified}` : `legacy v1: ${kind}, no cgroup2 mount`);
    },
  },
  {
    id: "cgroup.controllers", group: "cgroup", title: "cpu, cpuset, io, memory and pids controllers available",
    why: "Each microVM gets CPU, memory, IO and process limits; a controller bound to v1 (or not built) is missing from cgroup2.",
    severity: "fail", profiles: MICROVM_HOST, nixos: ["boot.kernelParams"], whenUnknown: "fail",
    hint: "boot a unified hierarchy so every controller is on cgroup2",
    judge(facts) {
      const root = known(facts.cgroup.root, "cgroup2 root");
      const missing = missingFrom(root.controllers);
      const seen = `${root.path}: ${root.controllers.join(" ") || "(none)"}`;
      return missing.length === 0 ? pass(seen) : problem(`${seen}; missing ${missing.join(", ")}`);
    },
  },
  {
    id: "cgroup.microvm-slice", group: "cgroup", title: "Controllers delegated to the microVM slice",
    why: "microVMs run in their own slice; cpu, io, memory and pids must be enabled down to it so each VM's limits and accounting apply (cpuset follows when a VM is pinned).",
    severity: "fail", profiles: MICROVM_HOST, nixos: ["systemd.slices"], whenUnknown: "fail",
    hint: "define the slice with CPUAccounting, MemoryAccounting, IOAccounting and TasksAccounting (hostplane.host.microvmSlice)",
    judge(facts, { config }) {
      const slice = known(facts.cgroup.slice, config.microvmSlice);
      if (!slice.exists) return problem(`${slice.path} does not exist (is ${config.microvmSlice} defined and started?)`);
      const missing = missingFrom(slice.controllers, SLICE_CONTROLLERS);
      const seen = `${slice.path}: ${slice.controllers.join(" ") || "(none)"}; subtree ${slice.subtreeControl.join(" ") || "(none)"}`;
      return missing.length === 0 ? pass(seen) : problem(`${seen}; not delegated: ${missing.join(", ")}`);
    },
  },
];
