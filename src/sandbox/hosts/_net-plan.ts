/**
 * The network of a test fleet as data: names, subnets and the `ip -batch`
 * scripts that create and remove it. Pure, so naming limits (IFNAMSIZ) and
 * subnet choice are tested without root.
 */

/** Every link, namespace and directory the harness makes starts with this, so a sweep can find them. */
export const NAME_ROOT = "hpt";
/** A fleet prefix: short (link names must fit IFNAMSIZ, 15 characters) and dash-free (names stay unambiguous). */
export const PREFIX_RE = /^[a-z0-9]{1,6}$/;
export const MAX_HOSTS = 150;
/** Subnets are 10.(192+n/256).(n%256).0/24 and fd68:7074:n::/64 (n in hex) for n in [0, SUBNET_SLOTS). */
export const SUBNET_SLOTS = 64 * 256;

export interface HostNetPlan {
  name: string;
  netns: string;
  /** The root-namespace end of the host's veth pair, enslaved to the bridge (the host end is eth0). */
  hubLink: string;
  ipv6: string;
  ipv4?: string;
}

export interface FleetNetPlan {
  prefix: string;
  bridge: string;
  slot: number;
  ipv6Prefix: string;
  ipv4Prefix?: string;
  server: { ipv6: string; ipv4?: string };
  hosts: HostNetPlan[];
}

/** A network already in use in the root namespace (an address's subnet or a route). */
export interface Cidr {
  family: 4 | 6;
  address: string;
  length: number;
}

export function fleetNames(prefix: string): { bridge: string; netns: (i: number) => string; hubLink: (i: number) => string } {
  return {
    bridge: `${NAME_ROOT}-${prefix}`,
    netns: (i) => `${NAME_ROOT}-${prefix}-h${i}`,
    hubLink: (i) => `${NAME_ROOT}-${prefix}-${i}`,
  };
}

/** The prefix a harness-made link or namespace name belongs to, or undefined for any other name. */
export function prefixOfName(name: string): string | undefined {
  const m = /^hpt-([a-z0-9]{1,6})(?:-h?\d{1,3})?$/.exec(name);
  return m?.[1];
}

/** FNV-1a: a stable starting slot per prefix, so one test file usually gets the same subnets. */
function startSlot(prefix: string): number {
  let h = 0x811c9dc5;
  for (const ch of prefix) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h % SUBNET_SLOTS;
}

function ipv4ToInt(address: string): number {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

function ipv6ToBigInt(address: string): bigint {
  const clean = address.split("%")[0]!;
  const [head = "", tail] = clean.split("::");
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) throw new Error(`not an IPv6 address: ${address}`);
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const len = BigInt(Math.min(a.length, b.length));
  const value = (c: Cidr): bigint => (c.family === 4 ? BigInt(ipv4ToInt(c.address)) : ipv6ToBigInt(c.address));
  const shift = BigInt(bits) - len;
  return value(a) >> shift === value(b) >> shift;
}

function slotNets(slot: number): { v4: string; v6: string } {
  return { v4: `10.${192 + (slot >> 8)}.${slot & 255}`, v6: `fd68:7074:${slot.toString(16)}:` };
}

/** The first slot from the prefix's own start whose /24 and /64 overlap nothing in use. */
export function chooseSlot(prefix: string, taken: readonly Cidr[], ipv4: boolean): number {
  const start = startSlot(prefix);
  for (let k = 0; k < SUBNET_SLOTS; k++) {
    const slot = (start + k) % SUBNET_SLOTS;
    const nets = slotNets(slot);
    const mine: Cidr[] = [{ family: 6, address: `${nets.v6}:`, length: 64 }];
    if (ipv4) mine.push({ family: 4, address: `${nets.v4}.0`, length: 24 });
    if (!mine.some((m) => taken.some((t) => overlaps(m, t)))) return slot;
  }
  throw new Error("every test-fleet subnet (10.192.0.0/10, fd68:7074::/32) overlaps a network in use");
}

export function planFleetNet(prefix: string, hosts: number, options: { ipv4: boolean; taken: readonly Cidr[] }): FleetNetPlan {
  if (!PREFIX_RE.test(prefix)) throw new Error(`test-fleet prefix ${JSON.stringify(prefix)} must be 1-6 of [a-z0-9] (link names are limited to 15 characters)`);
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_HOSTS) throw new Error(`a test fleet has 1..${MAX_HOSTS} hosts, got ${hosts}`);
  const slot = chooseSlot(prefix, options.taken, options.ipv4);
  const nets = slotNets(slot);
  const names = fleetNames(prefix);
  const plan: FleetNetPlan = {
    prefix,
    bridge: names.bridge,
    slot,
    ipv6Prefix: `${nets.v6}:/64`,
    server: { ipv6: `${nets.v6}:1` },
    hosts: [],
  };
  if (options.ipv4) {
    plan.ipv4Prefix = `${nets.v4}.0/24`;
    plan.server.ipv4 = `${nets.v4}.1`;
  }
  for (let i = 1; i <= hosts; i++) {
    // h1 is ::101 and .101: the host number reads off either address.
    const host: HostNetPlan = { name: `h${i}`, netns: names.netns(i), hubLink: names.hubLink(i), ipv6: `${nets.v6}:${100 + i}` };
    if (options.ipv4) host.ipv4 = `${nets.v4}.${100 + i}`;
    plan.hosts.push(host);
  }
  return plan;
}

/** Root namespace: the bridge with the server's addresses, one namespace and one veth pair per host. */
export function rootCreateBatch(plan: FleetNetPlan): string {
  const lines = [
    `link add ${plan.bridge} type bridge`,
    // No DAD: the addresses are usable at once instead of after a second of "tentative".
    `addr add ${plan.server.ipv6}/64 dev ${plan.bridge} nodad`,
    ...(plan.server.ipv4 === undefined ? [] : [`addr add ${plan.server.ipv4}/24 dev ${plan.bridge}`]),
    `link set ${plan.bridge} up`,
  ];
  for (const h of plan.hosts) {
    lines.push(
      `netns add ${h.netns}`,
      `link add ${h.hubLink} type veth peer name eth0 netns ${h.netns}`,
      `link set ${h.hubLink} master ${plan.bridge} up`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Inside one host's namespace (`ip -n NETNS -batch -`). */
export function hostCreateBatch(host: HostNetPlan): string {
  const lines = [
    "link set lo up",
    `addr add ${host.ipv6}/64 dev eth0 nodad`,
    ...(host.ipv4 === undefined ? [] : [`addr add ${host.ipv4}/24 dev eth0`]),
    "link set eth0 up",
  ];
  return `${lines.join("\n")}\n`;
}

/** Deleting the hub end of a veth deletes its peer; run with `ip -force` so a missing item does not stop the rest. */
export function rootDeleteBatch(plan: { bridge: string; hosts: readonly { netns: string; hubLink: string }[] }): string {
  const lines = [
    ...plan.hosts.map((h) => `link del ${h.hubLink}`),
    `link del ${plan.bridge}`,
    ...plan.hosts.map((h) => `netns del ${h.netns}`),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * The silent-loss cut (a pulled cable, a partition): an nftables table in the host's namespace that drops
 * everything but loopback, at a priority before any table a system under test may install.
 */
export const CUT_TABLE = "hostplane_test_cut";
export const CUT_RULESET = `table inet ${CUT_TABLE} {
  chain input { type filter hook input priority -400; policy drop; iifname "lo" accept; }
  chain output { type filter hook output priority -400; policy drop; oifname "lo" accept; }
}
`;
