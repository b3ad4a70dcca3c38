import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff, realSleep } from "./backoff.js";

test("ceilings double from 0.5 s to the 30 s cap and stay there; delays are random × ceiling (full jitter)", () => {
  const b = new Backoff({ random: () => 0.999999 });
  const ceilings: number[] = [];
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) { ceilings.push(b.ceilingMs()); delays.push(b.next()); }
  assert.deepEqual(ceilings, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  assert.deepEqual(delays, ceilings.map((c) => Math.floor(0.999999 * c)));
  const zero = new Backoff({ random: () => 0 });
  assert.equal(zero.next(), 0, "full jitter may retry at once");
});

test("reset returns to the first ceiling; a long outage never exceeds the cap", () => {
  const seq = [0.5, 0.25, 0.75];
  let i = 0;
  const b = new Backoff({ random: () => seq[i++ % seq.length]!, baseMs: 100, capMs: 1000 });
  assert.equal(b.next(), 50);
  assert.equal(b.next(), 50);
  assert.equal(b.next(), 300);
  for (let k = 0; k < 2000; k++) assert.ok(b.next() < 1000);
  b.reset();
  assert.equal(b.ceilingMs(), 100);
});

test("realSleep resolves true after the time, false at once when aborted", async () => {
  const ac = new AbortController();
  assert.equal(await realSleep(5, ac.signal), true);
  const pending = realSleep(60_000, ac.signal);
  ac.abort();
  assert.equal(await pending, false);
  assert.equal(await realSleep(60_000, ac.signal), false);
});
