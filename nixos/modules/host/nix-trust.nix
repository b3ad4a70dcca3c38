# Nix trust and garbage collection of a hostplane node: which caches and keys
# the node accepts (docs/security/supply-chain.md), and how the store is kept
# from eating the disk the microVMs need.
{ config, lib, ... }:
let
  cfg = config.hostplane.host;
  hp = import ./lib.nix;
  secure = url: lib.hasPrefix "https://" url || lib.hasPrefix "file://" url;
in
{
  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = builtins.all secure cfg.nix.substituters;
        message = "hostplane.host.nix.substituters: ${lib.concatStringsSep ", " (builtins.filter (u: !secure u) cfg.nix.substituters)} is neither https:// nor file://. A plain-HTTP cache can be tampered with on the way; use https://.";
      }
      {
        assertion = cfg.nix.substituters == [ ] || cfg.nix.trustedPublicKeys != [ ];
        message = "hostplane.host.nix.substituters is set but hostplane.host.nix.trustedPublicKeys is empty: every path from those caches would be rejected (signatures are required). Add the caches' public keys.";
      }
      {
        assertion = hp.toBytes cfg.gc.maxFree > hp.toBytes cfg.gc.minFree;
        message = "hostplane.host.gc.maxFree (${toString cfg.gc.maxFree}) must be larger than gc.minFree (${toString cfg.gc.minFree}): a collection stops once maxFree bytes are free.";
      }
    ];

    nix.settings = {
      # mkForce: NixOS adds cache.nixos.org and its key by default; the node trusts exactly the fleet's list.
      substituters = lib.mkForce cfg.nix.substituters;
      trusted-public-keys = lib.mkForce cfg.nix.trustedPublicKeys;
      require-sigs = true;
      # A trusted user can add caches and import unsigned paths: effectively root.
      trusted-users = [ "root" ];
      # A flake's nixConfig must never add caches or keys behind the fleet's back.
      accept-flake-config = false;
      # Collect garbage during builds and substitutions before /nix runs out, not after.
      min-free = hp.toBytes cfg.gc.minFree;
      max-free = hp.toBytes cfg.gc.maxFree;
    };

    # Scheduled collection: generations older than the rollback window go, the current and booted ones stay.
    nix.gc = {
      automatic = true;
      dates = cfg.gc.dates;
      options = "--delete-older-than ${cfg.gc.olderThan}";
    };
  };
}
