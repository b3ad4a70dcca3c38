# An old host configuration from before the fleet moved to flakes.
{ config, lib, ... }:
let
  pkgs = import <nixpkgs> { };
  tools = builtins.fetchTarball "https://github.com/example/ops-tools/archive/main.tar.gz";
  deployKey = builtins.readFile ./secrets/deploy-key;
in
with lib;
{
  imports = [
    "${tools}/modules/monitoring.nix"
    {
      services.openssh.hostKeys = [ { path = "${./ssh_host_ed25519_key}"; type = "ed25519"; } ];
    }
  ];

  age.identityPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
  environment.etc."ops/age.key".text = ''
    # created: 2025-01-01T00:00:00Z
    AGE-SECRET-KEY-1TNQG3ZRJGLXQJ77U4TRS78YELYRFFN9086WCUUNMNRXDDS920TY2Q6U7JZ
  '';
  services.monitoring.database.url = "postgres://monitor:Kx82mfQz91@db.internal:5432/metrics";
  services.deploy.sshKey = deployKey;
  networking.hostName = mkDefault "legacy-1";
}
