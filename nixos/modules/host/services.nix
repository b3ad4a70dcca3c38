# systemd side of a hostplane node: the microVM slice, journald, time sync, the
# site values for the CLI, and the periodic contract check.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.hostplane.host;
  hp = import ./lib.nix;
  microvm = cfg.profile == "microvm-host";
  factsDir = "${cfg.paths.state.path}/contract";

  # --ignore comes from contract.json (contractCheck.ignore), so interactive runs skip the same checks.
  checkCommand = [
    (lib.getExe cfg.package)
    "contract"
    "check"
    "--json"
    "--facts-out"
    "${factsDir}/facts.json"
  ]
  ++ lib.optionals (cfg.contractCheck.trustPolicy != null) [
    "--trust-policy"
    cfg.contractCheck.trustPolicy
  ];
in
{
  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        # Read by `hostplane contract check` by default: the check judges the host against exactly these values.
        environment.etc."hostplane/contract.json".text = builtins.toJSON (import ./contract-json.nix cfg);

        environment.systemPackages = [
          cfg.package
          pkgs.nftables
          pkgs.wireguard-tools
          pkgs.iproute2
        ];

        # journald is the authoritative log of host services: kept across reboots, capped so it cannot crowd out the microVMs.
        services.journald.storage = "persistent";
        services.journald.extraConfig = ''
          SystemMaxUse=${cfg.journald.systemMaxUse}
        '';

        # Certificates, WireGuard handshakes and log correlation all need a synchronised clock; a site may run chrony instead.
        services.timesyncd.enable = lib.mkDefault true;
      }

      (lib.mkIf microvm {
        # Accounting on the slice makes systemd enable the cpu, memory, io and pids controllers
        # all the way down to it, so each microVM's scope can be measured and limited.
        systemd.slices = {
          ${hp.sliceName cfg.microvmSlice} = {
            description = "hostplane microVMs";
            # Started at boot, so its cgroup exists (and the check can see it) before the first microVM.
            wantedBy = [ "multi-user.target" ];
            sliceConfig = {
              CPUAccounting = true;
              MemoryAccounting = true;
              IOAccounting = true;
              TasksAccounting = true;
            };
          };
        };
      })

      (lib.mkIf cfg.contractCheck.enable {
        systemd.services.hostplane-contract-check = {
          description = "hostplane host-contract check";
          after = [
            "network.target"
            "systemd-tmpfiles-setup.service"
          ];
          # The probes run ip, nft, unshare, nix (and systemctl, systemd-analyze, timedatectl from the default path).
          path = [
            pkgs.iproute2
            pkgs.nftables
            pkgs.util-linux
            config.nix.package
          ];
          serviceConfig = {
            Type = "oneshot";
            # Exit 1 (a failed check) fails the unit: it shows in `systemctl --failed` and in fleet monitoring.
            ExecStart = lib.escapeShellArgs checkCommand;
            TimeoutStartSec = "5min";
            # facts.json is readable by root's group only.
            UMask = "0027";

            # Root, because the probes read the host's nftables ruleset (netlink needs CAP_NET_ADMIN) and open /dev/kvm;
            # everything else a root process could do is taken away below.
            # CAP_NET_ADMIN: `nft list`, and creating bridge, tap, veth and wireguard links in the scratch namespace.
            # CAP_SYS_ADMIN: unshare(CLONE_NEWNET) for that throw-away namespace; nothing is mounted.
            CapabilityBoundingSet = [
              "CAP_NET_ADMIN"
              "CAP_SYS_ADMIN"
            ];
            NoNewPrivileges = true;
            RestrictSUIDSGID = true;
            # The only namespace the probes create is the scratch network namespace.
            RestrictNamespaces = "net";

            # The whole file system is read-only except the facts directory.
            ProtectSystem = "strict";
            ReadWritePaths = [ factsDir ];
            # Nothing under /home or /root is part of the contract.
            ProtectHome = true;
            PrivateTmp = true;

            # Real devices are needed (PrivateDevices would hide /dev/kvm), but only these two may be opened:
            # /dev/kvm for KVM_GET_API_VERSION and KVM_CHECK_EXTENSION, /dev/net/tun for the scratch tap.
            # (/dev/vhost-* are only stat()ed, which the device policy does not restrict.)
            PrivateDevices = false;
            DevicePolicy = "closed";
            DeviceAllow = [
              "/dev/kvm rw"
              "/dev/net/tun rw"
            ];

            # /proc/sys, /sys and /sys/fs/cgroup are only read (sysctls, CPU flags, cgroup controllers): read-only is enough.
            ProtectKernelTunables = true;
            ProtectControlGroups = true;
            # The check reports module state; it never loads modules (this also drops CAP_SYS_MODULE).
            ProtectKernelModules = true;
            ProtectKernelLogs = true;
            ProtectClock = true;
            ProtectHostname = true;
            # The host's network view is what is being checked, so no PrivateNetwork; netlink and Unix sockets suffice.
            RestrictAddressFamilies = [
              "AF_UNIX"
              "AF_NETLINK"
              "AF_INET"
              "AF_INET6"
            ];
            LockPersonality = true;
            RestrictRealtime = true;
            # Must stay off: Node's V8 JIT maps writable and executable memory, and the process aborts without it.
            MemoryDenyWriteExecute = false;
            SystemCallArchitectures = "native";
            # unshare and ioctl are in @system-service; mount, module loading, reboot, swap and raw I/O are not.
            SystemCallFilter = [ "@system-service" ];
            SystemCallErrorNumber = "EPERM";
          };
        };

        systemd.timers.hostplane-contract-check = {
          description = "Periodic hostplane host-contract check";
          wantedBy = [ "timers.target" ];
          timerConfig = {
            # Soon after boot (once networking and the overlay had a chance to come up), then every interval.
            OnBootSec = "2min";
            OnUnitActiveSec = cfg.contractCheck.interval;
            # Spread a fleet's checks so they do not all run in the same second.
            RandomizedDelaySec = "1min";
          };
        };
      })
    ]
  );
}
