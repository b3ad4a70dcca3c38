# Canonical storage locations of a hostplane node, created and kept at their
# modes by systemd-tmpfiles (at boot and on every switch).
{ config, lib, ... }:
let
  cfg = config.hostplane.host;
  hp = import ./lib.nix;
  roles = [
    "images"
    "volumes"
    "logs"
    "state"
  ];
  paths = map (role: cfg.paths.${role}) roles;
  state = cfg.paths.state.path;

  # `d` creates the directory, or resets mode and owner of an existing one; age "-": never cleaned.
  dir = path: mode: "d ${path} ${mode} root root - -";
in
{
  config = lib.mkIf cfg.enable {
    assertions =
      map (role: {
        assertion = !hp.inStore cfg.paths.${role}.path;
        message = "hostplane.host.paths.${role}.path is ${cfg.paths.${role}.path}, inside the read-only Nix store. Use a path under /var or a dedicated mount.";
      }) roles
      ++ map (role: {
        assertion = hp.toBytes cfg.paths.${role}.warnFree >= hp.toBytes cfg.paths.${role}.minFree;
        message = "hostplane.host.paths.${role}: warnFree (${cfg.paths.${role}.warnFree}) is below minFree (${cfg.paths.${role}.minFree}); the check would fail before it ever warned.";
      }) roles
      ++ [
        {
          assertion = lib.length (lib.unique (map (p: p.path) paths)) == lib.length paths;
          message = "hostplane.host.paths: two roles share one path (${lib.concatMapStringsSep ", " (p: p.path) paths}); images, volumes, logs and state need their own directories.";
        }
      ];

    systemd.tmpfiles.rules = map (p: dir p.path p.mode) paths ++ [
      # Runtime secrets (the overlay key): root only, never in the store.
      (dir "${state}/secrets" "0700")
      # Facts and reports of the contract check.
      (dir "${state}/contract" "0750")
    ];
  };
}
