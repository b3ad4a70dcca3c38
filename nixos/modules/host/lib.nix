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
}
