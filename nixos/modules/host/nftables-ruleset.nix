# Body of the `inet hostplane` nftables table (networking.nftables.tables.hostplane).
# A pure function (builtins only) so the tests render it with nix-instantiate
# and load it with the real `nft -c`.
#
# One `inet` table serves IPv4 and IPv6 alike, so the IPv6 policy can never lag
# the IPv4 one. The host's own inbound traffic stays with networking.firewall
# (table `inet nixos-fw`), which also opens the WireGuard port: an accept here
# could not override a drop there, because every base chain on a hook must
# accept a packet. This table decides what the host forwards and keeps guests
# from steering the host.
{
  # The microVM bridge, or null on a control-plane host (no microVMs).
  bridge,
  overlayInterface,
}:
let
  q = name: "\"${name}\"";
  microvm = bridge != null;
in
''
  # Forwarding is deny-by-default: a drop in any base chain is final, so this
  # chain is where forwarding is decided.
  chain forward {
    type filter hook forward priority filter; policy drop;

    # Replies to connections a rule below allowed.
    ct state established,related accept
    # Packets conntrack cannot place in a connection are never forwarded.
    ct state invalid drop

    # IPv6 routers never fragment: without packet-too-big, path-MTU discovery
    # fails and connections hang. The other errors and echo keep paths debuggable.
    icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem, echo-request, echo-reply } accept
    icmp type { destination-unreachable, time-exceeded, parameter-problem, echo-request, echo-reply } accept
''
+ (
  if microvm then
    ''

        # microVMs may open connections out through the uplink, but never into the
        # fleet's overlay ${overlayInterface}: tenants must not reach the control plane or
        # other hosts' agents. Nothing may open a connection to them unless
        # microvm-ingress allows it.
        iifname ${q bridge} oifname ${q overlayInterface} drop
        iifname ${q bridge} oifname != ${q bridge} accept
        oifname ${q bridge} jump microvm-ingress
      }

      # Per-microVM ingress (published ports, east-west over the overlay), owned by
      # the microVM runtime: it adds rules here at run time and again after every
      # reload of nftables.service, which recreates this table empty.
      chain microvm-ingress {
      }

      # Input from guests: the host's input policy is networking.firewall's; this
      # chain only drops what a guest must never send to the host.
      chain input {
        type filter hook input priority filter; policy accept;

        # Router advertisements and redirects would let a guest reroute the host.
        # (Neighbour discovery, router solicitations and echo stay allowed: nixos-fw accepts them.)
        iifname ${q bridge} icmpv6 type { nd-router-advert, nd-redirect } drop
        iifname ${q bridge} icmp type redirect drop
        # DHCP server replies (ports 67 and 547) from a guest would hand the host its addresses.
        iifname ${q bridge} udp sport { 67, 547 } drop
      }
    ''
  else
    ''
      }
    ''
)
