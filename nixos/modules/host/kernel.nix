# Kernel, virtualisation and memory hygiene of a hostplane node.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.hostplane.host;
  microvm = cfg.profile == "microvm-host";
  x86 = pkgs.stdenv.hostPlatform.isx86;
  kernelVersion = config.boot.kernelPackages.kernel.version;
in
{
  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        assertions = [
          {
            assertion = lib.versionAtLeast kernelVersion cfg.kernelBaseline;
            message = "hostplane.host: boot.kernelPackages has kernel ${kernelVersion}, older than the contract's baseline ${cfg.kernelBaseline} (hostplane.host.kernelBaseline). Use pkgs.linuxPackages (the default) or a newer LTS such as pkgs.linuxPackages_6_12.";
          }
        ];

        # nixpkgs' default LTS kernel; a site may pin another (the baseline assertion guards it).
        boot.kernelPackages = lib.mkDefault pkgs.linuxPackages;

        # The WireGuard overlay runs on every node; loading at boot makes a missing module a boot-time error, not a mid-enrolment one.
        boot.kernelModules = [
          "wireguard"
        ]
        ++ lib.optionals microvm (
          [
            "tun" # tap devices of the microVMs
            "bridge" # the bridge they attach to
            "vhost_net" # vhost backends, for VMMs that use them
            "vhost_vsock"
          ]
          ++ lib.optional (x86 && cfg.cpuVendor == "intel") "kvm-intel"
          ++ lib.optional (x86 && cfg.cpuVendor == "amd") "kvm-amd"
        );

        # cgroup v2 only: per-microVM accounting and limits need the unified hierarchy (already the default of current systemd; explicit so it cannot regress).
        boot.kernelParams = [ "systemd.unified_cgroup_hierarchy=1" ];

        boot.kernel.sysctl = {
          "net.ipv4.ip_forward" = if cfg.forwarding.ipv4 then 1 else 0;
          "net.ipv6.conf.all.forwarding" = if cfg.forwarding.ipv6 then 1 else 0;
          # IPv6-first: IPv6 is never switched off, on existing or future interfaces.
          "net.ipv6.conf.all.disable_ipv6" = 0;
          "net.ipv6.conf.default.disable_ipv6" = 0;
        };

        # Ten generations are enough to roll back through an incident and keep /boot from filling up.
        boot.loader.systemd-boot.configurationLimit = lib.mkDefault 10;
        boot.loader.grub.configurationLimit = lib.mkDefault 10;

        # Firecracker's host guide: sibling hyperthreads leak between guests (see allowSMT).
        security.allowSimultaneousMultithreading = cfg.allowSMT;

        # Microcode carries the CPU side of the side-channel mitigations; x86 only (there is none to load elsewhere).
        hardware.cpu.intel.updateMicrocode = lib.mkDefault x86;
        hardware.cpu.amd.updateMicrocode = lib.mkDefault x86;

        # Page merging across guests is a side channel (and a copy-on-write timing oracle); not overridable by mkDefault on purpose.
        hardware.ksm.enable = false;

        # Guest memory must never reach a disk or a compressed pool: it may hold tenants' secrets, and swapping makes latency unpredictable.
        swapDevices = lib.mkForce [ ];
        zramSwap.enable = lib.mkForce false;
      }

      (lib.mkIf (microvm && x86) {
        # Guests get no nested virtualisation (a large, rarely needed attack surface);
        # nx_huge_pages=auto turns the iTLB-multihit mitigation on exactly where the CPU is affected.
        boot.extraModprobeConfig = ''
          options kvm_intel nested=0
          options kvm_amd nested=0
          options kvm nx_huge_pages=auto
        '';
      })
    ]
  );
}
