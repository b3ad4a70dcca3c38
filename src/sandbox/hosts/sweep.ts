/**
 * Removes what crashed earlier runs left: network namespaces (and every process
 * in them), links and fleet directories named by the harness, for prefixes
 * whose owner process is gone. A fleet another live process owns is never touched.
 */
import { statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { unmountUnder } from "./_mounts.js";
import { deleteNet, listLinksSync, listNetnsSync } from "./_net.js";
import { fleetNames, prefixOfName } from "./_net-plan.js";
import { fleetDir, fleetDirPrefixes, liveOwner } from "./_owner.js";
import { killNamespaces } from "./_processes.js";

export interface SweepReport {
  prefixes: string[];
  netns: string[];
  links: string[];
  dirs: string[];
  killed: number[];
}

function netInode(netns: string): number | undefined {
  try {
    return statSync(`/run/netns/${netns}`).ino;
  } catch {
    return undefined;
  }
}

/** Sweeps one prefix, or (without one) every harness prefix that has no live owner. */
export async function sweepStaleTestFleets(prefix?: string): Promise<SweepReport> {
  const netns = listNetnsSync();
  const links = listLinksSync();
  const candidates = new Set([...netns, ...links].map(prefixOfName).filter((p): p is string => p !== undefined));
  for (const p of fleetDirPrefixes()) candidates.add(p);
  const report: SweepReport = { prefixes: [], netns: [], links: [], dirs: [], killed: [] };
  for (const p of [...candidates].sort()) {
    if (prefix !== undefined && p !== prefix) continue;
    if (liveOwner(p) !== undefined) continue;
    const mine = {
      netns: netns.filter((n) => prefixOfName(n) === p && /-h\d+$/.test(n)),
      links: links.filter((l) => prefixOfName(l) === p),
    };
    report.prefixes.push(p);
    const ids = mine.netns.map(netInode).filter((n): n is number => n !== undefined).map((net) => ({ net }));
    report.killed.push(...await killNamespaces(ids, { graceMs: 0 }));
    const names = fleetNames(p);
    const hubLinks = mine.links.filter((l) => l !== names.bridge);
    // Hub links and namespaces are paired by number for the delete batch; unpaired ones are deleted all the same.
    await deleteNet({ prefix: p, bridge: names.bridge, hosts: [
      ...hubLinks.map((l) => ({ hubLink: l, netns: names.netns(Number(l.slice(l.lastIndexOf("-") + 1))) })),
      ...mine.netns.map((n) => ({ netns: n, hubLink: names.hubLink(Number(n.slice(n.lastIndexOf("-h") + 2))) })),
    ] });
    report.netns.push(...mine.netns);
    report.links.push(...mine.links);
    if (fleetDirPrefixes().includes(p)) {
      await unmountUnder(fleetDir(p));
      await rm(fleetDir(p), { recursive: true, force: true });
      report.dirs.push(fleetDir(p));
    }
  }
  return report;
}
