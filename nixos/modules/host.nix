# hostplane host module (`nixosModules.host`): makes a NixOS machine satisfy
# hostplane's host contract (ADR-013). Enable it with `hostplane.host.enable`;
# `hostplane contract check` verifies the running result against the same
# values, which the module writes to /etc/hostplane/contract.json.
#
# Each file sets one area; options.nix declares every option:
#   kernel.nix     kernel, KVM, sysctls, SMT, microcode, KSM, swap
#   network.nix    nftables, IPv6, the WireGuard overlay, the microVM bridge
#   storage.nix    canonical paths (systemd-tmpfiles)
#   nix-trust.nix  substituters, signing keys, trusted users, GC
#   services.nix   microVM slice, journald, time sync, contract.json, the periodic check
#   agent.nix      the hostplane agent service (hostplane.agent.*)
{
  imports = [
    ./host/options.nix
    ./host/kernel.nix
    ./host/network.nix
    ./host/storage.nix
    ./host/nix-trust.nix
    ./host/services.nix
    ./host/agent.nix
  ];
}
