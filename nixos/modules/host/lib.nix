# Pure helpers of the hostplane host module. Builtins only (no nixpkgs), so the
# tests evaluate them with a bare `nix-instantiate --eval`.
let
  # K, M, G and T are powers of 1024, as journald and the hostplane CLI read them.
  units = {
    "" = 1;
    K = 1024;
    M = 1024 * 1024;
    G = 1024 * 1024 * 1024;
    T = 1024 * 1024 * 1024 * 1024;
  };

  # "0042" → 42; fromJSON rejects leading zeros, so they are stripped first.
  parseUInt = digits: builtins.fromJSON (builtins.elemAt (builtins.match "0*([0-9]+)" digits) 0);
in
rec {
  # What a size option accepts (whole units only: Nix has no decimal arithmetic worth trusting here).
  sizePattern = "[0-9]+[KMGT]?";

  # "10G" → 10737418240; an integer is already a byte count.
  toBytes =
    size:
    if builtins.isInt size then
      size
    else
      let
        m = builtins.match "([0-9]+)([KMGT]?)" size;
      in
      if m == null then
        throw "hostplane: ${builtins.toJSON size} is not a size (expected digits with an optional K, M, G or T suffix, e.g. \"10G\")"
      else
        parseUInt (builtins.elemAt m 0) * units.${builtins.elemAt m 1};

  # "fd00::1/64" → { address = "fd00::1"; prefixLength = 64; } (the shape networking.interfaces wants).
  parseCidr =
    cidr:
    let
      m = builtins.match "([^/]+)/([0-9]+)" cidr;
    in
    if m == null then
      throw "hostplane: ${builtins.toJSON cidr} is not an address with a prefix length (e.g. \"fd00::1/64\")"
    else
      {
        address = builtins.elemAt m 0;
        prefixLength = parseUInt (builtins.elemAt m 1);
      };

  # "microvms.slice" → "microvms": systemd.slices is keyed by the name without the suffix.
  sliceName =
    unit:
    let
      m = builtins.match "(.+)\\.slice" unit;
    in
    if m == null then throw "hostplane: ${builtins.toJSON unit} is not a slice unit name" else builtins.elemAt m 0;

  # True when a path lies in the Nix store, where everything is world-readable.
  inStore = path: builtins.match "/nix/store(/.*)?" path != null;

  # What the host probes run (ip, nft, unshare, nix), for the units' `path`: the
  # package set is passed in, as this file takes no nixpkgs.
  probeTools = pkgs: nix: [
    pkgs.iproute2
    pkgs.nftables
    pkgs.util-linux
    nix
  ];

  # systemd sandbox of the units that run hostplane's host probes (the contract
  # check and the agent): root, narrowed to what the probes need; only
  # `writable` may be written.
  probeHardening = writable: {
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

    # The whole file system is read-only except the one directory the unit writes.
    ProtectSystem = "strict";
    ReadWritePaths = [ writable ];
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

  # The agent's unit (agent.nix): the probes' sandbox, plus what applying an
  # operation needs inside it. The activation itself (switch-to-configuration,
  # which writes /boot, /etc and /run and restarts units) runs outside it, as
  # a transient unit the agent starts with systemd-run (CAP_SYS_ADMIN, which
  # the probes keep, is what systemd asks of a root caller for that).
  # test/agent/systemd-host.test.ts runs the agent under exactly these settings.
  agentServiceConfig =
    stateDir:
    probeHardening stateDir
    // {
      # nix-env adds the system profile's new generation link here; the store itself is written by nix-daemon.
      ReadWritePaths = [
        stateDir
        "/nix/var/nix/profiles"
      ];
      # Network loss is handled inside (backoff); a crash restarts it, and a decommissioned node exits 0 and stays stopped.
      Restart = "on-failure";
      RestartSec = "5s";
      # 75: an operation changed the agent's own unit; restart into the new one (--restart-when-changed).
      RestartForceExitStatus = "75";
      UMask = "0077";
    };

  # The agent's environment: its Nix commands go through nix-daemon (the store is read-only in its sandbox),
  # and Nix's home and cache are under its state directory: /root is hidden (ProtectHome), and Nix aborts
  # when it cannot even look at ~/.nix-defexpr.
  agentEnvironment = stateDir: {
    NIX_REMOTE = "daemon";
    HOME = "${stateDir}/home";
    XDG_CACHE_HOME = "${stateDir}/cache";
  };
}
