/** KVM: the device, its API, the capabilities Firecracker asks for, CPU support and risky module parameters. */
import { MICROVM_HOST, known, pass, problem, skip, warn, type CheckDef } from "../check.js";

/**
 * KVM_CHECK_EXTENSION capabilities Firecracker requires before it starts a VM
 * (its `DEFAULT_CAPABILITIES`, per architecture); numbers from <linux/kvm.h>.
 */
export const KVM_CAPABILITIES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  x86_64: {
    KVM_CAP_IRQCHIP: 0, KVM_CAP_USER_MEMORY: 3, KVM_CAP_SET_TSS_ADDR: 4, KVM_CAP_EXT_CPUID: 7, KVM_CAP_MP_STATE: 14,
    KVM_CAP_IRQFD: 32, KVM_CAP_PIT2: 33, KVM_CAP_PIT_STATE2: 35, KVM_CAP_IOEVENTFD: 36, KVM_CAP_ADJUST_CLOCK: 39,
    KVM_CAP_VCPU_EVENTS: 41, KVM_CAP_DEBUGREGS: 50, KVM_CAP_XSAVE: 55, KVM_CAP_XCRS: 56,
  },
  aarch64: {
    KVM_CAP_USER_MEMORY: 3, KVM_CAP_MP_STATE: 14, KVM_CAP_IRQFD: 32, KVM_CAP_IOEVENTFD: 36, KVM_CAP_ONE_REG: 70,
    KVM_CAP_DEVICE_CTRL: 89, KVM_CAP_ARM_PSCI_0_2: 102,
  },
};

const KVM_MODULES = ["boot.kernelModules"];

export const KVM_CHECKS: CheckDef[] = [
  {
    id: "kvm.device", group: "kvm", title: "/dev/kvm exists and is readable and writable",
    why: "Firecracker opens /dev/kvm for every microVM; without it (or without access to it) no VM starts.",
    severity: "fail", profiles: MICROVM_HOST, nixos: KVM_MODULES, whenUnknown: "fail",
    hint: "load kvm-intel or kvm-amd (boot.kernelModules), enable VT-x/AMD-V in the firmware, and run the check as root",
    judge(facts) {
      const d = known(facts.kvm.device, "/dev/kvm");
      if (!d.exists) return problem("/dev/kvm does not exist");
      if (d.type !== "char") return problem(`/dev/kvm is a ${d.type ?? "?"}, not a character device`);
      const access = `${d.readable ? "r" : "-"}${d.writable ? "w" : "-"}`;
      if (!d.readable || !d.writable) return problem(`/dev/kvm is ${access} for uid ${facts.euid}`, "run as root or a member of the kvm group");
      return pass(`character device, ${access}`);
    },
  },
  {
    id: "kvm.api-version", group: "kvm", title: "KVM API version is 12",
    why: "Version 12 is the stable KVM API every VMM is written against; anything else is not a usable KVM.",
    severity: "fail", profiles: MICROVM_HOST, nixos: KVM_MODULES, whenUnknown: "fail",
    hint: "use a mainline kernel with KVM built in or as a module",
    judge(facts) {
      const v = known(facts.kvm.apiVersion, "KVM_GET_API_VERSION");
      return v === 12 ? pass("12") : problem(String(v));
    },
  },
  {
    id: "kvm.extensions", group: "kvm", title: "KVM capabilities Firecracker requires",
    why: "Firecracker refuses to start when KVM_CHECK_EXTENSION reports one of its required capabilities missing.",
    severity: "fail", profiles: MICROVM_HOST, nixos: ["boot.kernelPackages"], whenUnknown: "fail",
    hint: "use a kernel at or above the baseline on hardware with full virtualization support",
    judge(facts) {
      const wanted = KVM_CAPABILITIES[facts.arch];
      if (!wanted) return skip(`no required-capability list for ${facts.arch}`);
      const got = known(facts.kvm.extensions, "KVM_CHECK_EXTENSION");
      const missing = Object.keys(wanted).filter((name) => !(got[name] !== undefined && got[name] > 0));
      if (missing.length > 0) return problem(`missing ${missing.join(", ")}`);
      return pass(`all ${Object.keys(wanted).length} present`);
    },
  },
  {
    id: "kvm.cpu-virtualization", group: "kvm", title: "CPU virtualization extensions",
    why: "Hardware virtualization (VT-x/AMD-V) is what makes KVM fast and isolating; under another hypervisor it is nested and slower.",
    severity: "fail", profiles: MICROVM_HOST, nixos: [], whenUnknown: "fail",
    hint: "enable VT-x (vmx) or AMD-V (svm) in the firmware; production hosts should be bare metal",
    judge(facts) {
      if (facts.arch !== "x86_64") return skip(`${facts.arch}: no CPU flag for virtualization; /dev/kvm is the test`);
      const flags = new Set(known(facts.cpu, "/proc/cpuinfo").flags);
      const ext = flags.has("vmx") ? "vmx" : flags.has("svm") ? "svm" : undefined;
      if (ext) return pass(`${ext}${flags.has("hypervisor") ? " (nested under a hypervisor)" : ""}`);
      if (flags.has("hypervisor") && facts.kvm.device.ok && facts.kvm.device.value.exists) {
        return warn("no vmx/svm flag; running under a hypervisor that exposes /dev/kvm (nested)", "fine for tests; production hosts should be bare metal");
      }
      return problem("no vmx or svm flag in /proc/cpuinfo");
    },
  },
  {
    id: "kvm.module-parameters", group: "kvm", title: "KVM module parameters",
    why: "Nested virtualization lets guests run their own hypervisor (more attack surface); nx_huge_pages off leaves iTLB multihit open to guests.",
    severity: "warn", profiles: MICROVM_HOST, nixos: ["boot.extraModprobeConfig"], whenUnknown: "skip",
    hint: "set `options kvm_intel nested=0`, `options kvm_amd nested=0` and leave kvm.nx_huge_pages at auto",
    judge(facts) {
      const params = known(facts.kvm.moduleParams, "KVM module parameters");
      const notes: string[] = [];
      for (const key of ["kvm_intel.nested", "kvm_amd.nested"]) {
        const v = params[key];
        if (v !== undefined && /^(?:y|1)$/i.test(v)) notes.push(`${key}=${v}`);
      }
      const nx = params["kvm.nx_huge_pages"];
      const multihit = facts.cpuVulnerabilities.ok ? facts.cpuVulnerabilities.value["itlb_multihit"] : undefined;
      if (nx !== undefined && /^(?:n|0|never|off)$/i.test(nx) && multihit !== undefined && !/not affected/i.test(multihit)) {
        notes.push(`kvm.nx_huge_pages=${nx} with itlb_multihit "${multihit}"`);
      }
      if (notes.length > 0) return problem(notes.join("; "));
      return pass(nx === undefined ? "no risky parameters" : `kvm.nx_huge_pages=${nx}, nested off`);
    },
  },
];
