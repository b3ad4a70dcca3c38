import { CONTRACT } from "../../src/contract/catalog.js";

/** Set by the module but not a contract check of their own, and why. */
export const SUPPORTING_OPTIONS: Readonly<Record<string, string>> = {
  assertions: "refuses configurations that cannot honour the contract (kernel below the baseline, a key path in the store)",
  "environment.etc": "writes /etc/hostplane/contract.json, the site values the check reads",
  "environment.systemPackages": "hostplane and the tools its probes run (nft, wg, ip)",
  "systemd.services": "the hardened hostplane-contract-check service",
  "systemd.timers": "runs the contract check periodically",
};

/**
 * The NixOS options nixosModules.host sets on a microvm-host (its full set),
 * as dotted paths: what the host contract's checks name in their `nixos`
 * fields plus the supporting options below (one source of truth, the catalog); test/nixos/eval-host.nix declares exactly these (so setting
 * any other option fails evaluation) and module-eval.test.ts checks the module
 * defines every one of them.
 */
export const HOST_MODULE_OPTIONS: readonly string[] = [...new Set([...CONTRACT.flatMap((c) => c.nixos), ...Object.keys(SUPPORTING_OPTIONS)])].sort();

/** What a control-plane node does not set: no microVM bridge, slice or KVM module options. */
export const MICROVM_ONLY_OPTIONS = ["boot.extraModprobeConfig", "networking.bridges", "networking.interfaces", "systemd.slices"] as const;
