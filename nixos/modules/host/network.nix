# Network of a hostplane node: nftables, IPv6-first, the WireGuard overlay and
# the microVM bridge.
{ config, lib, ... }:
let
  cfg = config.hostplane.host;
  hp = import ./lib.nix;
  microvm = cfg.profile == "microvm-host";
  bridgeAddresses =
    address: if address == null then [ ] else [ (hp.parseCidr address) ];
in
{
  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        assertions = [
          {
            assertion = !hp.inStore cfg.overlay.privateKeyFile;
            message = "hostplane.host.overlay.privateKeyFile is ${cfg.overlay.privateKeyFile}, inside the world-readable Nix store. Point it at a runtime path (e.g. /var/lib/hostplane/secrets/wireguard.key or /run/secrets/…) delivered by your secrets manager.";
          }
          {
            assertion = builtins.all (peer: (peer.presharedKey or null) == null) cfg.overlay.peers;
            message = "hostplane.host.overlay.peers: a peer sets presharedKey, which the WireGuard module writes into the Nix store. Use presharedKeyFile with a runtime path instead, and rotate that key.";
          }
          {
            assertion = cfg.overlay.ips != [ ];
            message = "hostplane.host.overlay.ips is empty: the node needs an address on the fleet overlay (e.g. [ \"fd68:706c:616e:ff00::11/64\" ]).";
          }
          {
            assertion = !microvm || cfg.bridge.ipv6Address != null;
            message = "hostplane.host.bridge.ipv6Address is not set: a microvm-host gives its microVMs an IPv6 gateway on ${cfg.bridge.name} (IPv6-first; ipv4Address is optional).";
          }
        ];

        # nftables is the only firewall implementation on hosts (networking.firewall uses it as its backend too).
        networking.nftables.enable = true;
        networking.nftables.tables.hostplane = {
          family = "inet";
          content = import ./nftables-ruleset.nix {
            bridge = if microvm then cfg.bridge.name else null;
            overlayInterface = cfg.overlay.interface;
          };
        };

        networking.enableIPv6 = true;

        # The overlay: the key is read from privateKeyFile when the interface starts, never copied into the store.
        networking.wireguard.interfaces = {
          ${cfg.overlay.interface} = {
            ips = cfg.overlay.ips;
            listenPort = cfg.overlay.listenPort;
            privateKeyFile = cfg.overlay.privateKeyFile;
            generatePrivateKeyFile = cfg.overlay.generatePrivateKeyFile;
            peers = cfg.overlay.peers;
          };
        };
        # Host input is networking.firewall's to decide (see nftables-ruleset.nix); the overlay's port must be open there.
        networking.firewall.allowedUDPPorts = [ cfg.overlay.listenPort ];
      }

      (lib.mkIf microvm {
        # The microVMs' bridge: no uplink is enslaved (traffic is routed, then filtered by the forward chain); taps join it at run time.
        networking.bridges = {
          ${cfg.bridge.name}.interfaces = [ ];
        };
        networking.interfaces = {
          ${cfg.bridge.name} = {
            ipv6.addresses = bridgeAddresses cfg.bridge.ipv6Address;
            ipv4.addresses = bridgeAddresses cfg.bridge.ipv4Address;
          };
        };
      })
    ]
  );
}
