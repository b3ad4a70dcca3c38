/**
 * The drain and decommission reconcile loop. Each tick looks at nodes that are
 * Draining or Decommissioning and moves them on:
 *
 * - every workload the node still reports is evicted through the eviction hook
 *   (HTTP POST `{ node, workload }`): 200 means done, 429 means "later" (retried
 *   with exponential backoff, or after Retry-After), any other answer is an
 *   error, recorded on the drain and retried with the same backoff;
 * - when the node reports no workloads, the drain is done (Draining → Drained);
 * - at the deadline, a forced drain is done anyway (what is left is reported as
 *   stopped by force); an unforced one stays Draining with the deadline marked
 *   passed, once, in the audit log, for an operator to decide;
 * - a Decommissioning node whose drain is done has its credentials revoked and
 *   becomes Decommissioned; its agent sees that and wipes its credential.
 *
 * Writes go through applyAction / updateNode with compare-and-set, so an
 * operator's change made meanwhile wins and the tick simply looks again next time.
 */
import { VersionConflictError } from "../db/index.js";
import type { DrainProgress, NodeRecord } from "../fleet/node.js";
import type { App, Deps } from "./context.js";
import { nowIso } from "./context.js";
import { applyAction } from "./lifecycle.js";

export interface ReconcileOptions {
  /** URL the scheduler answers evictions at; without one, the loop waits for workloads to leave by themselves. */
  evictionHook?: string;
  /** How often to look (default 2 s). */
  intervalMs?: number;
  /** First retry delay after a 429 or an error (default 5 s), doubling up to `maxBackoffMs` (default 5 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per eviction request (default 10 s). */
  hookTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface Reconciler {
  /** One pass over the nodes; resolves when every node has been looked at. */
  tick(): Promise<void>;
  /** Stops the timer at once; resolves when a pass under way has ended (so the database can be closed after it). */
  stop(): Promise<void>;
}

const DEPS = new WeakMap<App, Deps>();

/** createApp registers its collaborators here so a reconciler can share them (clock, notifier, log). */
export function registerDeps(app: App, deps: Deps): void {
  DEPS.set(app, deps);
}

type Eviction = DrainProgress["evictions"][string];

/** The collaborators createApp gave `app`, for the loops that run beside it. */
export function depsOf(app: App): Deps {
  const found = DEPS.get(app);
  if (!found) throw new Error("not an app made by createApp: its loops need the app's repository, clock and notifier");
  return found;
}

/** Start the loop for `app` (ticks every intervalMs until stop()); tests call tick() themselves with intervalMs 0. */
export function startReconciler(app: App, options: ReconcileOptions = {}): Reconciler {
  const deps = depsOf(app);
  const doFetch = options.fetch ?? fetch;
  const backoff = (attempts: number, retryAfterSeconds?: number): number =>
    retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : Math.min((options.backoffMs ?? 5000) * 2 ** Math.max(0, attempts - 1), options.maxBackoffMs ?? 300_000);

  async function evict(node: NodeRecord, workload: string, previous: Eviction | undefined): Promise<Eviction> {
    const attempts = (previous?.attempts ?? 0) + 1;
    const later = (ms: number, status: Eviction["status"], error?: string): Eviction => ({
      attempts, nextAttemptAt: new Date(deps.clock.now() + ms).toISOString(), status, ...(error === undefined ? {} : { error }),
    });
    try {
      const res = await doFetch(options.evictionHook!, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ node: node.name, nodeId: node.id, workload }),
        signal: AbortSignal.timeout(options.hookTimeoutMs ?? 10_000),
      });
      await res.body?.cancel();
      if (res.status === 200) return { attempts, nextAttemptAt: null, status: "evicted" };
      if (res.status === 429) {
        const ra = Number(res.headers.get("retry-after"));
        return later(backoff(attempts, Number.isFinite(ra) && ra > 0 ? ra : undefined), "pending");
      }
      return later(backoff(attempts), "error", `eviction hook answered HTTP ${res.status}`);
    } catch (err) {
      return later(backoff(attempts), "error", `eviction hook unreachable: ${(err as Error).message}`);
    }
  }

  /** Evict what is due; returns the new drain record (or the old one when nothing changed). */
  async function evictDue(node: NodeRecord, drain: DrainProgress, workloads: string[]): Promise<DrainProgress> {
    if (options.evictionHook === undefined) return drain;
    const now = deps.clock.now();
    let changed = false;
    const evictions = { ...drain.evictions };
    for (const id of workloads) {
      const e = evictions[id];
      if (e?.status === "evicted") continue;
      if (e?.nextAttemptAt && Date.parse(e.nextAttemptAt) > now) continue;
      evictions[id] = await evict(node, id, e);
      changed = true;
      deps.log({ level: evictions[id].status === "error" ? "warn" : "info", msg: "eviction", node: node.name, workload: id, status: evictions[id].status, attempts: evictions[id].attempts, ...(evictions[id].error ? { error: evictions[id].error } : {}) });
    }
    return changed ? { ...drain, evictions } : drain;
  }

  async function saveDrain(node: NodeRecord, drain: DrainProgress): Promise<NodeRecord | null> {
    try {
      const updated = await deps.repo.updateNode(node.id, node.version, { drain }, nowIso(deps));
      deps.notifier.changed(node.id);
      return updated;
    } catch (err) {
      if (err instanceof VersionConflictError) return null; // an operator acted meanwhile: look again next tick
      throw err;
    }
  }

  async function reconcileNode(start: NodeRecord): Promise<void> {
    let node = start;
    const drain = node.drain;
    if (drain === null) return;
    const workloads = (node.facts?.workloads ?? []).map((w) => w.id);
    const now = deps.clock.now();
    const pastDeadline = now >= Date.parse(drain.deadline);
    let drainDone = workloads.length === 0;
    if (!drainDone && !pastDeadline) {
      const next = await evictDue(node, drain, workloads);
      if (next !== drain) {
        const saved = await saveDrain(node, next);
        if (!saved) return;
        node = saved;
      }
    } else if (!drainDone && pastDeadline) {
      if (drain.force) {
        drainDone = true;
        await deps.repo.appendAudit({ at: nowIso(deps), actor: "system:drain", action: "node.drain-forced", target: `node:${node.name}`, before: { workloads }, after: { stoppedByForce: workloads } });
      } else if (!drain.deadlinePassed) {
        const saved = await saveDrain(node, { ...drain, deadlinePassed: true });
        if (!saved) return;
        await deps.repo.appendAudit({ at: nowIso(deps), actor: "system:drain", action: "node.drain-deadline-passed", target: `node:${node.name}`, before: { workloads }, after: { deadline: drain.deadline } });
        deps.log({ level: "warn", msg: "drain deadline passed", node: node.name, workloads: workloads.length });
        return;
      }
    }
    if (!drainDone) return;
    try {
      if (node.state === "Draining") {
        await applyAction(deps, node, "drained", { actor: "system:drain" });
      } else if (node.state === "Decommissioning") {
        const revoked = await deps.repo.revokeNodeCredentials(node.id, nowIso(deps));
        await applyAction(deps, node, "decommissioned", { actor: "system:decommission" });
        deps.log({ level: "info", msg: "node decommissioned", node: node.name, credentialsRevoked: revoked });
      }
    } catch (err) {
      deps.log({ level: "warn", msg: "reconcile step lost a race; retrying next tick", node: node.name, error: (err as Error).message });
    }
  }

  let running: Promise<void> | null = null;
  async function tick(): Promise<void> {
    const nodes = await deps.repo.listNodes({ states: ["Draining", "Decommissioning"] });
    for (const node of nodes) {
      try {
        await reconcileNode(node);
      } catch (err) {
        deps.log({ level: "error", msg: "reconcile failed", node: node.name, error: (err as Error).message });
      }
    }
  }
  const interval = options.intervalMs ?? 2000;
  const timer = interval > 0 ? setInterval(() => {
    if (running) return; // never two passes at once
    running = tick().catch((err: unknown) => deps.log({ level: "error", msg: "reconcile pass failed", error: (err as Error).message })).finally(() => { running = null; });
  }, interval) : null;
  timer?.unref();
  return {
    tick,
    stop: async () => {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
