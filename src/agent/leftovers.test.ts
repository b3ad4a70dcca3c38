import assert from "node:assert/strict";
import { test } from "node:test";
import { NODE_STATES } from "../fleet/node.js";
import { leftoversToStop, mergeStops } from "./leftovers.js";

const drain = (force: boolean) => ({ startedAt: "2026-11-26T10:00:00.000Z", deadline: "2026-11-26T11:00:00.000Z", force, evictions: {} });
const running = [{ id: "vm-b", state: "running" }, { id: "vm-a", state: "running" }, { id: "vm-c", state: "dead" }, { id: "vm-d", state: "failed" }];

test("workloads are stopped only when the node is Drained by a forced drain; then every running one", () => {
  assert.deepEqual(leftoversToStop({ state: "Drained", drain: drain(true) }, running), ["vm-b", "vm-a"]);
  for (const state of NODE_STATES) {
    if (state !== "Drained") assert.deepEqual(leftoversToStop({ state, drain: drain(true) }, running), [], state);
    assert.deepEqual(leftoversToStop({ state, drain: drain(false) }, running), [], `${state}, unforced`);
    assert.deepEqual(leftoversToStop({ state, drain: null }, running), [], `${state}, no drain`);
  }
  assert.deepEqual(leftoversToStop({ state: "Drained", drain: { ...drain(false), deadlinePassed: true } }, running), [], "a passed deadline is not force");
  assert.deepEqual(leftoversToStop({ state: "Drained", drain: drain(true) }, []), []);
});

test("the report keeps the latest outcome per workload, in id order", () => {
  const fail = { id: "vm-b", stopped: false, at: "t1", durationMs: 5, error: "timed out" };
  const ok = { id: "vm-b", stopped: true, at: "t2", durationMs: 3 };
  const a = { id: "vm-a", stopped: true, at: "t1", durationMs: 1 };
  assert.deepEqual(mergeStops([fail], [a]), [a, fail]);
  assert.deepEqual(mergeStops([a, fail], [ok]), [a, ok]);
});
