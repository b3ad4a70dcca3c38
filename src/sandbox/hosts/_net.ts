/**
 * Applies a fleet's network plan with iproute2 and nftables: one `ip -batch`
 * in the root namespace, one per host namespace, and the cut/restore of a
 * host's network.
 */
import { spawnSync } from "node:child_process";
import { run } from "../../process/run.js";
import { CUT_RULESET, CUT_TABLE, hostCreateBatch, rootCreateBatch, rootDeleteBatch, type Cidr, type FleetNetPlan, type HostNetPlan } from "./_net-plan.js";
import { TOOLS } from "./_tools.js";

export async function ip(args: readonly string[], options: { input?: string; what: string }): Promise<string> {
  const r = await run(TOOLS.ip, args, { timeoutMs: 30_000, ...(options.input === undefined ? {} : { input: options.input }) });
  if (r.exitCode !== 0) {
    throw new Error(`${options.what} failed: ip ${args.join(" ")} exited ${r.exitCode ?? r.signal}: ${r.stderr.trim()}`);
  }
  return r.stdout.toString("utf8");
}

interface IpAddr { addr_info?: { family?: string; local?: string; prefixlen?: number }[] }
interface IpRoute { dst?: string }

function routeCidr(family: 4 | 6, dst: string | undefined): Cidr[] {
  if (dst === undefined || dst === "default") return [];
  const [address = "", len] = dst.split("/");
  return [{ family, address, length: len === undefined ? (family === 4 ? 32 : 128) : Number(len) }];
}

/** Subnets of every address and route in the root namespace, so a new fleet's subnets overlap none. */
export async function takenNetworks(): Promise<Cidr[]> {
  const [addrs, r4, r6] = await Promise.all([
    ip(["-json", "addr"], { what: "listing addresses" }),
    ip(["-json", "-4", "route", "show", "table", "all"], { what: "listing IPv4 routes" }),
    ip(["-json", "-6", "route", "show", "table", "all"], { what: "listing IPv6 routes" }),
  ]);
  const out: Cidr[] = [];
  for (const link of JSON.parse(addrs) as IpAddr[]) {
    for (const a of link.addr_info ?? []) {
      if (a.local === undefined || a.prefixlen === undefined) continue;
      if (a.family === "inet") out.push({ family: 4, address: a.local, length: a.prefixlen });
      if (a.family === "inet6" && !a.local.startsWith("fe80:")) out.push({ family: 6, address: a.local, length: a.prefixlen });
    }
  }
  for (const r of JSON.parse(r4) as IpRoute[]) out.push(...routeCidr(4, r.dst));
  for (const r of JSON.parse(r6) as IpRoute[]) if (!r.dst?.startsWith("fe80:") && !r.dst?.startsWith("ff00:")) out.push(...routeCidr(6, r.dst));
  return out;
}

export async function createRootNet(plan: FleetNetPlan): Promise<void> {
  await ip(["-batch", "-"], { input: rootCreateBatch(plan), what: `creating the network of test fleet ${plan.prefix}` });
}

export async function configureHostNet(host: HostNetPlan): Promise<void> {
  await ip(["-n", host.netns, "-batch", "-"], { input: hostCreateBatch(host), what: `configuring eth0 of test host ${host.name} (${host.netns})` });
}

/** Removes links and namespaces, skipping what is already gone; throws only if something is still there afterwards. */
export async function deleteNet(plan: { prefix: string; bridge: string; hosts: readonly { netns: string; hubLink: string }[] }): Promise<void> {
  await run(TOOLS.ip, ["-force", "-batch", "-"], { input: rootDeleteBatch(plan), timeoutMs: 30_000 });
  const left = await leftovers(plan);
  if (left.length > 0) throw new Error(`test fleet ${plan.prefix}: still present after teardown: ${left.join(", ")}`);
}

async function leftovers(plan: { bridge: string; hosts: readonly { netns: string; hubLink: string }[] }): Promise<string[]> {
  const links = new Set((JSON.parse(await ip(["-json", "link"], { what: "listing links" })) as { ifname: string }[]).map((l) => l.ifname));
  const netns = new Set(listNetnsSync());
  return [
    ...[plan.bridge, ...plan.hosts.map((h) => h.hubLink)].filter((n) => links.has(n)).map((n) => `link ${n}`),
    ...plan.hosts.map((h) => h.netns).filter((n) => netns.has(n)).map((n) => `netns ${n}`),
  ];
}

/** For the synchronous exit hook. */
export function deleteNetSync(plan: { bridge: string; hosts: readonly { netns: string; hubLink: string }[] }): void {
  spawnSync(TOOLS.ip, ["-force", "-batch", "-"], { input: rootDeleteBatch(plan), stdio: ["pipe", "ignore", "ignore"], timeout: 30_000 });
}

export function listNetnsSync(): string[] {
  const r = spawnSync(TOOLS.ip, ["-json", "netns", "list"], { encoding: "utf8", timeout: 10_000 });
  const text = r.stdout.trim();
  // iproute2 prints nothing (not "[]") when there is no named namespace.
  return text === "" ? [] : (JSON.parse(text) as { name: string }[]).map((n) => n.name);
}

export function listLinksSync(): string[] {
  const r = spawnSync(TOOLS.ip, ["-json", "link"], { encoding: "utf8", timeout: 10_000 });
  return (JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname);
}

async function nftIn(netns: string, input: string, what: string): Promise<{ ok: boolean; stderr: string }> {
  if (TOOLS.nft === undefined) throw new Error(`${what}: nft is not installed (apt-get install nftables)`);
  const r = await run(TOOLS.nsenter, [`--net=/run/netns/${netns}`, "--", TOOLS.nft, "-f", "-"], { input, timeoutMs: 30_000 });
  return { ok: r.exitCode === 0, stderr: r.stderr.trim() };
}

export type CutMode = "drop" | "link-down";

export async function cutHostNet(host: HostNetPlan, mode: CutMode): Promise<void> {
  if (mode === "link-down") {
    await ip(["link", "set", host.hubLink, "down"], { what: `cutting the network of test host ${host.name}` });
    return;
  }
  const r = await nftIn(host.netns, CUT_RULESET, `cutting the network of test host ${host.name}`);
  if (!r.ok) throw new Error(`cutting the network of test host ${host.name}: nft failed: ${r.stderr}`);
}

export async function restoreHostNet(host: HostNetPlan, mode: CutMode): Promise<void> {
  if (mode === "link-down") {
    await ip(["link", "set", host.hubLink, "up"], { what: `restoring the network of test host ${host.name}` });
    return;
  }
  const r = await nftIn(host.netns, `delete table inet ${CUT_TABLE}\n`, `restoring the network of test host ${host.name}`);
  if (!r.ok) throw new Error(`restoring the network of test host ${host.name}: nft failed: ${r.stderr}`);
}
