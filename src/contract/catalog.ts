/**
 * The host contract: every check, in the order reports and the docs list
 * them, and what the Linux adapter must gather for them.
 */
import type { CheckDef } from "./check.js";
import type { ContractConfig, ProfileName } from "./config.js";
import { CGROUP_CHECKS } from "./checks/cgroup.js";
import { HYGIENE_CHECKS } from "./checks/hygiene.js";
import { KERNEL_CHECKS, KERNEL_CONFIG_KEYS } from "./checks/kernel.js";
import { KVM_CAPABILITIES, KVM_CHECKS } from "./checks/kvm.js";
import { NETWORK_CHECKS } from "./checks/network.js";
import { NIX_CHECKS } from "./checks/nix.js";
import { SERVICE_CHECKS } from "./checks/services.js";
import { STORAGE_CHECKS } from "./checks/storage.js";

export const CONTRACT: readonly CheckDef[] = [
  ...KVM_CHECKS, ...KERNEL_CHECKS, ...CGROUP_CHECKS, ...NETWORK_CHECKS,
  ...STORAGE_CHECKS, ...SERVICE_CHECKS, ...HYGIENE_CHECKS, ...NIX_CHECKS,
];

/** The checks of a profile, in contract order. */
export function profileChecks(profile: ProfileName): CheckDef[] {
  return CONTRACT.filter((c) => c.profiles.includes(profile));
}

/** What `gatherFacts` needs to know to collect the facts this contract reads. */
export interface GatherPlan {
  kernelConfigKeys: readonly string[];
  kvmCapabilities: Readonly<Record<string, number>>;
  storagePaths: { role: string; path: string }[];
  microvmSlice: string;
}

export function gatherPlan(config: ContractConfig, arch: string): GatherPlan {
  return {
    kernelConfigKeys: KERNEL_CONFIG_KEYS,
    kvmCapabilities: KVM_CAPABILITIES[arch] ?? {},
    storagePaths: [
      ...Object.entries(config.paths).map(([role, p]) => ({ role, path: p.path })),
      { role: "nix", path: "/nix" },
      { role: "boot", path: "/boot" },
    ],
    microvmSlice: config.microvmSlice,
  };
}
