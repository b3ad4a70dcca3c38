# A web host with the classic ways secrets reach the world-readable /nix/store.
{ config, lib, pkgs, ... }:
let
  adminHash = "$6$rounds=100000$Jq3vR9mXb2Lk$8Hn0p6yS1c5Fq7Wd2zVt4Rj9Kx3Lm5Na7Pb1Qc8Ud0We2Xf4Yg6Zh8Ai0Bj2Ck4Dl6Em8Fn0Go2Hp4Iq6Jr8Ks";
in
{
  fleet.microvmHost.enable = true;
  fleet.microvmHost.wireguardAddress = "fd00:10::11/64";

  users.users.admin = {
    isNormalUser = true;
    hashedPassword = adminHash;
  };

  networking.wireguard.interfaces.wg1 = lib.mkIf config.fleet.microvmHost.enable {
    privateKey = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    peers = [ { publicKey = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="; allowedIPs = [ "10.0.0.0/24" ]; } ];
  };

  services.nginx = {
    enable = true;
    virtualHosts."status.example.org" = {
      basicAuth = { ops = "tr0ub4dor-and-3"; };
      locations."/".proxyPass = "http://127.0.0.1:9100";
    };
  };

  services.alerting.slackWebhookToken = "xoxb-344713493618-3242102499471-DStSz8rGIFCfMc4BVuMqbfo9";

  systemd.services.backup.serviceConfig.EnvironmentFile = pkgs.writeText "backup.env" ''
    RESTIC_REPOSITORY=s3:https://s3.example.org/backups
    RESTIC_PASSWORD=Vx9qLm2Rt7Zc4Wb8
  '';
}
