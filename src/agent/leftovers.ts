/**
 * Leftovers of a forced drain. The control plane declares a node Drained by
 * force when a `--force` drain reaches its deadline with workloads still
 * reported; it cannot stop them itself, so the agent does. The agent stops
 * workloads in exactly one case: the desired state is Drained AND its drain
 * was forced. Never in any other state (Draining, Decommissioning, Ready, …)
 * nor after an unforced drain: there the scheduler's evictions (or an
 * operator) decide. A workload found on such a node later is stopped too:
 * the operator's --force said nothing may run there until uncordon.
 */
import type { Workload } from "../fleet/node.js";
import type { DesiredState } from "../server/schemas.js";

/** Sub states of a workload that is not running (systemd's for an inactive or failed unit): nothing to stop. */
const NOT_RUNNING = new Set(["dead", "failed"]);

/** The outcome of one stop, reported in the heartbeat facts as `forcedDrainStops`. */
export interface LeftoverStop {
  id: string;
  stopped: boolean;
  at: string;
  durationMs: number;
  error?: string;
}

/** Does this desired state make the agent stop what runs? */
export function stopsLeftovers(desired: Pick<DesiredState, "state" | "drain">): boolean {
  return desired.state === "Drained" && desired.drain !== null && desired.drain.force;
}

/** Which of the listed workloads to stop now (pure). */
export function leftoversToStop(desired: Pick<DesiredState, "state" | "drain">, workloads: readonly Workload[]): string[] {
  if (!stopsLeftovers(desired)) return [];
  return workloads.filter((w) => !NOT_RUNNING.has(w.state)).map((w) => w.id);
}

/** The report kept for the facts: the latest outcome per workload, in id order. */
export function mergeStops(previous: readonly LeftoverStop[], latest: readonly LeftoverStop[]): LeftoverStop[] {
  const byId = new Map(previous.map((s) => [s.id, s]));
  for (const s of latest) byId.set(s.id, s);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
