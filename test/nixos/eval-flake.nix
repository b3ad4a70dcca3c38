# Evaluates nixos/flake.nix's outputs with the real nixpkgs lib and a stand-in
# nixpkgs input (callPackage records what it was called with), to check the
# flake's shape without fetching nixpkgs.
{
  # Absolute path of a nixpkgs `lib` directory.
  nixpkgsLib,
}:
let
  lib = import (/. + nixpkgsLib);
  pkgsFor = system: {
    stdenv.hostPlatform.system = system;
    callPackage = path: _args: {
      type = "derivation";
      name = "hostplane";
      inherit system;
      calledWith = baseNameOf (toString path);
    };
  };
  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs [
      "x86_64-linux"
      "aarch64-linux"
    ] pkgsFor;
  };
  flake = import ../../nixos/flake.nix;
  outputs = flake.outputs {
    self = outputs;
    inherit nixpkgs;
  };
in
{
  outputs = builtins.attrNames outputs;
  nixosModules = builtins.attrNames outputs.nixosModules;
  hostImports = map (p: lib.removePrefix (toString ../..) (toString p)) outputs.nixosModules.host.imports;
  defaultIsHost = outputs.nixosModules.default == outputs.nixosModules.host;
  packages = lib.mapAttrs (_: lib.mapAttrs (_: p: "${p.system}/${p.calledWith}")) outputs.packages;
  overlay = (outputs.overlays.default (pkgsFor "x86_64-linux") { }).hostplane.calledWith;
}
