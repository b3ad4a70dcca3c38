/**
 * The sandbox's own processes by pid: alive, and ended (SIGTERM, then
 * SIGKILL). A pid is only signalled while its command line still names
 * hostplane, so a pid reused by something else after a reboot is left alone.
 */
import { readFileSync } from "node:fs";

export function isHostplaneProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("hostplane");
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ends the processes that are still ours; returns the pids it signalled. */
export async function stopPids(pids: readonly number[], options: { graceMs?: number } = {}): Promise<number[]> {
  const ours = pids.filter(isHostplaneProcess);
  const signal = (sig: NodeJS.Signals) => { for (const pid of ours) { try { process.kill(pid, sig); } catch { /* ended meanwhile */ } } };
  signal("SIGTERM");
  const until = Date.now() + (options.graceMs ?? 5000);
  while (Date.now() < until && ours.some(isHostplaneProcess)) await sleep(100);
  signal("SIGKILL");
  while (ours.some(isHostplaneProcess)) await sleep(50);
  return ours;
}
