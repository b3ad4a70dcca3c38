/**
 * The rollout planner: pure functions from the rollout's record, what the
 * nodes and their operations look like now, and the time, to the actions
 * that move the rollout on. The server applies the actions and calls the
 * planner again on its next tick; the planner is idempotent over its input,
 * so a crashed server simply plans again from what the database says.
 *
 * A rollout upgrades its nodes wave by wave (canaries first). Within a wave at
 * most `maxUnavailable` nodes are under operation at once; a node that is not
 * Ready (or has a condition) when its turn comes is skipped and reported,
 * never counted as done. Once every node of the wave is done, failed or
 * skipped, the wave bakes; a node that turns unhealthy while baking fails.
 * More failures than the wave's budget abort the rollout: confirmations still
 * pending are refused (those agents roll back by themselves) and, unless told
 * not to, every node this rollout upgraded is rolled back to the generation it
 * had before.
 */
import type { NodeCondition, NodeState } from "./node.js";
import type { SystemTarget } from "./release.js";
import { inMaintenanceWindow, resolveQuantity, type RolloutPolicy } from "./rollout-policy.js";

export type RolloutStatus = "running" | "paused" | "aborting" | "aborted" | "succeeded";

/** A rollout in one of these is under way: the loop plans it, and its nodes may be in no other. */
export const ACTIVE_ROLLOUT_STATUSES: readonly RolloutStatus[] = ["running", "paused", "aborting"];

export interface RolloutRecord {
  id: string;
  status: RolloutStatus;
  policy: RolloutPolicy;
  /** Node name → the system it should end on, and whether it is drained first (both decided at start). */
  targets: Record<string, { path: string; drain: boolean }>;
  /** Node names per wave (wave 0: the canaries when there are any), fixed at start. */
  waves: string[][];
  /** Whether waves[0] holds canaries (it bakes for canary.bakeSeconds). */
  canaryWave: boolean;
  /** The wave under way. */
  wave: number;
  /** When the current wave's bake ends; set once all its nodes are done, failed or skipped. */
  bakeUntil: string | null;
  /** Nodes left out, and why. */
  skipped: Record<string, string>;
  /** Nodes that failed outside an operation (a drain that missed its deadline, unhealthy while baking), and why. */
  failed: Record<string, string>;
  /** Nodes this rollout drained and has not uncordoned yet. */
  drained: string[];
  abortReason: string | null;
}

export type OperationKind = "upgrade" | "rollback";
export type OperationStatus = "pending" | "running" | "confirming" | "confirmed" | "succeeded" | "failed" | "rolled-back";

export interface OperationView {
  id: string;
  node: string;
  kind: OperationKind;
  status: OperationStatus;
  /** The system it switches to, and the one the node ran before. */
  target: string;
  previous: string | null;
  createdAt: string;
  /** While confirming: whether the agent's health checks passed. */
  healthy?: boolean;
  error?: string;
}

export interface NodeView {
  name: string;
  state: NodeState;
  conditions: readonly NodeCondition[];
  currentSystem: string | null;
  /** Set when the node's drain passed its deadline with workloads left. */
  drainDeadlinePassed?: boolean;
}

export type RolloutAction =
  | { type: "start"; node: string; kind: OperationKind; target: string; previous: string | null }
  | { type: "drain"; node: string }
  | { type: "uncordon"; node: string }
  | { type: "confirm"; operation: string; node: string }
  | { type: "refuse"; operation: string; node: string; reason: string }
  | { type: "fail"; node: string; reason: string; operation?: string }
  | { type: "skip"; node: string; reason: string }
  | { type: "bake"; wave: number; until: string }
  | { type: "advance"; wave: number }
  | { type: "abort"; reason: string }
  | { type: "finish"; status: "succeeded" | "aborted" };

export type NodeOutcome = "waiting" | "draining" | "in-flight" | "done" | "failed" | "skipped";

export interface WaveProgress {
  wave: number;
  nodes: number;
  counts: Record<NodeOutcome, number>;
}

export interface PlanInput {
  rollout: RolloutRecord;
  nodes: ReadonlyMap<string, NodeView>;
  /** This rollout's operations, any order. */
  operations: readonly OperationView[];
  now: number;
}

export interface Plan {
  actions: RolloutAction[];
  /** Outcome of every node once this plan's actions are applied (what the loop's next tick will see). */
  outcomes: Map<string, NodeOutcome>;
  waves: WaveProgress[];
  /** Where every node stands now, before this plan's actions: what a person looking at the rollout should see. */
  observed: { outcomes: Map<string, NodeOutcome>; waves: WaveProgress[] };
}

const FINISHED: ReadonlySet<OperationStatus> = new Set(["succeeded", "failed", "rolled-back"]);

/** An operation in one of these statuses is over: nothing more happens to it (the others are open). */
export function isFinishedStatus(status: OperationStatus): boolean {
  return FINISHED.has(status);
}

const isFinished = (op: OperationView): boolean => isFinishedStatus(op.status);

/** Why `node` may not start an operation now, or null when it may. */
function notEligible(node: NodeView | undefined): string | null {
  if (node === undefined) return "node no longer exists";
  if (node.state !== "Ready") return `node is ${node.state}`;
  if (node.conditions.length > 0) return `node has ${node.conditions.join(", ")}`;
  return null;
}

/** The latest operation of each kind per node. */
function latestOps(operations: readonly OperationView[]): { upgrade: Map<string, OperationView>; rollback: Map<string, OperationView> } {
  const upgrade = new Map<string, OperationView>();
  const rollback = new Map<string, OperationView>();
  for (const op of operations) {
    const m = op.kind === "upgrade" ? upgrade : rollback;
    const seen = m.get(op.node);
    if (!seen || seen.createdAt < op.createdAt) m.set(op.node, op);
  }
  return { upgrade, rollback };
}

export function planRollout(input: PlanInput): Plan {
  const { rollout: r, nodes, now } = input;
  const p = r.policy;
  const actions: RolloutAction[] = [];
  const ops = latestOps(input.operations);
  const drained = new Set(r.drained);
  const outcomes = new Map<string, NodeOutcome>();

  // Operations that took too long count as failed, whatever the agent says later.
  const timedOut = new Set<string>();
  for (const op of input.operations) {
    if (!isFinished(op) && now - Date.parse(op.createdAt) > p.operationTimeoutSeconds * 1000) {
      timedOut.add(op.id);
      actions.push({ type: "fail", node: op.node, operation: op.id, reason: `operation ${op.id} did not finish within ${p.operationTimeoutSeconds} s (last step: ${op.status})` });
    }
  }

  const outcome = (name: string): NodeOutcome => {
    if (r.failed[name] !== undefined) return "failed";
    if (r.skipped[name] !== undefined) return "skipped";
    const op = ops.upgrade.get(name);
    if (op) {
      if (timedOut.has(op.id) || op.status === "failed" || op.status === "rolled-back") return "failed";
      return op.status === "succeeded" ? "done" : "in-flight";
    }
    if (drained.has(name)) return "draining";
    // Already on the release's system (someone got there first): nothing to apply.
    return nodes.get(name)?.currentSystem === r.targets[name]?.path ? "done" : "waiting";
  };
  for (const wave of r.waves) for (const name of wave) outcomes.set(name, outcome(name));
  const observed = new Map(outcomes);

  // Confirmations: health passed and the rollout still wants the change (a rollback is always wanted).
  for (const op of input.operations) {
    if (op.status !== "confirming" || timedOut.has(op.id)) continue;
    if (op.healthy !== true) actions.push({ type: "refuse", operation: op.id, node: op.node, reason: "health checks did not pass" });
    else if (op.kind === "upgrade" && (r.status === "aborting" || r.status === "aborted")) actions.push({ type: "refuse", operation: op.id, node: op.node, reason: `rollout ${r.id} is aborting: ${r.abortReason ?? "aborted"}` });
    else actions.push({ type: "confirm", operation: op.id, node: op.node });
  }

  // A node this rollout drained goes back to Ready once its operation is over (or, aborting, never started).
  for (const name of drained) {
    const o = outcomes.get(name);
    if (o === "done" || o === "failed" || o === "skipped" || ((r.status === "aborting" || r.status === "aborted") && o === "draining")) actions.push({ type: "uncordon", node: name });
  }

  if (r.status === "aborting") {
    planAbort(input, ops, actions, outcomes);
  } else if (r.status === "running" || r.status === "paused") {
    planWave(input, ops, actions, outcomes);
  }
  return {
    actions, outcomes, waves: r.waves.map((names, wave) => progress(wave, names, outcomes)),
    observed: { outcomes: observed, waves: r.waves.map((names, wave) => progress(wave, names, observed)) },
  };
}

function progress(wave: number, names: readonly string[], outcomes: ReadonlyMap<string, NodeOutcome>): WaveProgress {
  const counts: Record<NodeOutcome, number> = { waiting: 0, draining: 0, "in-flight": 0, done: 0, failed: 0, skipped: 0 };
  for (const n of names) counts[outcomes.get(n) ?? "waiting"]++;
  return { wave, nodes: names.length, counts };
}

function planWave(input: PlanInput, ops: ReturnType<typeof latestOps>, actions: RolloutAction[], outcomes: Map<string, NodeOutcome>): void {
  const { rollout: r, nodes, now } = input;
  const p = r.policy;
  const names = r.waves[r.wave] ?? [];
  const set = (name: string, o: NodeOutcome) => outcomes.set(name, o);

  // A drain this rollout started: on to the operation once Drained; failed if it missed its deadline or was undone.
  for (const name of names) {
    if (outcomes.get(name) !== "draining") continue;
    const node = nodes.get(name);
    if (node?.state === "Drained") {
      if (r.status === "running") {
        actions.push({ type: "start", node: name, kind: "upgrade", target: r.targets[name]!.path, previous: node.currentSystem });
        set(name, "in-flight");
      }
    } else if (node?.state !== "Draining" || node.drainDeadlinePassed) {
      const reason = node?.state === "Draining" ? "its drain missed the deadline" : `its drain was interrupted (node is ${node?.state ?? "gone"})`;
      actions.push({ type: "fail", node: name, reason });
      set(name, "failed");
    }
  }

  // While baking, a done node that turns unhealthy or leaves its target has failed.
  if (r.bakeUntil !== null) {
    for (const name of names) {
      if (outcomes.get(name) !== "done") continue;
      const node = nodes.get(name);
      const problem = notEligible(node) ?? (node!.currentSystem !== r.targets[name]!.path ? `node runs ${node!.currentSystem ?? "nothing known"}, not the release's system` : null);
      if (problem !== null) {
        actions.push({ type: "fail", node: name, reason: `unhealthy after its upgrade: ${problem}` });
        set(name, "failed");
      }
    }
  }

  const failures = names.filter((n) => outcomes.get(n) === "failed");
  const budget = resolveQuantity(p.failureBudget, names.length);
  if (failures.length > budget) {
    const why = failures.slice(0, 5).map((n) => `${n} (${failReason(r, ops, n, actions)})`).join(", ");
    actions.push({ type: "abort", reason: `wave ${r.wave}: ${failures.length} of ${names.length} nodes failed, budget ${budget}: ${why}${failures.length > 5 ? ", …" : ""}` });
    return;
  }

  // Start what the wave's concurrency, the status and the maintenance windows allow.
  if (r.status === "running" && inMaintenanceWindow(p.maintenanceWindows, now)) {
    const limit = Math.max(1, resolveQuantity(p.maxUnavailable, names.length));
    let busy = names.filter((n) => outcomes.get(n) === "in-flight" || outcomes.get(n) === "draining").length;
    for (const name of names) {
      if (busy >= limit) break;
      if (outcomes.get(name) !== "waiting") continue;
      const node = nodes.get(name);
      const target = r.targets[name]!;
      const why = notEligible(node);
      if (why !== null) {
        actions.push({ type: "skip", node: name, reason: why });
        set(name, "skipped");
      } else if (target.drain) {
        actions.push({ type: "drain", node: name });
        set(name, "draining");
        busy++;
      } else {
        actions.push({ type: "start", node: name, kind: "upgrade", target: target.path, previous: node!.currentSystem });
        set(name, "in-flight");
        busy++;
      }
    }
  }

  const complete = names.every((n) => ["done", "failed", "skipped"].includes(outcomes.get(n)!));
  if (!complete) return;
  if (r.bakeUntil === null) {
    const bake = r.canaryWave && r.wave === 0 ? p.canary.bakeSeconds ?? p.bakeSeconds : p.bakeSeconds;
    actions.push({ type: "bake", wave: r.wave, until: new Date(now + bake * 1000).toISOString() });
    return;
  }
  if (now < Date.parse(r.bakeUntil) || r.status !== "running") return;
  if (r.wave + 1 < r.waves.length) actions.push({ type: "advance", wave: r.wave + 1 });
  else actions.push({ type: "finish", status: "succeeded" });
}

function failReason(r: RolloutRecord, ops: ReturnType<typeof latestOps>, node: string, actions: readonly RolloutAction[]): string {
  const fresh = actions.find((a): a is Extract<RolloutAction, { type: "fail" }> => a.type === "fail" && a.node === node);
  return r.failed[node] ?? fresh?.reason ?? ops.upgrade.get(node)?.error ?? ops.upgrade.get(node)?.status ?? "failed";
}

function planAbort(input: PlanInput, ops: ReturnType<typeof latestOps>, actions: RolloutAction[], outcomes: Map<string, NodeOutcome>): void {
  const { rollout: r, nodes } = input;
  // Upgrades not yet picked up are withdrawn; running ones end by themselves (their confirmation will be refused).
  for (const op of ops.upgrade.values()) {
    if (op.status === "pending") actions.push({ type: "refuse", operation: op.id, node: op.node, reason: `rollout ${r.id} is aborting` });
  }
  const upgradesRunning = [...ops.upgrade.values()].some((op) => !isFinished(op) && op.status !== "pending" && outcomes.get(op.node) === "in-flight");
  if (upgradesRunning) return;

  let rollbacksOpen = false;
  if (r.policy.rollbackOnAbort) {
    for (const op of ops.upgrade.values()) {
      if (op.status !== "succeeded") continue;
      const back = ops.rollback.get(op.node);
      if (back) {
        if (!isFinished(back)) rollbacksOpen = true;
        continue;
      }
      if (op.previous === null) {
        if (r.failed[op.node] === undefined) actions.push({ type: "fail", node: op.node, reason: "cannot roll back: no previous generation was recorded" });
        continue;
      }
      if (nodes.get(op.node)?.currentSystem === op.previous) continue; // already back (rolled back by hand)
      actions.push({ type: "start", node: op.node, kind: "rollback", target: op.previous, previous: op.target });
      rollbacksOpen = true;
    }
  }
  if (!rollbacksOpen) actions.push({ type: "finish", status: "aborted" });
}

/**
 * Split a rollout's nodes into waves: the canaries (nodes carrying all the
 * canary labels, or else the first Ready ones by name; at most `canary.count`),
 * then the rest by name, each wave filling the rollout up to its cumulative
 * share. Empty waves are dropped.
 */
export function assignWaves(candidates: readonly { name: string; labels: Record<string, string>; schedulable: boolean }[], policy: RolloutPolicy): string[][] {
  const sorted = [...candidates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const total = sorted.length;
  const labels = policy.canary.labels;
  const canaries = (labels === undefined
    ? sorted.filter((c) => c.schedulable)
    : sorted.filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v))
  ).slice(0, policy.canary.count).map((c) => c.name);
  if (labels !== undefined && policy.canary.count > 0 && canaries.length === 0) {
    throw new RolloutPlanError(`no node of this release carries the canary labels ${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",")}; label one (hostplane node label) or use canary.count without labels`);
  }
  const chosen = new Set(canaries);
  const rest = sorted.map((c) => c.name).filter((n) => !chosen.has(n));
  const waves: string[][] = canaries.length > 0 ? [canaries] : [];
  let assigned = canaries.length;
  for (const w of policy.waves) {
    const upTo = w.endsWith("%") ? Math.ceil((Number(w.slice(0, -1)) / 100) * total) : Math.min(Number(w), total);
    const take = Math.max(0, upTo - assigned);
    if (take === 0) continue;
    waves.push(rest.slice(assigned - canaries.length, assigned - canaries.length + take));
    assigned += take;
  }
  return waves;
}

export class RolloutPlanError extends Error {
  override readonly name = "RolloutPlanError";
}

/**
 * Should a node be drained before its upgrade? Under `kernel-or-runtime`, yes
 * when either identity changes — or is unknown on either side, because a
 * microVM killed by a surprise reboot costs more than a drain.
 */
export function needsDrain(policy: RolloutPolicy["drain"], current: Pick<SystemTarget, "kernel" | "runtime"> | null, target: Pick<SystemTarget, "kernel" | "runtime">): boolean {
  if (policy === "always") return true;
  if (policy === "never") return false;
  if (current === null) return true;
  const differs = (a: string | undefined, b: string | undefined) => a === undefined || b === undefined || a !== b;
  return differs(current.kernel, target.kernel) || differs(current.runtime, target.runtime);
}
