/** Shared by the gather tests: options for this machine, and independent views of the host to compare the facts with. */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { GatherOptions } from "../../src/contract/linux/index.js";

export const isLinux = process.platform === "linux";
export const isRoot = process.geteuid?.() === 0;

/** x86_64 KVM_CAP numbers (include/uapi/linux/kvm.h). */
export const KVM_CAPS = { KVM_CAP_IRQCHIP: 0, KVM_CAP_USER_MEMORY: 3, KVM_CAP_NR_VCPUS: 9, KVM_CAP_MAX_VCPUS: 66 };

export function baseOptions(overrides: Partial<GatherOptions> = {}): GatherOptions {
  return {
    kernelConfigKeys: ["CONFIG_KVM", "CONFIG_TUN", "CONFIG_VHOST_VSOCK", "CONFIG_WIREGUARD", "CONFIG_NF_TABLES"],
    kvmCapabilities: KVM_CAPS,
    storagePaths: [],
    microvmSlice: "hostplane-microvms.slice",
    scratch: false,
    ...overrides,
  };
}

/** First directory of PATH (plus the sbin dirs) holding an executable `name`, or null. */
export function which(name: string): string | null {
  const dirs = [...(process.env["PATH"] ?? "").split(":"), "/usr/sbin", "/sbin"].filter((d) => d !== "");
  return dirs.map((d) => `${d}/${name}`).find((p) => existsSync(p)) ?? null;
}

/** Names of the host's links, straight from `ip -json link show`. */
export function hostLinkNames(): string[] {
  const out = execFileSync(which("ip") ?? "ip", ["-json", "link", "show"], { encoding: "utf8" });
  return (JSON.parse(out) as { ifname: string }[]).map((l) => l.ifname);
}

/** Entries of /var/run/netns (named network namespaces), [] when the directory does not exist. */
export function namedNetns(): string[] {
  return existsSync("/var/run/netns") ? readdirSync("/var/run/netns").sort() : [];
}

/** Every network namespace some process is in right now, as `net:[inode]`. */
export function liveNetns(): Set<string> {
  const seen = new Set<string>();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      seen.add(readlinkSync(`/proc/${pid}/ns/net`));
    } catch {
      // the process exited while we looked, or is not ours to see
    }
  }
  return seen;
}

export const PROBE_LINK_RE = /^(?:hp-probe-|wg-probe)/;

/** The cgroup2 mount point from /proc/mounts (not mountinfo, which the gatherer reads), or null. */
export function cgroup2FromProcMounts(): string | null {
  const line = readFileSync("/proc/mounts", "utf8").split("\n").find((l) => l.split(" ")[2] === "cgroup2");
  return line?.split(" ")[1]?.replace(/\\040/g, " ") ?? null;
}
