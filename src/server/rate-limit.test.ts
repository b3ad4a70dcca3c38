import assert from "node:assert/strict";
import { test } from "node:test";
import { FailureLimiter } from "./rate-limit.js";

test("a bucket per key: burst failures, then a wait that shrinks as it refills", () => {
  let now = 0;
  const l = new FailureLimiter({ burst: 3, perMinute: 6 }, () => now);
  for (let i = 0; i < 3; i++) { assert.equal(l.retryAfter("a"), 0); l.fail("a"); }
  assert.equal(l.retryAfter("a"), 10);
  assert.equal(l.retryAfter("b"), 0, "other keys are unaffected");
  now += 4_000;
  assert.equal(l.retryAfter("a"), 6);
  now += 6_000;
  assert.equal(l.retryAfter("a"), 0);
  l.fail("a");
  assert.equal(l.retryAfter("a"), 10);
  now += 10 * 60_000;
  for (let i = 0; i < 3; i++) l.fail("a");
  assert.equal(l.retryAfter("a"), 10, "refill is capped at the burst");
});

test("a clock that goes backwards does not mint tokens", () => {
  let now = 100_000;
  const l = new FailureLimiter({ burst: 1, perMinute: 1 }, () => now);
  l.fail("a");
  now -= 50_000;
  assert.equal(l.retryAfter("a"), 60);
});
