{
  description = "Example fleet: microVM hosts and a builder";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-23.11";
    sops-nix.url = "github:Mic92/sops-nix";
    sops-nix.inputs.nixpkgs.follows = "nixpkgs";
    # Resolved through the flake registry of whoever locks it:
    flake-utils.url = "flake-utils";
    # Declared here, never locked:
    disko.url = "github:nix-community/disko";
  };

  # Anyone with accept-flake-config (or trusted-users) silently trusts this cache.
  nixConfig = {
    extra-substituters = [ "https://cache.example-fleet.dev" ];
    extra-trusted-public-keys = [ "cache.example-fleet.dev-1:8XzpSsRhRSON1K6IAZCY+kzk97CqwemkYHrEd9IWovI=" ];
  };

  outputs = { self, nixpkgs, sops-nix, ... }@inputs:
    let
      mkHost = name: extra: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          sops-nix.nixosModules.sops
          ./modules/microvm-host.nix
          ./modules/cache.nix
          ./modules/users.nix
          ./modules/hardening.nix
          extra
        ];
      };
    in
    {
      nixosConfigurations = {
        web-1 = mkHost "web-1" ./hosts/web-1.nix;
        builder-1 = mkHost "builder-1" ./hosts/builder-1.nix;
        legacy-1 = mkHost "legacy-1" ./hosts/legacy-1.nix;
      };
    };
}
