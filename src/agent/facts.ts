/**
 * The facts a heartbeat carries (NodeFacts): read from the running system on
 * every heartbeat (symlinks, statfs, the workload adapter) plus the cached
 * contract report. `root` points the readers at a fake tree in tests.
 * Free space is rounded down to 64 MiB, so a log line written to /nix does
 * not change the facts hash and force a full upload on every heartbeat.
 */
import { readdir, readlink, statfs } from "node:fs/promises";
import { hostname, release } from "node:os";
import type { NodeFacts } from "../fleet/node.js";
import type { ContractSnapshot } from "./contract-report.js";
import type { WorkloadAdapter } from "./workloads.js";

/** NodeFacts plus what the agent could not find out (the server keeps unknown fields). */
export type AgentFacts = NodeFacts & { workloadsError?: string };

export interface FactsSources {
  /** Prefix of every path read ("" on a real host). */
  root: string;
  /** Paths whose free space is reported besides /nix and /boot (state and storage paths). */
  spacePaths: readonly string[];
  workloads: WorkloadAdapter;
  contract: () => Promise<ContractSnapshot>;
  agentVersion: string;
}

const FREE_GRANULE = 64 * 1024 * 1024;
const PROFILES = "/nix/var/nix/profiles";
const LINK_RE = /^system-(\d+)-link$/;

/** Where the symlink `path` points, or null when there is none (missing, not a link, a parent not a directory). */
export async function linkTarget(path: string): Promise<string | null> {
  try {
    return await readlink(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EINVAL" || code === "ENOTDIR") return null;
    throw err;
  }
}

/** System profile generations from the `system-N-link` symlinks (as nix-env reads them), oldest first. */
export async function systemGenerations(root: string): Promise<NodeFacts["generations"]> {
  const dir = `${root}${PROFILES}`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const current = await linkTarget(`${dir}/system`);
  const currentName = current === null ? null : current.slice(current.lastIndexOf("/") + 1);
  const out: NodeFacts["generations"] = [];
  for (const name of names) {
    const m = LINK_RE.exec(name);
    if (!m) continue;
    const target = await linkTarget(`${dir}/${name}`);
    if (target === null) continue;
    out.push({ number: Number(m[1]), path: target, current: name === currentName });
  }
  return out.sort((a, b) => a.number - b.number);
}

/** Free bytes (for unprivileged users, as df shows) per path that exists, rounded down to 64 MiB. */
export async function freeBytes(root: string, paths: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await Promise.all([...new Set(paths)].map(async (p) => {
    try {
      const s = await statfs(`${root}${p}`, { bigint: true });
      const free = Number(s.bavail * s.bsize);
      out[p] = Math.floor(free / FREE_GRANULE) * FREE_GRANULE;
    } catch {
      // A path that does not exist has no free space to report; the contract report says it is missing.
    }
  }));
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Kernel and initrd identities of a system (the targets of its `kernel` and `initrd` links); null without a system. */
async function bootIdentity(root: string, system: string | null): Promise<{ kernel: string | null; initrd: string | null } | null> {
  if (system === null) return null;
  const [kernel, initrd] = await Promise.all([linkTarget(`${root}${system}/kernel`), linkTarget(`${root}${system}/initrd`)]);
  return { kernel, initrd };
}

export async function collectFacts(src: FactsSources): Promise<{ facts: AgentFacts; contract: ContractSnapshot }> {
  const [contract, generations, currentSystem, bootedSystem, free, workloads] = await Promise.all([
    src.contract(),
    systemGenerations(src.root),
    linkTarget(`${src.root}/run/current-system`),
    linkTarget(`${src.root}/run/booted-system`),
    freeBytes(src.root, ["/nix", "/boot", ...src.spacePaths]),
    src.workloads.list().then((list) => ({ list }), (err: unknown) => ({ list: [], error: (err as Error).message })),
  ]);
  const [current, booted] = await Promise.all([bootIdentity(src.root, currentSystem), bootIdentity(src.root, bootedSystem)]);
  const facts: AgentFacts = {
    hostname: hostname(),
    kernel: release(),
    currentSystem,
    bootedSystem,
    generations,
    freeBytes: free,
    nixTrust: contract.nixTrust,
    workloads: workloads.list,
    contract: contract.report,
    agentVersion: src.agentVersion,
    boot: { current, booted },
    ...("error" in workloads ? { workloadsError: workloads.error } : {}),
  };
  return { facts, contract };
}
