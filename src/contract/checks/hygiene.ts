/** Hygiene (warnings): swap, KSM, SMT and CPU vulnerability status. */
import { MICROVM_HOST, known, pass, problem, skip, type CheckDef } from "../check.js";

export const HYGIENE_CHECKS: CheckDef[] = [
  {
    id: "hygiene.swap", group: "hygiene", title: "Swap off",
    why: "Swapped guest memory makes microVM latency unpredictable and can write guest secrets to disk.",
    severity: "warn", profiles: MICROVM_HOST, nixos: ["swapDevices", "zramSwap.enable"], whenUnknown: "fail",
    hint: "set swapDevices = [ ] and zramSwap.enable = false",
    judge(facts) {
      const swaps = known(facts.hygiene.swaps, "/proc/swaps");
      return swaps.length === 0 ? pass("no swap") : problem(`swap on ${swaps.map((s) => s.name).join(", ")}`);
    },
  },
  {
    id: "hygiene.ksm", group: "hygiene", title: "KSM off",
    why: "Kernel same-page merging across guests opens memory-deduplication side channels between tenants.",
    severity: "warn", profiles: MICROVM_HOST, nixos: ["hardware.ksm.enable"], whenUnknown: "skip",
    hint: "set hardware.ksm.enable = false",
    judge(facts) {
      const run = known(facts.hygiene.ksmRun, "/sys/kernel/mm/ksm/run");
      return run === 0 ? pass("off") : problem(`run = ${run}`);
    },
  },
  {
    id: "hygiene.smt", group: "hygiene", title: "SMT status",
    why: "Sibling hyperthreads share caches and buffers; guests on siblings can observe each other (Firecracker recommends SMT off).",
    severity: "warn", profiles: MICROVM_HOST, nixos: ["security.allowSimultaneousMultithreading"], whenUnknown: "skip",
    hint: "set security.allowSimultaneousMultithreading = false (hostplane.host.allowSMT), or pin each microVM to whole cores",
    judge(facts) {
      const smt = known(facts.smt, "SMT control");
      if (smt.control === "notsupported" || smt.control === "notimplemented") return skip(`SMT ${smt.control}`);
      if (smt.control === "on" && smt.active !== false) return problem(`on${smt.active ? ", active" : ""}`);
      return pass(smt.control);
    },
  },
  {
    id: "hygiene.cpu-vulnerabilities", group: "hygiene", title: "CPU vulnerabilities mitigated",
    why: "An unmitigated speculative-execution flaw lets one guest read another's or the host's memory.",
    severity: "warn", profiles: MICROVM_HOST,
    nixos: ["hardware.cpu.intel.updateMicrocode", "hardware.cpu.amd.updateMicrocode"], whenUnknown: "skip",
    hint: "update microcode and the kernel; don't boot with mitigations=off",
    judge(facts) {
      const v = known(facts.cpuVulnerabilities, "CPU vulnerabilities");
      // "Vulnerable", "KVM: Vulnerable", "VMX: vulnerable", "Processor vulnerable": any of them, except "Not affected".
      const open = Object.entries(v).filter(([, status]) => /\bvulnerable\b/i.test(status) && !/^not affected/i.test(status));
      if (open.length > 0) return problem(open.map(([name, status]) => `${name}: ${status}`).join("; "));
      return pass(`${Object.keys(v).length} known, none vulnerable`);
    },
  },
];
