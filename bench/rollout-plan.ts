/**
 * The rollout planner's cost per reconcile tick on a simulated fleet.
 *
 *   npm run build && node dist/bench/rollout-plan.js [--nodes 10000] [--reps 200]
 *
 * Builds a rollout over N nodes (1 canary, waves 10% → 50% → 100%,
 * maxUnavailable 10%), and times planRollout in-process at moments that make
 * it do the most work: the first tick of the last wave (half the fleet already
 * upgraded, every operation of the earlier waves in the input), mid-wave with
 * a full set of operations running and a few NotReady nodes to skip, the bake
 * gate checking every node of a finished wave, and an abort that plans a
 * rollback for every upgraded node. Prints median and p99 per scenario.
 * Target (issue 6): under 50 ms per tick for 10,000 nodes.
 */
import { parseArgs } from "node:util";
import { assignWaves, planRollout, type NodeView, type OperationView, type PlanInput, type RolloutRecord } from "../src/fleet/rollout-plan.js";
import { RolloutPolicySchema } from "../src/fleet/rollout-policy.js";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "10000" }, reps: { type: "string", default: "200" } } });
const N = Number(values.nodes);
const REPS = Number(values.reps);

const OLD = "/nix/store/00000000000000000000000000000000-nixos-system-old";
const NEW = "/nix/store/11111111111111111111111111111111-nixos-system-new";
const T0 = Date.parse("2026-11-26T03:00:00Z");

const policy = RolloutPolicySchema.parse({ waves: ["10%", "50%", "100%"], maxUnavailable: "10%", failureBudget: "1%" });
const names = Array.from({ length: N }, (_, i) => `node-${String(i).padStart(5, "0")}`);
const waves = assignWaves(names.map((name) => ({ name, labels: {}, schedulable: true })), policy);
const base: RolloutRecord = {
  id: "bench", status: "running", policy, canaryWave: true,
  targets: Object.fromEntries(names.map((n) => [n, { path: NEW, drain: false }])),
  waves, wave: 0, bakeUntil: null, skipped: {}, failed: {}, drained: [], abortReason: null,
};

function nodesWith(upgraded: ReadonlySet<string>, notReady: ReadonlySet<string> = new Set()): Map<string, NodeView> {
  return new Map(names.map((name) => [name, { name, state: "Ready", conditions: notReady.has(name) ? ["NotReady"] : [], currentSystem: upgraded.has(name) ? NEW : OLD }]));
}

let seq = 0;
const op = (node: string, status: OperationView["status"], kind: OperationView["kind"] = "upgrade"): OperationView =>
  ({ id: `op-${++seq}`, node, kind, status, target: kind === "upgrade" ? NEW : OLD, previous: kind === "upgrade" ? OLD : NEW, createdAt: new Date(T0).toISOString() });

function scenario(name: string, input: PlanInput): { name: string; actions: number; median: number; p99: number } {
  for (let i = 0; i < 10; i++) planRollout(input); // warm up
  const times: number[] = [];
  let actions = 0;
  for (let i = 0; i < REPS; i++) {
    const t = performance.now();
    actions = planRollout(input).actions.length;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { name, actions, median: times[Math.floor(REPS / 2)]!, p99: times[Math.min(REPS - 1, Math.floor(REPS * 0.99))]! };
}

const last = waves.length - 1;
const before = new Set(waves.slice(0, last).flat());
const doneOps = [...before].map((n) => op(n, "succeeded"));
const lastWave = waves[last]!;
const running = lastWave.slice(0, Math.ceil(lastWave.length / 10)).map((n) => op(n, "running"));
const sick = new Set(lastWave.filter((_, i) => i % 97 === 0));

const results = [
  scenario(`first tick of the last wave (${lastWave.length} nodes)`, { rollout: { ...base, wave: last }, nodes: nodesWith(before), operations: doneOps, now: T0 }),
  scenario("mid-wave: 10% running, some NotReady", { rollout: { ...base, wave: last }, nodes: nodesWith(before, sick), operations: [...doneOps, ...running], now: T0 }),
  scenario("bake gate over a finished wave", {
    rollout: { ...base, wave: last, bakeUntil: new Date(T0).toISOString() }, nodes: nodesWith(new Set(names)),
    operations: [...doneOps, ...lastWave.map((n) => op(n, "succeeded"))], now: T0 + 1,
  }),
  scenario("abort: a rollback planned for every upgraded node", { rollout: { ...base, wave: last, status: "aborting", abortReason: "bench" }, nodes: nodesWith(before), operations: doneOps, now: T0 }),
];

console.log(`planRollout, ${N} nodes in ${waves.length} waves (${waves.map((w) => w.length).join(" → ")}), ${REPS} reps each`);
for (const r of results) console.log(`  ${r.name.padEnd(56)} median ${r.median.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.actions} actions)`);
