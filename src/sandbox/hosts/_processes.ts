/**
 * Which processes live in a test host, and ending them. A host's processes are
 * found by namespace (every process whose mount or network namespace is the
 * host's), not by remembered pids: children, grandchildren and daemons that
 * re-parented themselves are all found, and a pid from an earlier life is not.
 */
import { readdirSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** Namespace inode numbers: `stat` of /proc/PID/ns/X (or of a namespace file) gives the namespace's inode. */
export interface NamespaceIds {
  mnt?: number;
  net?: number;
}

function nsInode(pid: string, kind: "mnt" | "net"): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/${kind}`).ino;
  } catch {
    return undefined; // exited meanwhile, or a zombie (its namespaces are already released)
  }
}

/** Every process in any of the namespaces, never this process itself. */
export function pidsInNamespaces(targets: readonly NamespaceIds[]): number[] {
  const mnt = new Set(targets.flatMap((t) => (t.mnt === undefined ? [] : [t.mnt])));
  const net = new Set(targets.flatMap((t) => (t.net === undefined ? [] : [t.net])));
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const m = mnt.size > 0 ? nsInode(entry, "mnt") : undefined;
    const n = net.size > 0 ? nsInode(entry, "net") : undefined;
    if ((m !== undefined && mnt.has(m)) || (n !== undefined && net.has(n))) out.push(Number(entry));
  }
  return out;
}

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/**
 * Ends every process in the namespaces: SIGTERM (unless `graceMs` is 0), then SIGKILL for what is left
 * after `graceMs`; returns once none is left. Repeats the scan, so a process forked meanwhile goes too.
 */
export async function killNamespaces(targets: readonly NamespaceIds[], options: { graceMs?: number; timeoutMs?: number } = {}): Promise<number[]> {
  const grace = options.graceMs ?? 2000;
  const deadline = performance.now() + grace + (options.timeoutMs ?? 10_000);
  const seen = new Set<number>();
  let pids = pidsInNamespaces(targets);
  if (grace > 0) signal(pids, "SIGTERM");
  const killAt = performance.now() + grace;
  while (pids.length > 0) {
    for (const p of pids) seen.add(p);
    if (performance.now() >= killAt) signal(pids, "SIGKILL");
    if (performance.now() > deadline) throw new Error(`processes ${pids.join(", ")} did not end after SIGKILL`);
    await sleep(20);
    pids = pidsInNamespaces(targets);
  }
  return [...seen].sort((a, b) => a - b);
}

/** The same for the synchronous exit hook: SIGKILL only, no waiting (the kernel finishes them). */
export function killNamespacesSync(targets: readonly NamespaceIds[]): void {
  signal(pidsInNamespaces(targets), "SIGKILL");
}
