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
          path = hp.probeTools pkgs config.nix.package;
          # The sandbox shared with the agent (lib.nix): root narrowed to what the probes need.
          serviceConfig = hp.probeHardening factsDir // {
            Type = "oneshot";
            # Exit 1 (a failed check) fails the unit: it shows in `systemctl --failed` and in fleet monitoring.
            ExecStart = lib.escapeShellArgs checkCommand;
            TimeoutStartSec = "5min";
            # facts.json is readable by root's group only.
            UMask = "0027";
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
