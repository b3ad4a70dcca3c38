# Options of the hostplane host module (`hostplane.host.*`): the site values of
# the host contract. Every default is the contract's default, so a host that
# only sets `enable`, the bridge address and the overlay satisfies it.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types literalExpression;
  hp = import ./lib.nix;
  cfg = config.hostplane.host;
  microvm = cfg.profile == "microvm-host";

  size = types.strMatching hp.sizePattern // {
    description = "size with an optional K, M, G or T suffix (powers of 1024), e.g. \"10G\"";
  };
  # Linux interface names are at most 15 bytes (IFNAMSIZ - 1).
  ifname = types.strMatching "[A-Za-z0-9_.-]{1,15}" // {
    description = "network interface name (at most 15 letters, digits, '_', '.' or '-')";
  };
  absolutePath = types.strMatching "/[^[:space:]]*" // {
    description = "absolute path (a string: it is never copied into the Nix store)";
  };

  # One canonical storage location: where, how open, and how much room it needs.
  storagePath =
    role: defaults:
    mkOption {
      description = "Canonical ${role} location of the host contract.";
      default = { };
      type = types.submodule {
        options = {
          path = mkOption {
            type = absolutePath;
            default = defaults.path;
            description = "Where the ${role} live. Created by systemd-tmpfiles, owned by root:root.";
          };
          mode = mkOption {
            type = types.strMatching "0?[0-7]{3,4}";
            default = defaults.mode;
            description = "Mode it is created with (octal string); the contract check fails on any bit beyond it.";
          };
          minFree = mkOption {
            type = size;
            default = defaults.minFree;
            description = "Free space below which the contract check fails.";
          };
          warnFree = mkOption {
            type = size;
            default = defaults.warnFree;
            description = "Free space below which the contract check warns (at least `minFree`).";
          };
        };
      };
    };
in
{
  options.hostplane.host = {
    enable = lib.mkEnableOption "the hostplane host contract (kernel, cgroups, network, storage, Nix trust and services of a hostplane node)";

    profile = mkOption {
      type = types.enum [
        "microvm-host"
        "control-plane"
      ];
      default = "microvm-host";
      description = ''
        Role of the node. `microvm-host` runs Firecracker microVMs: KVM, vhost,
        tap and bridge modules, the microVM slice and bridge, IP forwarding.
        `control-plane` runs the control plane only and skips all of those;
        it keeps the overlay, nftables, storage, Nix trust and services.
      '';
    };

    kernelBaseline = mkOption {
      type = types.strMatching "[0-9]+\\.[0-9]+(\\.[0-9]+)?";
      default = "5.10";
      description = ''
        Lowest kernel version the node may boot (Firecracker validates 5.10,
        6.1 and later LTS host kernels). Evaluation fails when
        `boot.kernelPackages` is older.
      '';
    };

    cpuVendor = mkOption {
      type = types.enum [
        "auto"
        "intel"
        "amd"
      ];
      default = "auto";
      description = ''
        Which KVM module to load at boot on x86 (`kvm-intel` or `kvm-amd`).
        `auto` lists neither: udev loads the right one from the CPU's feature
        flags, and `nixos-generate-config` already writes it into
        hardware-configuration.nix. Listing both would fail
        systemd-modules-load.service on every boot (the other vendor's
        module refuses to load), leaving the node "degraded".
        Ignored on other architectures, where KVM is built into the kernel.
      '';
    };

    paths = {
      images = storagePath "image cache" {
        path = "/var/cache/hostplane/images";
        mode = "0750";
        minFree = "10G";
        warnFree = "20G";
      };
      volumes = storagePath "volume backends" {
        path = "/var/lib/hostplane/volumes";
        mode = "0700";
        minFree = "20G";
        warnFree = "40G";
      };
      logs = storagePath "microVM logs" {
        path = "/var/log/hostplane";
        mode = "0750";
        minFree = "1G";
        warnFree = "2G";
      };
      state = storagePath "host state" {
        path = "/var/lib/hostplane";
        mode = "0700";
        minFree = "512M";
        warnFree = "1G";
      };
    };

    nixMinFree = mkOption {
      type = size;
      default = "10G";
      description = "Free space /nix needs; the contract check warns below twice this.";
    };

    bootMinFree = mkOption {
      type = size;
      default = "256M";
      description = "Free space /boot needs for the next generation's kernel and initrd; warns below twice this.";
    };

    microvmSlice = mkOption {
      type = types.strMatching "[A-Za-z0-9_:.-]+\\.slice";
      default = "microvms.slice";
      description = "systemd slice the microVMs run in, with CPU, memory, IO and pids accounting enabled (microvm-host only).";
    };

    bridge = {
      name = mkOption {
        type = ifname;
        default = "hpbr0";
        description = "Bridge the microVMs' tap devices attach to (microvm-host only).";
      };
      ipv6Address = mkOption {
        type = types.nullOr (types.strMatching "[0-9A-Fa-f:.]+/[0-9]{1,3}");
        default = null;
        example = "fd68:706c:616e:6500::1/64";
        description = ''
          The host's IPv6 address on the bridge, with prefix length: the
          microVMs' gateway. Required on microvm-host nodes (the network is
          IPv6-first; IPv4 is optional).
        '';
      };
      ipv4Address = mkOption {
        type = types.nullOr (types.strMatching "[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}");
        default = null;
        example = "10.68.0.1/24";
        description = "The host's IPv4 address on the bridge, with prefix length, for microVMs that still need IPv4.";
      };
    };

    overlay = {
      interface = mkOption {
        type = ifname;
        default = "wg-hostplane";
        description = "WireGuard interface of the fleet overlay.";
      };
      privateKeyFile = mkOption {
        type = absolutePath;
        default = "${cfg.paths.state.path}/secrets/wireguard.key";
        defaultText = literalExpression ''"''${config.hostplane.host.paths.state.path}/secrets/wireguard.key"'';
        description = ''
          Runtime path of the node's WireGuard private key (mode 0600, root).
          It is read by the interface unit when it starts, never at evaluation
          time, so the key stays out of the world-readable Nix store. Deliver
          it with your secrets manager (sops-nix, agenix) or set
          `overlay.generatePrivateKeyFile`. A path under /nix/store is refused.
        '';
      };
      generatePrivateKeyFile = mkOption {
        type = types.bool;
        default = false;
        description = ''
          Let the node create its own key at `privateKeyFile` (`wg genkey`,
          umask 077) on first start, then enrol its public key. Off by
          default: fleets that hand keys out keep control of them.
        '';
      };
      listenPort = mkOption {
        type = types.port;
        default = 51820;
        description = "UDP port the overlay listens on; opened in networking.firewall.";
      };
      ips = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "fd68:706c:616e:ff00::11/64" ];
        description = "The node's addresses on the overlay, with prefix length (at least one).";
      };
      peers = mkOption {
        type = types.listOf types.attrs;
        default = [ ];
        example = literalExpression ''
          [ {
            publicKey = "<peer public key>";
            allowedIPs = [ "fd68:706c:616e:ff00::1/128" ];
            endpoint = "cp-1.example.net:51820";
            presharedKeyFile = "/var/lib/hostplane/secrets/cp-1.psk";
          } ]
        '';
        description = ''
          Peers, passed through to `networking.wireguard.interfaces.<interface>.peers`.
          Use `presharedKeyFile`, never `presharedKey` (which would put the
          key in the Nix store); evaluation fails on the latter.
        '';
      };
    };

    forwarding = {
      ipv4 = mkOption {
        type = types.bool;
        default = microvm;
        defaultText = literalExpression ''config.hostplane.host.profile == "microvm-host"'';
        description = "Forward IPv4 (routes microVM traffic between the bridge, the uplink and the overlay).";
      };
      ipv6 = mkOption {
        type = types.bool;
        default = microvm;
        defaultText = literalExpression ''config.hostplane.host.profile == "microvm-host"'';
        description = ''
          Forward IPv6. With forwarding on, Linux ignores router
          advertisements on the uplink unless its `accept_ra` is 2: give the
          uplink a static IPv6 configuration, or set
          `boot.kernel.sysctl."net.ipv6.conf.<uplink>.accept_ra" = 2`.
        '';
      };
    };

    allowSMT = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Keep simultaneous multithreading (Hyper-Threading) on. Off by default,
        as Firecracker's production host guide recommends: sibling threads
        share caches and execution units, which lets one guest observe
        another (L1TF, MDS and relatives). The trade-off is capacity: with
        SMT off the host offers half as many schedulable CPUs, so plan
        vCPU overcommit against physical cores.
      '';
    };

    nix = {
      substituters = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "https://cache.fleet.example" ];
        description = ''
          The only binary caches the node substitutes from. Empty by default:
          production nodes must not accept arbitrary public caches, and
          cache.nixos.org is NOT trusted unless listed here with its key.
          These replace NixOS's defaults (`lib.mkForce`), so add the fleet
          cache here, together with its key in `trustedPublicKeys`, not in
          `nix.settings`. Only https:// and file:// URLs are accepted.
        '';
      };
      trustedPublicKeys = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "cache.fleet.example-1:<base64 public key>" ];
        description = ''
          Keys whose signatures the node accepts on substituted paths
          (signatures are always required). Replaces NixOS's default
          cache.nixos.org key. During a key rotation list both generations.
        '';
      };
    };

    gc = {
      dates = mkOption {
        type = types.str;
        default = "daily";
        description = "When the store is garbage-collected (systemd calendar expression).";
      };
      olderThan = mkOption {
        type = types.strMatching "[0-9]+d";
        default = "14d";
        description = "Generations older than this are deleted by each collection (the rollback window).";
      };
      minFree = mkOption {
        type = types.either types.ints.unsigned size;
        default = cfg.nixMinFree;
        defaultText = literalExpression "config.hostplane.host.nixMinFree";
        description = "When /nix has less free space than this during a build or substitution, Nix collects garbage (bytes or a size).";
      };
      maxFree = mkOption {
        type = types.either types.ints.unsigned size;
        default = 2 * hp.toBytes cfg.nixMinFree;
        defaultText = literalExpression "2 * nixMinFree, in bytes";
        description = "How much free space such a collection stops at (bytes or a size); above `minFree`, so it clears the contract's warning level.";
      };
    };

    journald.systemMaxUse = mkOption {
      type = size;
      default = "2G";
      description = "Cap on the persistent journal (journald's SystemMaxUse=). journald is the authoritative log of host services.";
    };

    contractCheck = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Run `hostplane contract check` periodically; a failed check fails the unit, so it shows in `systemctl --failed`.";
      };
      interval = mkOption {
        type = types.str;
        default = "15min";
        description = "Time between two checks (systemd time span).";
      };
      ignore = mkOption {
        type = types.listOf (types.strMatching "[A-Za-z0-9_./-]+");
        default = [ ];
        description = "Check ids or groups the contract check skips, for deviations the site has accepted. Written to /etc/hostplane/contract.json, so an interactive `hostplane contract check` skips them too.";
      };
      trustPolicy = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/etc/hostplane/hostplane-trust.yaml";
        description = ''
          Path of the fleet's trust policy (`hostplane-trust.yaml`, public data: cache URLs and public keys).
          When set, the nix.* checks judge this host's substituters and keys against it, revoked keys included;
          otherwise against `nix.substituters` and `nix.trustedPublicKeys` above.
        '';
      };
    };

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ../../package.nix { };
      defaultText = literalExpression "pkgs.callPackage \"\${hostplane}/nixos/package.nix\" { }";
      description = "The hostplane CLI the contract check runs.";
    };
  };
}
