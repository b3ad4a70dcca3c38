/**
 * The rollout loop: each tick loads the rollouts under way (running, paused,
 * aborting), asks the pure planner (fleet/rollout-plan.ts) what to do given
 * the nodes and the rollout's operations, and applies the actions one
 * transaction each (rollout-apply.ts). Everything it knows is in the
 * database, so a server killed between (or during) ticks simply plans again
 * when it is back; the database refuses a second upgrade of a node in one
 * rollout whatever happens. The start/stop pattern is reconcile.ts's.
 */
import { AlreadyExistsError, VersionConflictError, type NodeStatus, type StoredRollout } from "../db/index.js";
import { ACTIVE_ROLLOUT_STATUSES, planRollout } from "../fleet/rollout-plan.js";
import type { App, Deps } from "./context.js";
import { ApiError } from "./problem.js";
import { depsOf, type Reconciler } from "./reconcile.js";
import { applyRolloutAction, type ApplyContext } from "./rollout-apply.js";
import { planInput } from "./rollout-view.js";

export interface RolloutLoopOptions {
  /** How often to plan at the latest (default 1 s); woken sooner by wakeRolloutLoop. 0: only when tick() is called. */
  intervalMs?: number;
}

const WAKE_KEY = "rollout-loop";

/**
 * Plan now rather than at the next tick: an agent asks for its confirmation, or an operation ended (the wave may
 * be complete). Through the notifier, so with PostgreSQL every server's loop hears it.
 */
export function wakeRolloutLoop(deps: Pick<Deps, "notifier">): void {
  deps.notifier.changed(WAKE_KEY);
}

/** Actions after which the next plan has more to do at once (the next wave's first operations, a finish). */
const REPLAN_AFTER: ReadonlySet<string> = new Set(["advance", "abort"]);
const MAX_PASSES = 3;

/** A lost race: the rollout, a node or an operation changed under the plan. Planned again next tick. */
function isRace(err: unknown): boolean {
  return err instanceof VersionConflictError || err instanceof AlreadyExistsError || (err instanceof ApiError && err.status === 409);
}

/** One plan for `r`, its actions applied; true when the rollout should be planned again at once. */
async function advance(deps: Deps, r: StoredRollout, nodes: Map<string, NodeStatus>): Promise<boolean> {
  const release = await deps.repo.getRelease(r.release);
  if (release === null) throw new Error(`rollout ${r.id}: its release ${r.release} is missing`);
  const ops = await deps.repo.listRolloutOperations(r.id);
  const plan = planRollout(planInput(r, nodes, ops, deps.clock.now(), deps.config.lease));
  const ctx: ApplyContext = { deps, release, nodes: new Map(), ops: new Map(ops.map((o) => [o.id, o])) };
  let current = r;
  for (const action of plan.actions) {
    try {
      current = await applyRolloutAction(ctx, current, action);
    } catch (err) {
      if (!isRace(err)) throw err;
      // The rest of this plan was made from what is now stale.
      deps.log({ level: "info", msg: "rollout action lost a race; planning again next tick", rollout: r.id, action: action.type, error: (err as Error).message });
      return false;
    }
  }
  return plan.actions.some((a) => REPLAN_AFTER.has(a.type));
}

/** Start the rollout loop for `app`; tests pass intervalMs 0 and call tick() themselves. */
export function startRolloutLoop(app: App, options: RolloutLoopOptions = {}): Reconciler {
  const deps = depsOf(app);
  async function tick(): Promise<void> {
    const rollouts = await deps.repo.listRollouts({ statuses: ACTIVE_ROLLOUT_STATUSES });
    if (rollouts.length === 0) return;
    // Slim statuses (no facts parsed): a tick may run many times a second while a large wave confirms.
    const nodes = new Map((await deps.repo.listNodeStatuses()).map((n) => [n.name, n]));
    // Oldest first: an older rollout's actions see the nodes before a newer one's.
    for (const first of rollouts.reverse()) {
      let r: StoredRollout | null = first;
      // A wave that advanced (or an abort) is planned again at once instead of a tick later.
      for (let pass = 0; r !== null && pass < MAX_PASSES; pass++) {
        try {
          if (!(await advance(deps, r, nodes))) break;
        } catch (err) {
          deps.log({ level: "error", msg: "rollout pass failed", rollout: r.id, error: (err as Error).message });
          break;
        }
        r = await deps.repo.getRollout(r.id);
        if (r === null || !ACTIVE_ROLLOUT_STATUSES.includes(r.status)) break;
        for (const n of await deps.repo.listNodeStatuses()) nodes.set(n.name, n);
      }
    }
  }
  let running: Promise<void> | null = null;
  const interval = options.intervalMs ?? 1000;
  const stopping = new AbortController();
  const pass = (): Promise<void> => {
    running = tick().catch((err: unknown) => deps.log({ level: "error", msg: "rollout loop pass failed", error: (err as Error).message })).finally(() => { running = null; });
    return running;
  };
  // Plans every `interval`, or at once when woken. The next wait is listened for before a pass starts, so a wake
  // arriving during the pass runs another one right after it instead of being lost.
  const looping = interval > 0 ? (async () => {
    let next = deps.notifier.waitForChange(WAKE_KEY, interval, stopping.signal);
    while (!stopping.signal.aborted) {
      if ((await next) === "aborted") return;
      next = deps.notifier.waitForChange(WAKE_KEY, interval, stopping.signal);
      await pass();
    }
  })() : Promise.resolve();
  return {
    tick: async () => {
      // A tick asked for while the loop's pass runs waits for it rather than running beside it; its errors reach the caller.
      while (running) await running;
      running = tick().finally(() => { running = null; });
      return running;
    },
    stop: async () => {
      stopping.abort();
      await looping;
      await running;
    },
  };
}
