import assert from "node:assert/strict";
import { test } from "node:test";
import { NODE_STATES, nodeConditions, schedulable, transition, TransitionError, type LifecycleAction, type NodeState } from "./node.js";

const T0 = Date.parse("2026-11-20T10:00:00.000Z");
const at = (s: number) => new Date(T0 - s * 1000).toISOString();

test("transitions: the lifecycle graph, and a TransitionError naming node, state and what is allowed", () => {
  const table: Record<LifecycleAction, Partial<Record<NodeState, NodeState>>> = {
    admit: { Registered: "Ready" },
    cordon: { Ready: "Cordoned" },
    uncordon: { Cordoned: "Ready", Draining: "Ready", Drained: "Ready" },
    drain: { Ready: "Draining", Cordoned: "Draining", Draining: "Draining" },
    drained: { Draining: "Drained" },
    decommission: { Registered: "Decommissioning", Ready: "Decommissioning", Cordoned: "Decommissioning", Draining: "Decommissioning", Drained: "Decommissioning" },
    decommissioned: { Decommissioning: "Decommissioned" },
  };
  for (const [action, allowed] of Object.entries(table) as [LifecycleAction, Partial<Record<NodeState, NodeState>>][]) {
    for (const state of NODE_STATES) {
      const want = allowed[state];
      if (want) assert.equal(transition({ name: "n", state }, action), want);
      else assert.throws(() => transition({ name: "web-3", state }, action), (e: unknown) => e instanceof TransitionError && e.message.startsWith(`cannot ${action} node web-3: it is ${state} (allowed from `));
    }
  }
});

test("conditions from the lease and the contract; Decommissioned has none", () => {
  const ok = { ok: true, failing: [], evaluatedAt: at(0) };
  assert.deepEqual(nodeConditions({ state: "Ready", lastHeartbeatAt: at(40), contract: ok }, T0), []);
  assert.deepEqual(nodeConditions({ state: "Ready", lastHeartbeatAt: at(41), contract: ok }, T0), ["NotReady"]);
  assert.deepEqual(nodeConditions({ state: "Ready", lastHeartbeatAt: at(301), contract: { ...ok, ok: false } }, T0), ["NotReady", "Unreachable", "ContractFailing"]);
  assert.deepEqual(nodeConditions({ state: "Registered", lastHeartbeatAt: null, contract: null }, T0), ["NotReady", "Unreachable"]);
  assert.deepEqual(nodeConditions({ state: "Decommissioned", lastHeartbeatAt: null, contract: null }, T0), []);
  assert.equal(schedulable({ state: "Ready", lastHeartbeatAt: at(5), contract: ok }, T0), true);
  assert.equal(schedulable({ state: "Cordoned", lastHeartbeatAt: at(5), contract: ok }, T0), false);
  assert.equal(schedulable({ state: "Ready", lastHeartbeatAt: at(5), contract: { ...ok, ok: false } }, T0), false);
});
