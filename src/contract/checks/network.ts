/** Networking: nftables (not legacy iptables), WireGuard, bridge and tap, vsock, IPv6, forwarding, the host's own links. */
import { SCRATCH_NOT_RUN, type Facts, type FileStat, type ScratchStep } from "../facts.js";
import { ALL_PROFILES, MICROVM_HOST, known, pass, problem, skip, type CheckDef, type Outcome } from "../check.js";

type Scratch = Extract<Facts["net"]["scratch"], { ok: true }>["value"];

/** A scratch step passed when the thing was created and removed again. */
function step(name: string, s: ScratchStep): string | undefined {
  if (!s.created) return `${name}: not created${s.error ? ` (${s.error})` : ""}`;
  if (s.removed === false) return `${name}: created but not removed${s.error ? ` (${s.error})` : ""}`;
  return undefined;
}

function scratchOutcome(facts: Facts, steps: (keyof Omit<Scratch, "method">)[], ok: string): Outcome {
  // Left out on purpose: nothing was learnt, so nothing passes or fails.
  if (!facts.net.scratch.ok && facts.net.scratch.reason === SCRATCH_NOT_RUN) return skip(SCRATCH_NOT_RUN);
  const scratch = known(facts.net.scratch, "scratch network namespace");
  const failures = steps.map((s) => step(s, scratch[s])).filter((f): f is string => f !== undefined);
  return failures.length === 0 ? pass(`${ok} (${scratch.method})`) : problem(failures.join("; "));
}

function device(facts: Facts, path: string): FileStat {
  const probe = facts.net.devices[path];
  if (!probe) return known({ ok: false, reason: "not gathered" }, path);
  return known(probe, path);
}

/** The host has a link of this name and kind, and it is up. */
function linkUp(facts: Facts, name: string, kind: string): Outcome {
  const link = known(facts.net.links, "links")[name];
  if (!link) return problem(`no link named ${name}`);
  if (link.kind !== kind) return problem(`${name} is a ${link.kind || "plain"} link, not ${kind === "bridge" ? "a bridge" : kind}`);
  return link.up ? pass(`${name} ${kind}, up`) : problem(`${name} is down`);
}

export const NETWORK_CHECKS: CheckDef[] = [
  {
    id: "net.nftables", group: "network", title: "nftables works",
    why: "The host firewall and microVM forwarding rules are declarative nftables rulesets; nft must be able to load one.",
    severity: "fail", profiles: ALL_PROFILES, nixos: ["networking.nftables.enable", "networking.nftables.tables"], whenUnknown: "fail",
    hint: "set networking.nftables.enable = true",
    judge(facts) {
      const nft = known(facts.net.nft, "nft");
      if (!nft.listOk) return problem(`${nft.version}: nft list tables failed${nft.error ? `: ${nft.error}` : ""}`);
      if (!facts.net.scratch.ok) return pass(`${nft.version}, lists tables`);
      const s = step("table load", facts.net.scratch.value.nftables);
      return s === undefined ? pass(`${nft.version}; a table loads and unloads`) : problem(`${nft.version}; ${s}`);
    },
  },
  {
    id: "net.no-legacy-iptables", group: "network", title: "Legacy iptables not in use",
    why: "Rules split between legacy x_tables and nftables are evaluated separately and silently undo each other.",
    severity: "fail", profiles: ALL_PROFILES, nixos: ["networking.nftables.enable"], whenUnknown: "fail",
    hint: "remove iptables-legacy users (e.g. Docker's default) and let NixOS use the nftables backend",
    judge(facts) {
      const legacy = known(facts.net.legacyIptables, "legacy x_tables");
      const tables = [...legacy.ipv4.map((t) => `ip ${t}`), ...legacy.ipv6.map((t) => `ip6 ${t}`)];
      return tables.length === 0 ? pass("no legacy tables loaded") : problem(`legacy tables loaded: ${tables.join(", ")}`);
    },
  },
  {
    id: "net.wireguard", group: "network", title: "WireGuard links can be created",
    why: "Hosts reach each other and the control plane over a WireGuard overlay.",
    severity: "fail", profiles: ALL_PROFILES, nixos: ["boot.kernelModules", "networking.wireguard.interfaces"], whenUnknown: "fail",
    hint: "load the wireguard module (in-tree since 5.6) via boot.kernelModules",
    judge: (facts) => scratchOutcome(facts, ["wireguard"], "wireguard link created and removed"),
  },
  {
    id: "net.bridge-tap", group: "network", title: "Bridge, tap and veth work",
    why: "Every microVM NIC is a tap device on a host bridge; veth pairs connect namespaces.",
    severity: "fail", profiles: MICROVM_HOST, nixos: ["boot.kernelModules"], whenUnknown: "fail",
    hint: "load tun and bridge (boot.kernelModules) and run as root",
    judge: (facts) => scratchOutcome(facts, ["bridge", "tap", "tapOnBridge", "veth"], "bridge, tap on bridge and veth created and removed"),
  },
  {
    id: "net.tun-device", group: "network", title: "/dev/net/tun present",
    why: "Firecracker opens /dev/net/tun to attach each microVM to its tap.",
    severity: "fail", profiles: MICROVM_HOST, nixos: ["boot.kernelModules"], whenUnknown: "fail",
    hint: "load the tun module",
    judge(facts) {
      const d = device(facts, "/dev/net/tun");
      return d.exists && d.type === "char" ? pass("character device") : problem(d.exists ? `a ${d.type ?? "?"}, not a character device` : "missing");
    },
  },
  {
    id: "net.vhost-vsock", group: "network", title: "/dev/vhost-vsock present",
    why: "Firecracker emulates vsock itself over Unix sockets, but VMMs with vhost backends and host-side AF_VSOCK tools need vhost_vsock.",
    severity: "warn", profiles: MICROVM_HOST, nixos: ["boot.kernelModules"], whenUnknown: "fail",
    hint: "load vhost_vsock",
    judge(facts) {
      const d = device(facts, "/dev/vhost-vsock");
      return d.exists ? pass("present") : problem("missing");
    },
  },
  {
    id: "net.ipv6", group: "network", title: "IPv6 enabled",
    why: "The host edge is IPv6-first: the overlay, the bridge and the control plane are reached over IPv6.",
    severity: "fail", profiles: ALL_PROFILES, nixos: ["networking.enableIPv6", "boot.kernel.sysctl"], whenUnknown: "fail",
    hint: "set networking.enableIPv6 = true and net.ipv6.conf.{all,default}.disable_ipv6 = 0",
    judge(facts) {
      const v6 = known(facts.net.ipv6, "IPv6 sysctls");
      const off = [v6.disabledAll && "all", v6.disabledDefault && "default"].filter(Boolean);
      if (!v6.ifInet6) return problem("no /proc/net/if_inet6: IPv6 is not in this kernel or disabled at boot (ipv6.disable=1)");
      return off.length === 0 ? pass("enabled") : problem(`disable_ipv6 = 1 on ${off.join(" and ")}`);
    },
  },
  {
    id: "net.forwarding", group: "network", title: "IP forwarding as the role needs",
    why: "A microVM host routes its guests' traffic (forwarding on); a control-plane node routes nothing (forwarding off).",
    severity: "fail", profiles: ALL_PROFILES, nixos: ["boot.kernel.sysctl"], whenUnknown: "fail",
    hint: "set net.ipv4.ip_forward and net.ipv6.conf.all.forwarding (hostplane.host.forwarding)",
    judge(facts, { config }) {
      const f = known(facts.net.forwarding, "forwarding sysctls");
      const seen = `ipv4 ${f.ipv4 ? "on" : "off"}, ipv6 ${f.ipv6 ? "on" : "off"}`;
      const wrong = (["ipv4", "ipv6"] as const).filter((k) => f[k] !== config.forwarding[k]);
      if (wrong.length === 0) return pass(seen);
      return problem(`${seen}; ${config.profile} wants ${wrong.map((k) => `${k} ${config.forwarding[k] ? "on" : "off"}`).join(", ")}`);
    },
  },
  {
    id: "net.microvm-bridge", group: "network", title: "microVM bridge present and up",
    why: "The scheduler attaches each microVM's tap to this bridge; without it placements fail at start.",
    severity: "fail", profiles: MICROVM_HOST, nixos: ["networking.bridges", "networking.interfaces"], whenUnknown: "fail",
    hint: "declare the bridge (hostplane.host.bridge.name)",
    judge: (facts, { config }) => linkUp(facts, config.bridge, "bridge"),
  },
  {
    id: "net.overlay", group: "network", title: "WireGuard overlay interface present",
    why: "Nodes talk to the control plane and to each other over the overlay; a host without it cannot be managed.",
    severity: "fail", profiles: ALL_PROFILES, nixos: ["networking.wireguard.interfaces", "networking.firewall.allowedUDPPorts"], whenUnknown: "fail",
    hint: "declare the overlay (hostplane.host.overlay) with its private key in a runtime path, never in the store",
    judge: (facts, { config }) => linkUp(facts, config.overlayInterface, "wireguard"),
  },
];
