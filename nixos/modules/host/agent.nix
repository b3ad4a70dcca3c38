# The hostplane agent as a hardened systemd service: enrolls this host with
# the control plane (once, with a bootstrap token from a runtime path), then
# heartbeats its facts and host-contract report and follows its desired state.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  hp = import ./lib.nix;
  cfg = config.hostplane.agent;
  host = config.hostplane.host;
  stateDir = "${host.paths.state.path}/agent";
  runtimePath = types.strMatching "/.*";
  command = [
    (lib.getExe host.package)
    "agent"
    "--server"
    cfg.server
    "--state-dir"
    stateDir
    "--workloads"
    cfg.workloads
    # Activations run as a transient unit, outside this unit's sandbox (lib.nix agentServiceConfig).
    "--activation"
    "systemd"
    # The unit is not restarted by switch-to-configuration (that would cut an operation short);
    # after an operation that changed it, the agent exits 75 and systemd starts the new one.
    "--restart-when-changed"
    "/etc/systemd/system/hostplane-agent.service"
  ]
  ++ lib.optionals (cfg.bootstrapTokenFile != null) [
    "--bootstrap-token-file"
    cfg.bootstrapTokenFile
  ]
  ++ lib.optionals (cfg.caFile != null) [
    "--ca-file"
    cfg.caFile
  ];
in
{
  options.hostplane.agent = {
    enable = lib.mkEnableOption "the hostplane agent, which enrolls this host with the control plane and reports its facts";
    server = mkOption {
      type = types.strMatching "https?://[^[:space:]]+";
      example = "https://control.example:8443";
      description = "URL of the control plane (`hostplane server`).";
    };
    bootstrapTokenFile = mkOption {
      type = types.nullOr runtimePath;
      default = null;
      example = "/run/secrets/hostplane-bootstrap";
      description = ''
        Runtime path of the enrollment token (`hostplane token bootstrap`), read only while the
        node has no credential. A secret: deliver it with your secrets tool, never through the
        Nix store. Once enrolled, the node's own credential lives in `<state>/agent/identity.json` (0600).
      '';
    };
    caFile = mkOption {
      type = types.nullOr runtimePath;
      default = null;
      description = "PEM CA bundle that signed the control plane's certificate, when it is private.";
    };
    workloads = mkOption {
      type = types.strMatching "systemd|file:/.+";
      default = "systemd";
      description = "Where the microVM inventory comes from: `systemd` (microvm@*.service units) or `file:PATH` (a JSON array the runtime writes).";
    };
  };

  config = lib.mkIf (host.enable && cfg.enable) {
    assertions = [
      {
        assertion = cfg.bootstrapTokenFile == null || !hp.inStore cfg.bootstrapTokenFile;
        message = "hostplane.agent.bootstrapTokenFile points into the Nix store, which every user can read: deliver the token to a runtime path such as /run/secrets instead.";
      }
    ];

    systemd.services.hostplane-agent = {
      description = "hostplane node agent";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" "nix-daemon.socket" ];
      after = [
        "network-online.target"
        "nix-daemon.socket"
        "systemd-tmpfiles-setup.service"
      ];
      # The host-contract probes run ip, nft, unshare and nix; activations run systemd-run (NixOS puts systemd on every unit's path).
      path = hp.probeTools pkgs config.nix.package;
      environment = hp.agentEnvironment stateDir;
      # An operation's activation may change this unit; restarting it then would cut the operation short.
      # The agent restarts itself once the operation has ended (exit 75, RestartForceExitStatus).
      restartIfChanged = false;
      serviceConfig = hp.agentServiceConfig stateDir // {
        ExecStart = lib.escapeShellArgs command;
      };
    };

    systemd.tmpfiles.rules = [ "d ${stateDir} 0700 root root - -" ];
  };
}
