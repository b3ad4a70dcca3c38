/**
 * The rollout loop: each tick loads the rollouts under way (running, paused,
 * aborting), asks the pure planner (fleet/rollout-plan.ts) what to do given
 * the nodes and the rollout's operations, and applies the actions one
 * transaction each (rollout-apply.ts). Everything it knows is in the
 * database, so a server killed between (or during) ticks simply plans again
 * when it is back; the database refuses a second upgrade of a node in one
 * rollout whatever happens. The start/stop pattern is reconcile.ts's.
 */
import { AlreadyExistsError, VersionConflictError, type StoredRollout } from "../db/index.js";
import type { NodeRecord } from "../fleet/node.js";
import { planRollout } from "../fleet/rollout-plan.js";
import type { App, Deps } from "./context.js";
import { ApiError } from "./problem.js";
import { depsOf, type Reconciler } from "./reconcile.js";
import { applyRolloutAction, type ApplyContext } from "./rollout-apply.js";
import { planInput } from "./rollout-view.js";

export interface RolloutLoopOptions {
  /** How often to plan (default 1 s: confirmations wait for it). 0: only when tick() is called. */
  intervalMs?: number;
}

/** A lost race: the rollout, a node or an operation changed under the plan. Planned again next tick. */
function isRace(err: unknown): boolean {
  return err instanceof VersionConflictError || err instanceof AlreadyExistsError || (err instanceof ApiError && err.status === 409);
}

async function advance(deps: Deps, r: StoredRollout, nodes: Map<string, NodeRecord>): Promise<void> {
  const release = await deps.repo.getRelease(r.release);
  if (release === null) throw new Error(`rollout ${r.id}: its release ${r.release} is missing`);
  const ops = await deps.repo.listRolloutOperations(r.id);
  const plan = planRollout(planInput(r, nodes, ops, deps.clock.now(), deps.config.lease));
  const ctx: ApplyContext = { deps, release, nodes, ops: new Map(ops.map((o) => [o.id, o])) };
  let current = r;
  for (const action of plan.actions) {
    try {
      current = await applyRolloutAction(ctx, current, action);
    } catch (err) {
      if (!isRace(err)) throw err;
      // The rest of this plan was made from what is now stale.
      deps.log({ level: "info", msg: "rollout action lost a race; planning again next tick", rollout: r.id, action: action.type, error: (err as Error).message });
      return;
    }
  }
}

/** Start the rollout loop for `app`; tests pass intervalMs 0 and call tick() themselves. */
export function startRolloutLoop(app: App, options: RolloutLoopOptions = {}): Reconciler {
  const deps = depsOf(app);
  async function tick(): Promise<void> {
    const rollouts = await deps.repo.listRollouts({ statuses: ["running", "paused", "aborting"] });
    if (rollouts.length === 0) return;
    const nodes = new Map((await deps.repo.listNodes()).map((n) => [n.name, n]));
    // Oldest first: an older rollout's actions see the nodes before a newer one's.
    for (const r of rollouts.reverse()) {
      try {
        await advance(deps, r, nodes);
      } catch (err) {
        deps.log({ level: "error", msg: "rollout pass failed", rollout: r.id, error: (err as Error).message });
      }
    }
  }
  let running: Promise<void> | null = null;
  const interval = options.intervalMs ?? 1000;
  const timer = interval > 0 ? setInterval(() => {
    if (running) return; // never two passes at once
    running = tick().catch((err: unknown) => deps.log({ level: "error", msg: "rollout loop pass failed", error: (err as Error).message })).finally(() => { running = null; });
  }, interval) : null;
  timer?.unref();
  return {
    tick: async () => {
      // A tick asked for while the timer's pass runs waits for it rather than running beside it.
      while (running) await running;
      running = tick().finally(() => { running = null; });
      return running;
    },
    stop: async () => {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
