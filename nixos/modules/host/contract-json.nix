# The site values the `hostplane contract check` command reads from
# /etc/hostplane/contract.json: the module's settings, in the CLI's shape.
# A pure function of the module's config (builtins only) so the tests render it
# without nixpkgs and compare it with what the CLI expects.
cfg:
let
  pathSpec = p: {
    inherit (p)
      path
      mode
      minFree
      warnFree
      ;
  };
in
{
  inherit (cfg)
    profile
    kernelBaseline
    microvmSlice
    nixMinFree
    bootMinFree
    ;
  bridge = cfg.bridge.name;
  overlayInterface = cfg.overlay.interface;
  forwarding = {
    inherit (cfg.forwarding) ipv4 ipv6;
  };
  paths = {
    images = pathSpec cfg.paths.images;
    volumes = pathSpec cfg.paths.volumes;
    logs = pathSpec cfg.paths.logs;
    state = pathSpec cfg.paths.state;
  };
  # The caches and keys this host is configured with: without a trust policy the nix.* checks judge against them.
  nix = {
    inherit (cfg.nix) substituters trustedPublicKeys;
  };
  inherit (cfg.contractCheck) ignore;
}
