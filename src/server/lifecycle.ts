/**
 * Lifecycle writes: a transition decided by the pure state machine
 * (fleet/node.ts), written with compare-and-set on the node's version together
 * with its audit entry in one transaction, then announced to long-polls. A lost
 * race is retried once against a fresh read; a second loss is a 409.
 */
import { VersionConflictError, type NodeUpdate } from "../db/index.js";
import { transition, TransitionError, type DrainProgress, type LifecycleAction, type NodeRecord } from "../fleet/node.js";
import { nowIso, type Deps } from "./context.js";
import { ApiError } from "./problem.js";

export interface DrainOptions {
  deadlineSeconds: number;
  force: boolean;
}

/** The node fields an audit entry records before and after a change. */
function auditView(n: NodeRecord): { state: string; version: number; drain: DrainProgress | null } {
  return { state: n.state, version: n.version, drain: n.drain };
}

function updateFor(node: NodeRecord, action: LifecycleAction, now: number, drain: DrainOptions | undefined): NodeUpdate {
  const state = transition(node, action);
  const newDrain = (o: DrainOptions): DrainProgress => ({
    startedAt: new Date(now).toISOString(),
    deadline: new Date(now + o.deadlineSeconds * 1000).toISOString(),
    force: o.force,
    evictions: {},
  });
  switch (action) {
    case "drain": {
      const fresh = newDrain(drain ?? { deadlineSeconds: 3600, force: false });
      // Draining again escalates the drain under way (new deadline, --force) without forgetting its evictions.
      if (node.state === "Draining" && node.drain !== null) return { state, drain: { ...fresh, startedAt: node.drain.startedAt, evictions: node.drain.evictions } };
      return { state, drain: fresh };
    }
    // Decommissioning drains first: keep a drain in progress (or done), start one otherwise.
    case "decommission": return { state, drain: node.drain ?? newDrain(drain ?? { deadlineSeconds: 3600, force: false }) };
    case "uncordon": return { state, drain: null };
    case "admit": case "cordon": case "drained": case "decommissioned": return { state };
  }
}

/**
 * Apply `action` to `node` as `actor`; returns the node after the change.
 * Throws ApiError 409 for an illegal transition (with the state machine's
 * message) or a second lost race.
 */
export async function applyAction(
  deps: Deps,
  node: NodeRecord,
  action: LifecycleAction,
  options: { actor: string; drain?: DrainOptions },
): Promise<NodeRecord> {
  let current = node;
  for (let attempt = 0; ; attempt++) {
    let update: NodeUpdate;
    try {
      update = updateFor(current, action, deps.clock.now(), options.drain);
    } catch (err) {
      if (err instanceof TransitionError) throw new ApiError(409, "illegal-transition", err.message, { cause: err });
      throw err;
    }
    const at = nowIso(deps);
    const before = current;
    try {
      const after = await deps.repo.transaction(async (tx) => {
        const updated = await tx.updateNode(before.id, before.version, update, at);
        await tx.appendAudit({ at, actor: options.actor, action: `node.${action}`, target: `node:${before.name}`, before: auditView(before), after: auditView(updated) });
        return updated;
      });
      deps.notifier.changed(after.id);
      deps.log({ level: "info", msg: "node state changed", node: after.name, action, from: before.state, to: after.state, actor: options.actor });
      return after;
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
      if (attempt >= 1) throw new ApiError(409, "conflict", `node ${before.name} changed while ${action} was being applied; read it again and retry`, { cause: err });
      const fresh = await deps.repo.getNode(before.id);
      if (!fresh) throw new ApiError(404, "not-found", `node ${before.name} no longer exists`);
      current = fresh;
    }
  }
}
