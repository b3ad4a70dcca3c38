import assert from "node:assert/strict";
import { test } from "node:test";
import { NodeNotifier } from "./notifier.js";

test("a change wakes only that node's waiters; timeouts, aborts and close release the rest; nothing stays registered", async () => {
  const n = new NodeNotifier();
  const a = n.waitForChange("a", 10_000);
  const b = n.waitForChange("b", 20);
  const abort = new AbortController();
  const c = n.waitForChange("c", 10_000, abort.signal);
  assert.equal(n.waiting(), 3);
  n.changed("a");
  assert.equal(await a, "changed");
  assert.equal(await b, "timeout");
  abort.abort();
  assert.equal(await c, "aborted");
  assert.equal(n.waiting(), 0);
  const d = n.waitForChange("d", 10_000);
  n.close();
  assert.equal(await d, "aborted");
  assert.equal(await n.waitForChange("e", 10_000), "aborted", "closed: answers at once");
  assert.equal(n.waiting(), 0);
});
