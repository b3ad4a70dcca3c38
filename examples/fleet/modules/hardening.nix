{ lib, pkgs, ... }:
let
  # Pinned by revision and content hash: reproducible.
  policy = builtins.fetchTarball {
    url = "https://github.com/example/fleet-policy/archive/cc4f14a3e3e04d42f8ac2acaf127972d33e5901a.tar.gz";
    sha256 = "0xSej1g7eP2kaUF+JQp8jdyNmpmCJKRpO12mKl/36Kc=";
  };
  exporter = pkgs.buildGoModule {
    pname = "fleet-exporter";
    version = "1.4.2";
    src = pkgs.fetchFromGitHub {
      owner = "example";
      repo = "fleet-exporter";
      rev = "v1.4.2";
      hash = "sha256-HJa3v9xKfdJcV1kow3v+SXbsguuCBO6TUCXisJnZgOk=";
    };
    vendorHash = "sha256-l0KFg5HjrsfsO/JpG+r7fRrqm12kzFHyUHqHCVpMMbI=";
  };
in
{
  security.sudo.execWheelOnly = true;
  boot.kernel.sysctl."kernel.kptr_restrict" = 2;
  systemd.services.fleet-exporter = {
    wantedBy = [ "multi-user.target" ];
    serviceConfig = {
      ExecStart = "${exporter}/bin/fleet-exporter --policy ${policy}/policy.json";
      DynamicUser = true;
      LoadCredential = [ "token:/run/secrets/exporter-token" ];
      EnvironmentFile = "/run/secrets/exporter.env";
      ProtectSystem = "strict";
      NoNewPrivileges = true;
    };
  };
}
