{
  description = "hostplane for NixOS hosts: the host-contract module (nixosModules.host) and the hostplane CLI";

  # One pinned nixpkgs (flake.lock), on a release branch that gets security fixes.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      # The module builds the CLI with the host's own nixpkgs (see hostplane.host.package).
      nixosModules.host = {
        imports = [ ./modules/host.nix ];
      };
      nixosModules.default = self.nixosModules.host;

      overlays.default = final: _prev: {
        hostplane = final.callPackage ./package.nix { };
      };

      packages = forAllSystems (
        pkgs:
        let
          hostplane = pkgs.callPackage ./package.nix { };
        in
        {
          inherit hostplane;
          default = hostplane;
        }
      );
    };
}
