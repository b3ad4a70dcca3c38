import { test } from "node:test";
import assert from "node:assert/strict";
import { assignWaves, needsDrain, planRollout, RolloutPlanError, type NodeView, type OperationView, type PlanInput, type RolloutAction, type RolloutRecord } from "./rollout-plan.js";
import { RolloutPolicySchema, type RolloutPolicyInput } from "./rollout-policy.js";

const OLD = "/nix/store/00000000000000000000000000000000-nixos-system-old";
const NEW = "/nix/store/11111111111111111111111111111111-nixos-system-new";
const T0 = Date.parse("2026-11-26T03:00:00Z");

const names = (n: number) => Array.from({ length: n }, (_, i) => `n${String(i).padStart(2, "0")}`);

function rollout(waves: string[][], policy: RolloutPolicyInput = {}, over: Partial<RolloutRecord> = {}): RolloutRecord {
  const all = waves.flat();
  return {
    id: "r1", status: "running", policy: RolloutPolicySchema.parse(policy),
    targets: Object.fromEntries(all.map((n) => [n, { path: NEW, drain: false }])),
    waves, canaryWave: false, wave: 0, bakeUntil: null, skipped: {}, failed: {}, drained: [], abortReason: null, ...over,
  };
}

function fleet(all: string[], over: Record<string, Partial<NodeView>> = {}): Map<string, NodeView> {
  return new Map(all.map((name) => [name, { name, state: "Ready", conditions: [], currentSystem: OLD, ...over[name] }]));
}

let opSeq = 0;
function op(node: string, status: OperationView["status"], over: Partial<OperationView> = {}): OperationView {
  return { id: `op${++opSeq}`, node, kind: "upgrade", status, target: NEW, previous: OLD, createdAt: new Date(T0).toISOString(), ...over };
}

const plan = (input: Partial<PlanInput> & { rollout: RolloutRecord }) =>
  planRollout({ nodes: fleet(input.rollout.waves.flat()), operations: [], now: T0, ...input });
const types = (actions: RolloutAction[]) => actions.map((a) => ("node" in a ? `${a.type}:${a.node}` : a.type));

test("assignWaves: the first Ready node is the canary, then cumulative shares of the whole rollout; empty waves are dropped", () => {
  const nodes = names(10).map((name) => ({ name, labels: {}, schedulable: name !== "n00" }));
  const waves = assignWaves(nodes, RolloutPolicySchema.parse({ waves: ["10%", "50%", "100%"] }));
  // 10% of 10 is the canary already: that wave is empty and dropped.
  assert.deepEqual(waves, [["n01"], ["n00", "n02", "n03", "n04"], ["n05", "n06", "n07", "n08", "n09"]]);
  assert.deepEqual(waves.flat().sort(), names(10), "every node exactly once");
});

test("assignWaves: canaries by labels (at most count), counts as waves; missing canary labels is an error that says what to do", () => {
  const nodes = names(6).map((name) => ({ name, labels: name === "n03" || name === "n05" ? { canary: "true" } : {}, schedulable: true }));
  assert.deepEqual(assignWaves(nodes, RolloutPolicySchema.parse({ canary: { labels: { canary: "true" }, count: 5 }, waves: ["3", "100%"] })), [["n03", "n05"], ["n00"], ["n01", "n02", "n04"]]);
  assert.deepEqual(assignWaves(nodes, RolloutPolicySchema.parse({ canary: { count: 0 }, waves: ["100%"] })), [names(6)]);
  assert.throws(() => assignWaves(nodes, RolloutPolicySchema.parse({ canary: { labels: { ring: "0" } } })), (e: Error) => e instanceof RolloutPlanError && /ring=0/.test(e.message) && /hostplane node label/.test(e.message));
});

test("policy: the last wave must be 100% and waves must grow; defaults are documented values", () => {
  const bad = RolloutPolicySchema.safeParse({ waves: ["50%", "20%"], bakeSeconds: -1 });
  assert.equal(bad.success, false);
  const messages = bad.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  assert.ok(messages.some((m) => m.startsWith("waves.1: the last wave must be \"100%\"")), messages.join("\n"));
  assert.ok(messages.some((m) => m.startsWith("waves.1: waves are cumulative and must grow")), messages.join("\n"));
  assert.ok(messages.some((m) => m.startsWith("bakeSeconds:")), "the waves' problems come together with every other field's");
  const d = RolloutPolicySchema.parse({});
  assert.deepEqual([d.canary.count, d.waves, d.bakeSeconds, d.drain, d.confirmTimeoutSeconds, d.rollbackOnAbort], [1, ["10%", "50%", "100%"], 300, "kernel-or-runtime", 60, true]);
});

test("a wave starts at most maxUnavailable operations, recording what each node ran before", () => {
  const r = rollout([names(4)], { maxUnavailable: 2 });
  const p = plan({ rollout: r });
  assert.deepEqual(p.actions, [
    { type: "start", node: "n00", kind: "upgrade", target: NEW, previous: OLD },
    { type: "start", node: "n01", kind: "upgrade", target: NEW, previous: OLD },
  ]);
  // With one of them running, only one more may start.
  assert.deepEqual(types(plan({ rollout: r, operations: [op("n00", "running")] }).actions), ["start:n01"]);
});

test("a node that is not Ready or has a condition at its turn is skipped with the reason, and does not hold the wave", () => {
  const r = rollout([["n00", "n01", "n02"]], { maxUnavailable: 3 });
  const p = plan({ rollout: r, nodes: fleet(["n00", "n01", "n02"], { n00: { conditions: ["NotReady"] }, n01: { state: "Cordoned" } }) });
  assert.deepEqual(p.actions.filter((a) => a.type === "skip"), [
    { type: "skip", node: "n00", reason: "node has NotReady" },
    { type: "skip", node: "n01", reason: "node is Cordoned" },
  ]);
  assert.deepEqual(types(p.actions.filter((a) => a.type !== "skip")), ["start:n02"]);
  // What a person sees now (before the actions) and what the next tick will see (after them).
  assert.deepEqual(p.observed.waves[0]!.counts, { waiting: 3, draining: 0, "in-flight": 0, done: 0, failed: 0, skipped: 0 });
  assert.deepEqual(p.waves[0]!.counts, { waiting: 0, draining: 0, "in-flight": 1, done: 0, failed: 0, skipped: 2 });
  // Once skipped and the last one done, the wave bakes: skipped nodes are reported, not counted as done.
  const after = plan({ rollout: { ...r, skipped: { n00: "node has NotReady", n01: "node is Cordoned" } }, operations: [op("n02", "succeeded")] });
  assert.deepEqual(after.actions, [{ type: "bake", wave: 0, until: new Date(T0 + 300_000).toISOString() }]);
  assert.deepEqual(after.waves[0]!.counts, { waiting: 0, draining: 0, "in-flight": 0, done: 1, failed: 0, skipped: 2 });
});

test("bake, then advance; the canary wave bakes for canary.bakeSeconds; the last wave finishes the rollout", () => {
  const r = rollout([["n00"], ["n01"]], { canary: { bakeSeconds: 900 }, bakeSeconds: 60 }, { canaryWave: true });
  const done0 = [op("n00", "succeeded")];
  assert.deepEqual(plan({ rollout: r, operations: done0 }).actions, [{ type: "bake", wave: 0, until: new Date(T0 + 900_000).toISOString() }]);
  const baking = { ...r, bakeUntil: new Date(T0 + 900_000).toISOString() };
  assert.deepEqual(plan({ rollout: baking, operations: done0, nodes: fleet(["n00", "n01"], { n00: { currentSystem: NEW } }), now: T0 + 899_000 }).actions, []);
  assert.deepEqual(plan({ rollout: baking, operations: done0, nodes: fleet(["n00", "n01"], { n00: { currentSystem: NEW } }), now: T0 + 900_000 }).actions, [{ type: "advance", wave: 1 }]);
  const last = { ...r, wave: 1, bakeUntil: null };
  const doneAll = [...done0, op("n01", "succeeded")];
  assert.deepEqual(plan({ rollout: last, operations: doneAll }).actions, [{ type: "bake", wave: 1, until: new Date(T0 + 60_000).toISOString() }]);
  const nodesAtNew = fleet(["n00", "n01"], { n00: { currentSystem: NEW }, n01: { currentSystem: NEW } });
  assert.deepEqual(plan({ rollout: { ...last, bakeUntil: new Date(T0 + 60_000).toISOString() }, operations: doneAll, nodes: nodesAtNew, now: T0 + 60_000 }).actions, [{ type: "finish", status: "succeeded" }]);
});

test("a node that turns NotReady while its wave bakes fails; over the budget, the rollout aborts naming it", () => {
  const r = rollout([["n00", "n01"]], {}, { bakeUntil: new Date(T0 + 300_000).toISOString() });
  const ops = [op("n00", "succeeded"), op("n01", "succeeded")];
  const p = plan({ rollout: r, operations: ops, nodes: fleet(["n00", "n01"], { n00: { currentSystem: NEW }, n01: { currentSystem: NEW, conditions: ["NotReady"] } }), now: T0 + 10_000 });
  assert.deepEqual(p.actions, [
    { type: "fail", node: "n01", reason: "unhealthy after its upgrade: node has NotReady" },
    { type: "abort", reason: "wave 0: 1 of 2 nodes failed, budget 0: n01 (unhealthy after its upgrade: node has NotReady)" },
  ]);
  // Hand-switched away from the target while baking also fails the node.
  const drifted = plan({ rollout: { ...r, policy: RolloutPolicySchema.parse({ failureBudget: 1 }) }, operations: ops, nodes: fleet(["n00", "n01"], { n00: { currentSystem: NEW } }), now: T0 + 10_000 });
  assert.deepEqual(types(drifted.actions), ["fail:n01"], "within a budget of 1: fail, no abort");
});

test("failures within the budget go on; one more aborts; a timed-out operation counts as failed", () => {
  const r = rollout([names(4)], { failureBudget: "25%", maxUnavailable: 4 });
  const one = plan({ rollout: r, operations: [op("n00", "failed", { error: "health: unit foo failed" }), op("n01", "running"), op("n02", "running"), op("n03", "running")] });
  assert.deepEqual(one.actions, []);
  const late = op("n01", "running", { createdAt: new Date(T0 - 1801_000).toISOString() });
  const two = plan({ rollout: r, operations: [op("n00", "rolled-back", { error: "no confirmation within 60 s" }), late, op("n02", "running"), op("n03", "running")] });
  assert.equal(two.actions[0]!.type, "fail");
  assert.deepEqual(two.actions[0], { type: "fail", node: "n01", operation: late.id, reason: `operation ${late.id} did not finish within 1800 s (last step: running)` });
  const abort = two.actions[1] as Extract<RolloutAction, { type: "abort" }>;
  assert.equal(abort.type, "abort");
  assert.match(abort.reason, /^wave 0: 2 of 4 nodes failed, budget 1: n00 \(no confirmation within 60 s\), n01 \(operation .* did not finish within 1800 s/);
});

test("confirmations: healthy → confirm; unhealthy → refuse; aborting → upgrades refused, rollbacks confirmed", () => {
  const r = rollout([["n00", "n01"]], { maxUnavailable: 2 });
  const ok = op("n00", "confirming", { healthy: true });
  const sick = op("n01", "confirming", { healthy: false });
  assert.deepEqual(plan({ rollout: r, operations: [ok, sick] }).actions, [
    { type: "confirm", operation: ok.id, node: "n00" },
    { type: "refuse", operation: sick.id, node: "n01", reason: "health checks did not pass" },
  ]);
  const aborting = { ...r, status: "aborting" as const, abortReason: "operator: bad canary" };
  const back = op("n01", "confirming", { kind: "rollback", healthy: true, target: OLD, previous: NEW });
  assert.deepEqual(plan({ rollout: aborting, operations: [ok, back] }).actions.slice(0, 2), [
    { type: "refuse", operation: ok.id, node: "n00", reason: "rollout r1 is aborting: operator: bad canary" },
    { type: "confirm", operation: back.id, node: "n01" },
  ]);
});

test("abort: pending upgrades are withdrawn, running ones awaited, then every upgraded node rolls back to its previous system; then aborted", () => {
  const r = rollout([["n00", "n01"], ["n02", "n03"]], {}, { status: "aborting", wave: 1, abortReason: "x" });
  const upgraded = op("n00", "succeeded", { previous: "/nix/store/22222222222222222222222222222222-nixos-system-older" });
  const running = op("n02", "running");
  const pending = op("n03", "pending");
  const first = plan({ rollout: r, operations: [upgraded, running, pending] });
  assert.deepEqual(first.actions, [{ type: "refuse", operation: pending.id, node: "n03", reason: "rollout r1 is aborting" }], "n02 still running: no rollback yet");
  const runningDone = { ...running, status: "rolled-back" as const };
  const pendingGone = { ...pending, status: "failed" as const };
  const second = plan({ rollout: r, operations: [upgraded, runningDone, pendingGone] });
  assert.deepEqual(second.actions, [{ type: "start", node: "n00", kind: "rollback", target: upgraded.previous, previous: NEW }]);
  const rb = op("n00", "running", { kind: "rollback", target: upgraded.previous!, previous: NEW });
  assert.deepEqual(plan({ rollout: r, operations: [upgraded, runningDone, pendingGone, rb] }).actions, []);
  assert.deepEqual(plan({ rollout: r, operations: [upgraded, runningDone, pendingGone, { ...rb, status: "succeeded" }] }).actions, [{ type: "finish", status: "aborted" }]);
  // Told not to roll back: aborted as soon as nothing runs.
  const keep = { ...r, policy: RolloutPolicySchema.parse({ rollbackOnAbort: false }) };
  assert.deepEqual(plan({ rollout: keep, operations: [upgraded, runningDone, pendingGone] }).actions, [{ type: "finish", status: "aborted" }]);
});

test("drain first: drain, start once Drained, uncordon once done; a drain that misses its deadline fails the node", () => {
  const base = rollout([["n00", "n01"]], { maxUnavailable: 2 });
  const r = { ...base, targets: { n00: { path: NEW, drain: true }, n01: { path: NEW, drain: true } } };
  assert.deepEqual(types(plan({ rollout: r }).actions), ["drain:n00", "drain:n01"]);
  const draining = { ...r, drained: ["n00", "n01"] };
  const p = plan({ rollout: draining, nodes: fleet(["n00", "n01"], { n00: { state: "Drained" }, n01: { state: "Draining", drainDeadlinePassed: true } }), operations: [] });
  assert.deepEqual(p.actions.slice(0, 2), [
    { type: "start", node: "n00", kind: "upgrade", target: NEW, previous: OLD },
    { type: "fail", node: "n01", reason: "its drain missed the deadline" },
  ]);
  const finished = plan({ rollout: { ...draining, failed: { n01: "its drain missed the deadline" } }, operations: [op("n00", "succeeded")], nodes: fleet(["n00", "n01"], { n00: { state: "Drained", currentSystem: NEW }, n01: { state: "Draining" } }) });
  assert.deepEqual(types(finished.actions).slice(0, 2), ["uncordon:n00", "uncordon:n01"]);
});

test("paused: in-flight operations are confirmed, nothing new starts, no wave advances; outside a maintenance window nothing starts", () => {
  const r = rollout([names(3)], { maxUnavailable: 3 }, { status: "paused" });
  const c = op("n00", "confirming", { healthy: true });
  assert.deepEqual(plan({ rollout: r, operations: [c] }).actions, [{ type: "confirm", operation: c.id, node: "n00" }]);
  const windowed = rollout([names(3)], { maintenanceWindows: [{ start: "22:00", end: "02:00" }] });
  assert.deepEqual(plan({ rollout: windowed, now: T0 }).actions, [], "03:00 UTC is outside 22:00-02:00");
  assert.equal(plan({ rollout: windowed, now: T0 - 2 * 3600_000 }).actions.length, 1, "01:00 UTC is inside (the window began the day before)");
});

test("a node already on the release's system is done without an operation", () => {
  const p = plan({ rollout: rollout([["n00", "n01"]]), nodes: fleet(["n00", "n01"], { n00: { currentSystem: NEW } }) });
  assert.deepEqual(types(p.actions), ["start:n01"]);
  assert.equal(p.outcomes.get("n00"), "done");
});

test("the planner is idempotent: the same input gives the same actions", () => {
  const r = rollout([names(8)], { maxUnavailable: 3 });
  const input = { rollout: r, nodes: fleet(names(8), { n02: { conditions: ["ContractFailing"] } }), operations: [op("n00", "running")], now: T0 };
  assert.deepEqual(planRollout(input), planRollout(input));
});

test("needsDrain: always, never, and kernel-or-runtime (unknown on either side drains)", () => {
  const t = { path: NEW, kernel: "k2", runtime: "fc1" };
  assert.equal(needsDrain("always", { kernel: "k2", runtime: "fc1" }, t), true);
  assert.equal(needsDrain("never", null, t), false);
  assert.equal(needsDrain("kernel-or-runtime", { kernel: "k2", runtime: "fc1" }, t), false);
  assert.equal(needsDrain("kernel-or-runtime", { kernel: "k1", runtime: "fc1" }, t), true);
  assert.equal(needsDrain("kernel-or-runtime", { kernel: "k2", runtime: "fc0" }, t), true);
  assert.equal(needsDrain("kernel-or-runtime", null, t), true);
  assert.equal(needsDrain("kernel-or-runtime", { kernel: "k2", runtime: "fc1" }, {}), true);
});
