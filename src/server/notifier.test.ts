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
  await n.close();
  assert.equal(await d, "aborted");
  assert.equal(await n.waitForChange("e", 10_000), "aborted", "closed: answers at once");
  assert.equal(n.waiting(), 0);
});

test("a subclass can wake every waiter (a change may have been missed) and changes from elsewhere wake only their node's", async () => {
  class Resyncing extends NodeNotifier {
    remote(nodeId: string): void { this.wake(nodeId); }
    resync(): void { this.wakeAll(); }
  }
  const n = new Resyncing();
  const a = n.waitForChange("a", 10_000);
  const b = n.waitForChange("b", 20);
  n.remote("a");
  assert.equal(await a, "changed");
  assert.equal(await b, "timeout", "a change of a does not wake b");
  const waiters = ["c", "d", "e"].map((id) => n.waitForChange(id, 10_000));
  n.resync();
  assert.deepEqual(await Promise.all(waiters), ["changed", "changed", "changed"]);
  assert.equal(n.waiting(), 0);
  await n.close();
});
