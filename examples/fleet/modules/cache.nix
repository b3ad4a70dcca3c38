# Binary-cache trust as the fleet policy wants it: only allowlisted HTTPS
# caches, signatures required, and only root may change store settings.
{ lib, ... }:
{
  nix.settings = {
    substituters = [ "https://cache.nixos.org" ];
    trusted-public-keys = [ "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=" ];
    require-sigs = true;
    trusted-users = [ "root" ];
    allowed-users = [ "@wheel" ];
    secret-key-files = [ "/var/lib/nix/fleet-signing-key" ];
  };
  nix.gc = {
    automatic = true;
    dates = "weekly";
    options = "--delete-older-than 14d";
  };
}
