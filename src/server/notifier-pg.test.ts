import assert from "node:assert/strict";
import { test } from "node:test";
import { reconnectDelayMs } from "./notifier-pg.js";

test("reconnection delays double from the first ceiling up to the largest, jittered within the upper half", () => {
  const backoff = { initialMs: 250, maxMs: 10_000 };
  const low = (attempt: number) => reconnectDelayMs(attempt, backoff, () => 0);
  const high = (attempt: number) => reconnectDelayMs(attempt, backoff, () => 1);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(high), [250, 500, 1000, 2000, 4000, 8000, 10_000]);
  assert.deepEqual([0, 1, 5, 6].map(low), [125, 250, 4000, 5000]);
  assert.equal(high(10_000), 10_000, "no overflow after many attempts");
  assert.equal(reconnectDelayMs(3, backoff, () => 0.5), 1500);
});
