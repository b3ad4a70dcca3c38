/**
 * Rollouts as the planner and the API see them: the planner's input built
 * from the stored rollout, the nodes and the rollout's operations; and the
 * rollout's summary and detail (per-wave progress and per-node outcome come
 * from the planner itself, so the API shows what the loop acts on).
 */
import type { NodeStatus, OperationEvent, OperationRecord, ReleaseRecord, StoredRollout } from "../db/index.js";
import { nodeConditions, type LeaseConfig } from "../fleet/node.js";
import type { NodeView, OperationView, Plan, PlanInput } from "../fleet/rollout-plan.js";
import type { FleetCache } from "./context.js";
import type { OperationDetail, RolloutDetail, RolloutSummary } from "./rollout-schemas.js";
import type { OperationOffer } from "./schemas.js";

export function nodeView(n: NodeStatus, now: number, lease: LeaseConfig): NodeView {
  return {
    name: n.name, state: n.state, conditions: nodeConditions(n, now, lease), currentSystem: n.systems?.currentSystem ?? null,
    drainDeadlinePassed: n.drain?.deadlinePassed === true,
  };
}

export function operationView(op: OperationRecord): OperationView {
  return {
    id: op.id, node: op.node, kind: op.kind, status: op.status, target: op.target, previous: op.previous, createdAt: op.createdAt,
    ...(op.healthy === null ? {} : { healthy: op.healthy }), ...(op.error === null ? {} : { error: op.error }),
  };
}

/** `nodes` by name: every node of the fleet as listNodeStatuses gives it (no facts parsed; those the rollout names are picked). */
export function planInput(r: StoredRollout, nodes: ReadonlyMap<string, NodeStatus>, ops: readonly OperationRecord[], now: number, lease: LeaseConfig): PlanInput {
  const views = new Map<string, NodeView>();
  for (const name of Object.keys(r.targets)) {
    const n = nodes.get(name);
    if (n !== undefined) views.set(name, nodeView(n, now, lease));
  }
  return { rollout: r, nodes: views, operations: ops.map(operationView), now };
}

export function rolloutSummary(r: StoredRollout, release: Pick<ReleaseRecord, "id" | "name">): RolloutSummary {
  return {
    id: r.id, release: { id: release.id, name: release.name }, status: r.status, wave: r.wave, waves: r.waves.length, bakeUntil: r.bakeUntil,
    abortReason: r.abortReason, createdBy: r.createdBy, createdAt: r.createdAt, updatedAt: r.updatedAt, version: r.version,
  };
}

export function rolloutDetail(r: StoredRollout, release: Pick<ReleaseRecord, "id" | "name">, plan: Plan, ops: readonly OperationRecord[]): RolloutDetail {
  const latest = new Map<string, OperationRecord>();
  for (const op of ops) {
    const seen = latest.get(op.node);
    if (!seen || seen.epoch < op.epoch) latest.set(op.node, op);
  }
  return {
    ...rolloutSummary(r, release),
    policy: r.policy,
    canaryWave: r.canaryWave,
    progress: plan.observed.waves.map((w) => ({ wave: w.wave, nodes: r.waves[w.wave] ?? [], counts: w.counts })),
    nodes: r.waves.flatMap((names, wave) => names.map((name) => {
      const op = latest.get(name);
      return {
        name, wave, outcome: plan.observed.outcomes.get(name) ?? "waiting", target: r.targets[name]?.path ?? "", drain: r.targets[name]?.drain ?? false,
        reason: r.skipped[name] ?? r.failed[name] ?? (op && (op.status === "failed" || op.status === "rolled-back") ? op.error ?? op.decisionReason ?? op.status : null),
        operation: op ? { id: op.id, kind: op.kind, status: op.status, epoch: op.epoch } : null,
      };
    })),
  };
}

export function operationDetail(op: OperationRecord, events: readonly OperationEvent[]): OperationDetail {
  return {
    id: op.id, node: op.node, nodeId: op.nodeId, rollout: op.rollout, kind: op.kind, epoch: op.epoch, target: op.target, previous: op.previous,
    status: op.status, decision: op.decision, decisionReason: op.decisionReason, error: op.error, healthy: op.healthy, checks: op.checks,
    withdrawn: op.withdrawn, createdAt: op.createdAt, updatedAt: op.updatedAt,
    events: events.filter((e) => e.operation === op.id).map((e) => ({ seq: e.seq, step: e.step, ok: e.ok, at: e.at, receivedAt: e.receivedAt, detail: e.detail, data: e.data })),
  };
}

/** The operation as its agent receives it; without a configured cache the agent gets an empty one (its preflight fails the operation). */
export function operationOffer(op: OperationRecord, cache: FleetCache | null): OperationOffer {
  return {
    id: op.id, epoch: op.epoch, kind: op.kind, rollout: op.rollout, target: op.target, previous: op.previous, closureSize: op.spec.closureSize,
    cache: { url: cache?.url ?? "", publicKeys: cache?.publicKeys ?? [] }, healthChecks: op.spec.healthChecks,
    confirmTimeoutSeconds: op.spec.confirmTimeoutSeconds, healthTimeoutSeconds: op.spec.healthTimeoutSeconds,
  };
}
