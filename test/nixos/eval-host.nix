# Evaluates nixos/modules/host.nix with the real nixpkgs lib (lib.evalModules)
# against stand-ins for the NixOS options it may set. The stand-ins are exactly
# the options the host contract names, so setting any other option fails the
# evaluation ("The option `…' does not exist"), and the test compares the list
# of options the module defines with the contract's.
#
#   nix-instantiate --eval --strict --json test/nixos/eval-host.nix \
#     --argstr nixpkgsLib /path/to/nixpkgs/lib --arg site '{ … }'
{
  # Absolute path of a nixpkgs `lib` directory.
  nixpkgsLib,
  # hostplane.host values of the site under test.
  site ? { },
  # hostplane.agent values of the site under test.
  agent ? { },
  system ? "x86_64-linux",
  kernelVersion ? "6.12.41",
}:
let
  lib = import (/. + nixpkgsLib);
  inherit (lib) mkOption types;

  fakePackage = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    meta.mainProgram = name;
  };
  pkgs = {
    stdenv.hostPlatform = {
      inherit system;
      isx86 = lib.hasPrefix "x86_64" system;
    };
    linuxPackages.kernel.version = kernelVersion;
    callPackage = _path: _args: fakePackage "hostplane";
    nftables = fakePackage "nftables";
    wireguard-tools = fakePackage "wireguard-tools";
    iproute2 = fakePackage "iproute2";
    util-linux = fakePackage "util-linux";
  };

  opt = type: mkOption { inherit type; };
  anyAttrs = opt (types.lazyAttrsOf types.anything);
  strs = opt (types.listOf types.str);
  bool = opt types.bool;

  # Every option the host contract lets the module set, with NixOS's types where they matter for merging.
  # Paths listed here are the ones the test expects the module to define (besides nix.package, which it only reads).
  standIns = {
    options = {
      assertions = opt (types.listOf types.unspecified);
      boot = {
        kernelModules = strs;
        kernelPackages = opt types.raw;
        extraModprobeConfig = opt types.lines;
        kernelParams = strs;
        kernel.sysctl = anyAttrs;
        loader.systemd-boot.configurationLimit = opt (types.nullOr types.int);
        loader.grub.configurationLimit = opt types.int;
      };
      systemd = {
        slices = anyAttrs;
        services = anyAttrs;
        timers = anyAttrs;
        tmpfiles.rules = strs;
      };
      networking = {
        nftables.enable = bool;
        nftables.tables = anyAttrs;
        enableIPv6 = bool;
        wireguard.interfaces = anyAttrs;
        bridges = anyAttrs;
        interfaces = anyAttrs;
        firewall.allowedUDPPorts = opt (types.listOf types.port);
      };
      services = {
        journald.storage = opt types.str;
        journald.extraConfig = opt types.lines;
        timesyncd.enable = bool;
      };
      swapDevices = opt (types.listOf types.anything);
      zramSwap.enable = bool;
      hardware = {
        ksm.enable = bool;
        cpu.intel.updateMicrocode = bool;
        cpu.amd.updateMicrocode = bool;
      };
      security.allowSimultaneousMultithreading = bool;
      nix = {
        settings = {
          substituters = strs;
          trusted-public-keys = strs;
          require-sigs = bool;
          trusted-users = strs;
          accept-flake-config = bool;
          min-free = opt types.int;
          max-free = opt types.int;
        };
        gc = {
          automatic = bool;
          dates = opt types.str;
          options = opt types.str;
        };
        package = mkOption {
          type = types.package;
          default = fakePackage "nix";
        };
      };
      environment = {
        etc = anyAttrs;
        systemPackages = opt (types.listOf types.package);
      };
    };
  };

  # What NixOS itself defines for the trust settings (nixos/modules/config/nix.nix), so the test sees the module win.
  nixosDefaults = {
    nix.settings = {
      substituters = lib.mkAfter [ "https://cache.nixos.org/" ];
      trusted-public-keys = [ "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=" ];
      trusted-users = [ "root" ];
    };
  };

  evaluated = lib.evalModules {
    specialArgs = { inherit pkgs; };
    modules = [
      ../../nixos/modules/host.nix
      standIns
      nixosDefaults
      { hostplane.host = site; }
      { hostplane.agent = agent; }
    ];
  };
  inherit (evaluated) config options;

  # A definition made by the module under test (not by nixosDefaults or the site).
  fromModule = def: lib.hasInfix "/nixos/modules/" (toString def.file);
  # Dotted paths of the stand-in options the module defines.
  definedPaths =
    prefix: tree:
    lib.concatLists (
      lib.mapAttrsToList (
        name: value:
        let
          path = prefix ++ [ name ];
        in
        if lib.isOption value then
          lib.optional (lib.any fromModule value.definitionsWithLocations) (lib.concatStringsSep "." path)
        else if builtins.isAttrs value && !(lib.elem name [ "_module" "hostplane" ]) then
          definedPaths path value
        else
          [ ]
      ) tree
    );
  # An option's value, or null when nothing defines it (a disabled module defines nothing).
  get =
    path:
    let
      o = lib.attrByPath path null options;
    in
    if o.isDefined then o.value else null;
  unit = (get [ "systemd" "services" ]).hostplane-contract-check or null;
in
{
  defined = definedPaths [ ] options;
  failedAssertions = map (a: a.message) (lib.filter (a: !a.assertion) (if get [ "assertions" ] == null then [ ] else config.assertions));
  contractJson = (get [ "environment" "etc" ])."hostplane/contract.json".text or null;
  kernelModules = get [ "boot" "kernelModules" ];
  kernelParams = get [ "boot" "kernelParams" ];
  extraModprobeConfig = get [ "boot" "extraModprobeConfig" ];
  sysctl = get [ "boot" "kernel" "sysctl" ];
  tmpfiles = get [ "systemd" "tmpfiles" "rules" ];
  nixSettings = lib.mapAttrs (name: _: get [ "nix" "settings" name ]) standIns.options.nix.settings;
  nixGc = if get [ "nix" "gc" "automatic" ] == null then null else config.nix.gc;
  nftables = (get [ "networking" "nftables" "tables" ]).hostplane or null;
  wireguard = get [ "networking" "wireguard" "interfaces" ];
  firewallUdp = get [ "networking" "firewall" "allowedUDPPorts" ];
  bridges = get [ "networking" "bridges" ];
  interfaces = get [ "networking" "interfaces" ];
  slices = get [ "systemd" "slices" ];
  checkUnit =
    if unit == null then
      null
    else
      {
        inherit (unit) path;
        serviceConfig = builtins.removeAttrs unit.serviceConfig [ ];
      };
  timer = (get [ "systemd" "timers" ]).hostplane-contract-check.timerConfig or null;
  agentUnit =
    let
      a = (get [ "systemd" "services" ]).hostplane-agent or null;
    in
    if a == null then
      null
    else
      {
        inherit (a)
          path
          after
          wants
          environment
          restartIfChanged
          ;
        serviceConfig = builtins.removeAttrs a.serviceConfig [ ];
      };
  journald = {
    storage = get [ "services" "journald" "storage" ];
    extraConfig = get [ "services" "journald" "extraConfig" ];
  };
  smt = get [ "security" "allowSimultaneousMultithreading" ];
  microcode = get [ "hardware" "cpu" "intel" "updateMicrocode" ];
  systemPackages = map (p: p.name) (if get [ "environment" "systemPackages" ] == null then [ ] else config.environment.systemPackages);
}
