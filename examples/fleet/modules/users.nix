{ config, lib, pkgs, ... }:
{
  sops.secrets.ops-password.neededForUsers = true;
  users.mutableUsers = false;
  users.users.ops = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
    hashedPasswordFile = config.sops.secrets.ops-password.path;
    openssh.authorizedKeys.keys = [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGl8pEh7iD0fCRaZTy0QKYmPb9Qbdv3U3yq5s1PZfIJf ops@bastion"
    ];
  };
  services.openssh = {
    enable = true;
    settings.PasswordAuthentication = false;
    settings.KbdInteractiveAuthentication = false;
  };
}
