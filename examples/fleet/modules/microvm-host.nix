# The host contract for microVM nodes, written the safe way: every secret is a
# runtime path delivered by sops-nix, never a value in the store.
{ config, lib, pkgs, ... }:
let
  cfg = config.fleet.microvmHost;
in
{
  options.fleet.microvmHost = {
    enable = lib.mkEnableOption "the microVM host role";
    wireguardAddress = lib.mkOption {
      type = lib.types.str;
      example = "fd00:10::1/64";
      description = "Overlay address of this host.";
    };
    overlayKey = lib.mkOption {
      type = lib.types.str;
      default = "/run/secrets/wg-overlay";
      # Documentation only: an example value is never configuration.
      example = "/run/secrets/wg-overlay";
      description = ''
        Path of the WireGuard private key. Never a key itself: privateKey = "…"
        would put it in the world-readable store.
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    boot.kernelModules = [ "kvm-intel" "kvm-amd" "vhost_vsock" "tun" ];
    boot.kernel.sysctl."net.ipv6.conf.all.forwarding" = 1;
    systemd.enableUnifiedCgroupHierarchy = true;
    networking.nftables.enable = true;
    networking.enableIPv6 = true;

    sops.defaultSopsFile = ../secrets/fleet.sops.yaml;
    sops.secrets.wg-overlay = { };

    networking.wireguard.interfaces.wg0 = {
      ips = [ cfg.wireguardAddress ];
      listenPort = 51820;
      privateKeyFile = config.sops.secrets.wg-overlay.path;
      peers = [
        {
          publicKey = "OQyMfXJHNCzYEA8vb3cNZdZw5Y4DUdiujk9urDQvwjE=";
          allowedIPs = [ "fd00:10::/64" ];
          endpoint = "[2001:db8::1]:51820";
        }
      ];
    };

    virtualisation.libvirtd.enable = false;
    services.journald.extraConfig = ''
      Storage=persistent
      SystemMaxUse=2G
    '';
  };
}
