# A build host whose binary-cache trust is wide open.
{ config, lib, pkgs, ... }:
{
  nix.settings = lib.mkMerge [
    {
      substituters = [ "https://cache.nixos.org" "http://cache.internal.example:5000" ];
      trusted-users = [ "root" "@wheel" ];
    }
    (lib.mkIf true { require-sigs = false; })
  ];
  nix.extraOptions = ''
    accept-flake-config = true
    secret-key-files = /nix/store/4xw8n979xpivdc46a9ndcvyhwgif00hz-signing-key
  '';

  # The cache signing key, pasted inline "just for now":
  environment.etc."nix/signing-key.sec".text = "fleet-cache-1:CokUWfDijlzf+y7wstGqpDVSqNL9k80S6C2hgaU7zgDs0xtguf/iGmiIQ5Pg+D4OelGfB9AvczrsPE7/lYvU9w==";

  services.github-runners.builder = {
    enable = true;
    url = "https://github.com/example/fleet";
    tokenFile = pkgs.writeText "runner-token" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  };
}
