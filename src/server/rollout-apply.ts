/**
 * The thin applier of the rollout planner's actions. Each action is one
 * transaction: the rollout written with compare-and-set on its version, the
 * action's own writes (an operation made with the node's next epoch, a drain
 * or uncordon through the lifecycle, a decision on an operation), a rollout
 * event and an audit entry — all land or none do. Long-polls are woken once
 * it committed. An action with nothing left to do (a decision already made)
 * writes nothing, so applying a plan again is harmless.
 */
import type { OperationRecord, ReleaseRecord, Repository, RolloutState, StoredRollout } from "../db/index.js";
import { TransitionError, type NodeRecord } from "../fleet/node.js";
import { targetFor, type SystemTarget } from "../fleet/release.js";
import { isFinishedStatus, type RolloutAction } from "../fleet/rollout-plan.js";
import { nowIso, type Deps } from "./context.js";
import { applyAction } from "./lifecycle.js";
import { ApiError } from "./problem.js";
import { newId } from "./ids.js";

/**
 * What an action reads; `nodes` (whole records by name, loaded only for the nodes an action touches: the plan
 * itself is made from slim node statuses) and `ops` (by id) are kept current as actions change them.
 */
export interface ApplyContext {
  deps: Deps;
  release: ReleaseRecord;
  nodes: Map<string, NodeRecord>;
  ops: Map<string, OperationRecord>;
}

/**
 * A rollback's target as the newest release that gave it to this node: its health checks and closure size then
 * judge the rollback too. Null (only failed units are checked) when no stored release names it.
 */
async function releasedAs(ctx: ApplyContext, node: NodeRecord, path: string): Promise<SystemTarget | null> {
  for (const release of await ctx.deps.repo.listReleases()) {
    const t = targetFor(release.manifest, node);
    if (t?.path === path) return t;
  }
  return null;
}

async function nodeOf(ctx: ApplyContext, name: string): Promise<NodeRecord | undefined> {
  let node = ctx.nodes.get(name);
  if (node === undefined) {
    node = (await ctx.deps.repo.getNodeByName(name)) ?? undefined;
    if (node !== undefined) ctx.nodes.set(name, node);
  }
  return node;
}

interface Step {
  state: RolloutState;
  event: { type: string; node: string | null; detail: string; data?: unknown };
  /** The action's own writes, inside the transaction; returns long-poll keys to wake after the commit. */
  write?: (tx: Repository, at: string) => Promise<string[]>;
}

export const rolloutActor = (id: string): string => `rollout:${id}`;

function stateOf(r: StoredRollout): RolloutState {
  return {
    status: r.status, policy: r.policy, wave: r.wave, bakeUntil: r.bakeUntil, skipped: { ...r.skipped }, failed: { ...r.failed },
    drained: [...r.drained], abortReason: r.abortReason,
  };
}


/**
 * Apply one action; returns the rollout after it (unchanged when there was nothing to do). Throws
 * VersionConflictError (the rollout or a node changed meanwhile) and the lifecycle's ApiError 409; the
 * caller stops applying this plan and plans again next tick.
 */
export async function applyRolloutAction(ctx: ApplyContext, r: StoredRollout, action: RolloutAction): Promise<StoredRollout> {
  const step = await plan(ctx, r, action);
  if (step === null) return r;
  const { deps } = ctx;
  const at = nowIso(deps);
  const actor = rolloutActor(r.id);
  let wake: string[] = [];
  const saved = await deps.repo.transaction(async (tx) => {
    const after = await tx.updateRollout(r.id, r.version, step.state, at);
    wake = (await step.write?.(tx, at)) ?? [];
    await tx.appendRolloutEvent({ rollout: r.id, at, type: step.event.type, node: step.event.node, detail: step.event.detail, data: step.event.data ?? null });
    await tx.appendAudit({
      at, actor, action: `rollout.${action.type}`, target: step.event.node === null ? `rollout:${r.id}` : `node:${step.event.node}`,
      before: { rollout: r.id, status: r.status, wave: r.wave, version: r.version }, after: { rollout: r.id, status: after.status, wave: after.wave, version: after.version, detail: step.event.detail },
    });
    return after;
  });
  for (const key of new Set([...wake, `rollout:${r.id}`])) deps.notifier.changed(key);
  deps.metrics.rolloutActions.inc({ action: action.type });
  deps.log({ level: action.type === "fail" || action.type === "abort" ? "warn" : "info", msg: "rollout action", rollout: r.id, action: action.type, node: step.event.node, detail: step.event.detail });
  return saved;
}

async function plan(ctx: ApplyContext, r: StoredRollout, a: RolloutAction): Promise<Step | null> {
  const state = stateOf(r);
  const p = r.policy;
  switch (a.type) {
    case "start": {
      const node = await nodeOf(ctx, a.node);
      if (!node) return null;
      const target = a.kind === "upgrade" ? targetFor(ctx.release.manifest, node) : await releasedAs(ctx, node, a.target);
      const spec = {
        closureSize: target?.closureSize ?? null, healthChecks: target?.healthChecks ?? [],
        confirmTimeoutSeconds: Math.max(1, p.confirmTimeoutSeconds), healthTimeoutSeconds: Math.max(1, p.healthTimeoutSeconds),
      };
      const id = newId("op");
      return {
        state,
        event: { type: a.kind === "upgrade" ? "node-started" : "rollback-started", node: a.node, detail: `${a.kind} ${id} to ${a.target}`, data: { operation: id, kind: a.kind, target: a.target, previous: a.previous } },
        write: async (tx, at) => {
          const op = await tx.createOperation({ id, nodeId: node.id, node: node.name, rollout: r.id, kind: a.kind, target: a.target, previous: a.previous, spec, createdAt: at });
          // A new desired state: the node's long-poll answers with the operation.
          ctx.nodes.set(node.name, await tx.updateNode(node.id, node.version, {}, at));
          ctx.ops.set(op.id, op);
          ctx.deps.metrics.operations.inc({ kind: a.kind, status: "started" });
          return [node.id];
        },
      };
    }
    case "drain": {
      const node = await nodeOf(ctx, a.node);
      if (!node) return null;
      state.drained = [...new Set([...state.drained, a.node])];
      return {
        state, event: { type: "node-draining", node: a.node, detail: `draining before its upgrade (deadline ${p.drainDeadlineSeconds} s)` },
        write: async (tx) => {
          const after = await applyAction({ ...ctx.deps, repo: tx }, node, "drain", { actor: rolloutActor(r.id), drain: { deadlineSeconds: p.drainDeadlineSeconds, force: false } });
          ctx.nodes.set(after.name, after);
          return [after.id];
        },
      };
    }
    case "uncordon": {
      state.drained = state.drained.filter((n) => n !== a.node);
      const node = await nodeOf(ctx, a.node);
      return {
        state, event: { type: "node-uncordoned", node: a.node, detail: "back to Ready after its upgrade" },
        write: async (tx) => {
          if (!node) return [];
          try {
            const after = await applyAction({ ...ctx.deps, repo: tx }, node, "uncordon", { actor: rolloutActor(r.id) });
            ctx.nodes.set(after.name, after);
            return [after.id];
          } catch (err) {
            // Someone uncordoned (or decommissioned) it meanwhile: nothing to undo.
            if (err instanceof ApiError && err.code === "illegal-transition" && err.cause instanceof TransitionError) return [];
            throw err;
          }
        },
      };
    }
    case "confirm":
    case "refuse": {
      const op = ctx.ops.get(a.operation);
      if (!op || op.decision !== null || isFinishedStatus(op.status)) return null;
      const withdraw = a.type === "refuse" && op.status === "pending";
      // Loaded before the transaction (the repository may not be called inside its own transaction).
      const node = withdraw ? await nodeOf(ctx, a.node) : undefined;
      const reason = a.type === "refuse" ? a.reason : null;
      return {
        state,
        event: { type: a.type === "confirm" ? "node-confirmed" : withdraw ? "node-withdrawn" : "node-refused", node: a.node, detail: reason ?? `operation ${op.id} confirmed`, data: { operation: op.id } },
        write: async (tx, at) => {
          const update = a.type === "confirm"
            ? { status: "confirmed" as const, decision: "confirmed" as const }
            : withdraw
              ? { status: "failed" as const, withdrawn: true, decision: "refused" as const, decisionReason: reason, error: `withdrawn before its agent started it: ${reason ?? ""}` }
              : { decision: "refused" as const, decisionReason: reason };
          ctx.ops.set(op.id, await tx.updateOperation(op.id, op.version, update, at));
          const wake = [`op:${op.id}`];
          if (withdraw && node) {
            // The desired state no longer offers it.
            ctx.nodes.set(node.name, await tx.updateNode(node.id, node.version, {}, at));
            wake.push(node.id);
          }
          return wake;
        },
      };
    }
    case "fail": {
      const op = a.operation === undefined ? undefined : ctx.ops.get(a.operation);
      const opOpen = op !== undefined && !isFinishedStatus(op.status);
      if (!opOpen && state.failed[a.node] !== undefined) return null;
      state.failed[a.node] ??= a.reason;
      return {
        state, event: { type: "node-failed", node: a.node, detail: a.reason, data: op ? { operation: op.id } : null },
        write: async (tx, at) => {
          if (!op || !opOpen) return [];
          ctx.ops.set(op.id, await tx.updateOperation(op.id, op.version, { status: "failed", error: a.reason }, at));
          ctx.deps.metrics.operations.inc({ kind: op.kind, status: "failed" });
          return [`op:${op.id}`];
        },
      };
    }
    case "skip":
      if (state.skipped[a.node] !== undefined) return null;
      state.skipped[a.node] = a.reason;
      return { state, event: { type: "node-skipped", node: a.node, detail: a.reason } };
    case "bake":
      state.bakeUntil = a.until;
      return { state, event: { type: "wave-baking", node: null, detail: `wave ${a.wave} is complete; it bakes until ${a.until}`, data: { wave: a.wave } } };
    case "advance":
      state.wave = a.wave;
      state.bakeUntil = null;
      return { state, event: { type: "wave-started", node: null, detail: `wave ${a.wave - 1} baked; wave ${a.wave} starts: ${(r.waves[a.wave] ?? []).join(", ")}`, data: { wave: a.wave } } };
    case "abort":
      state.status = "aborting";
      state.abortReason = a.reason;
      return { state, event: { type: "rollout-aborting", node: null, detail: a.reason } };
    case "finish":
      state.status = a.status;
      state.bakeUntil = null;
      return { state, event: { type: "rollout-finished", node: null, detail: `rollout ${r.id} ${a.status}` } };
  }
}
