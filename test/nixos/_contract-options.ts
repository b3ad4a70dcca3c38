/**
 * The NixOS options nixosModules.host sets on a microvm-host (its full set),
 * as dotted paths. This is the list the host contract's checks name in their
 * `nixos` fields; test/nixos/eval-host.nix declares exactly these (so setting
 * any other option fails evaluation) and module-eval.test.ts checks the module
 * defines every one of them.
 */
export const HOST_MODULE_OPTIONS = [
  "assertions",
  "boot.extraModprobeConfig",
  "boot.kernel.sysctl",
  "boot.kernelModules",
  "boot.kernelPackages",
  "boot.kernelParams",
  "boot.loader.grub.configurationLimit",
  "boot.loader.systemd-boot.configurationLimit",
  "environment.etc",
  "environment.systemPackages",
  "hardware.cpu.amd.updateMicrocode",
  "hardware.cpu.intel.updateMicrocode",
  "hardware.ksm.enable",
  "networking.bridges",
  "networking.enableIPv6",
  // Not among the contract's checks: opens the overlay's UDP port in the host's input policy (nixos-fw),
  // which an accept in the hostplane table cannot override.
  "networking.firewall.allowedUDPPorts",
  "networking.interfaces",
  "networking.nftables.enable",
  "networking.nftables.tables",
  "networking.wireguard.interfaces",
  "nix.gc.automatic",
  "nix.gc.dates",
  "nix.gc.options",
  "nix.settings.accept-flake-config",
  "nix.settings.max-free",
  "nix.settings.min-free",
  "nix.settings.require-sigs",
  "nix.settings.substituters",
  "nix.settings.trusted-public-keys",
  "nix.settings.trusted-users",
  "security.allowSimultaneousMultithreading",
  "services.journald.extraConfig",
  "services.journald.storage",
  "services.timesyncd.enable",
  "swapDevices",
  "systemd.services",
  "systemd.slices",
  "systemd.timers",
  "systemd.tmpfiles.rules",
  "zramSwap.enable",
] as const;

/** What a control-plane node does not set: no microVM bridge, slice or KVM module options. */
export const MICROVM_ONLY_OPTIONS = ["boot.extraModprobeConfig", "networking.bridges", "networking.interfaces", "systemd.slices"] as const;
