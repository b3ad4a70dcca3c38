/**
 * The drain and decommission loop against the real app and SQLite, with a real
 * HTTP eviction hook on loopback and the fake clock driving backoff and deadlines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startReconciler } from "../../src/server/index.js";
import { sampleFacts, startTestServer, type TestServer } from "./_harness.js";

interface Hook { url: string; calls: { node: string; workload: string }[]; answer: (workload: string, n: number) => number; close(): Promise<void> }

async function evictionHook(answer: Hook["answer"]): Promise<Hook> {
  const calls: Hook["calls"] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => { body += c.toString(); });
    req.on("end", () => {
      const { node, workload } = JSON.parse(body) as { node: string; workload: string };
      calls.push({ node, workload });
      const status = hook.answer(workload, calls.filter((c) => c.workload === workload).length);
      if (status === 429) res.setHeader("retry-after", "0");
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const hook: Hook = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/evict`, calls, answer,
    close: () => new Promise((r) => { server.close(() => r()); }),
  };
  return hook;
}

async function readyNode(s: TestServer, name: string, workloads: string[]): Promise<{ id: string; credential: string }> {
  const node = await s.enroll(name);
  const r = await s.heartbeat(node, { facts: sampleFacts(name, { workloads: workloads.map((id) => ({ id, state: "running" })) }) });
  assert.equal(r.status, 200, r.text);
  return node;
}

const report = (s: TestServer, node: { id: string; credential: string }, name: string, workloads: string[]) =>
  s.heartbeat(node, { facts: sampleFacts(name, { workloads: workloads.map((id) => ({ id, state: "running" })) }) });

async function state(s: TestServer, id: string): Promise<{ state: string; drain: { deadlinePassed?: boolean; evictions: Record<string, { status: string; attempts: number; error?: string }> } | null }> {
  const r = await s.request("GET", `/v1/nodes/${id}`, { token: s.viewer });
  return r.json as never;
}

test("drain: a workload answered 429 twice is retried with backoff, then evicted; the node is Drained once it reports none", async (t) => {
  const s = await startTestServer();
  const hook = await evictionHook((w, n) => (w === "vm-a" && n <= 2 ? 429 : 200));
  t.after(async () => { await hook.close(); await s.close(); });
  // Retry-After 0 is ignored as "no hint": the loop's own backoff (1 s, then 2 s) applies.
  const loop = startReconciler(s.app, { evictionHook: hook.url, intervalMs: 0, backoffMs: 1000 });
  const node = await readyNode(s, "web-1", ["vm-a", "vm-b"]);
  assert.equal((await s.request("POST", `/v1/nodes/${node.id}/drain`, { token: s.operator, body: {} })).status, 200);

  await loop.tick();
  let n = await state(s, node.id);
  assert.equal(n.drain?.evictions["vm-a"]?.status, "pending");
  assert.equal(n.drain?.evictions["vm-b"]?.status, "evicted");
  await report(s, node, "web-1", ["vm-a"]);
  await loop.tick(); // vm-a is not due yet
  assert.equal(hook.calls.filter((c) => c.workload === "vm-a").length, 1);
  s.clock.advance(1000);
  await loop.tick();
  assert.equal((await state(s, node.id)).drain?.evictions["vm-a"]?.attempts, 2);
  s.clock.advance(2000);
  await loop.tick();
  n = await state(s, node.id);
  assert.equal(n.drain?.evictions["vm-a"]?.status, "evicted");
  assert.equal(n.state, "Draining", "evicted is not gone: the node must report it");
  await report(s, node, "web-1", []);
  await loop.tick();
  assert.equal((await state(s, node.id)).state, "Drained");
  assert.deepEqual(hook.calls.map((c) => `${c.node}/${c.workload}`).sort(), ["web-1/vm-a", "web-1/vm-a", "web-1/vm-a", "web-1/vm-b"]);
  const audit = (await s.request("GET", `/v1/audit?target=node:web-1`, { token: s.admin })).json as { entries: { action: string; actor: string }[] };
  assert.ok(audit.entries.some((e) => e.action === "node.drained" && e.actor === "system:drain"));
});

test("drain deadline: a workload that never leaves marks the drain once; with --force the node is Drained anyway", async (t) => {
  const s = await startTestServer();
  const hook = await evictionHook(() => 200);
  t.after(async () => { await hook.close(); await s.close(); });
  const loop = startReconciler(s.app, { evictionHook: hook.url, intervalMs: 0 });
  const stuck = await readyNode(s, "db-1", ["vm-stuck"]);
  const forced = await readyNode(s, "db-2", ["vm-stuck"]);
  await s.request("POST", `/v1/nodes/${stuck.id}/drain`, { token: s.operator, body: { deadlineSeconds: 60 } });
  await s.request("POST", `/v1/nodes/${forced.id}/drain`, { token: s.operator, body: { deadlineSeconds: 60, force: true } });
  await loop.tick();
  s.clock.advance(61_000);
  await loop.tick();
  await loop.tick();
  const n = await state(s, stuck.id);
  assert.equal(n.state, "Draining");
  assert.equal(n.drain?.deadlinePassed, true);
  assert.equal((await state(s, forced.id)).state, "Drained");
  const audit = (await s.request("GET", "/v1/audit?limit=200", { token: s.admin })).json as { entries: { action: string; target: string }[] };
  assert.equal(audit.entries.filter((e) => e.action === "node.drain-deadline-passed" && e.target === "node:db-1").length, 1, "marked once, not every tick");
  assert.equal(audit.entries.filter((e) => e.action === "node.drain-forced" && e.target === "node:db-2").length, 1);
  // One way out of a stuck drain: drain again with --force; it keeps the evictions already made and is done at its deadline.
  const before = await state(s, stuck.id);
  const escalated = await s.request("POST", `/v1/nodes/${stuck.id}/drain`, { token: s.operator, body: { deadlineSeconds: 0, force: true } });
  assert.equal(escalated.status, 200, escalated.text);
  assert.deepEqual((escalated.json as typeof before).drain?.evictions, before.drain?.evictions);
  assert.equal((escalated.json as typeof before).drain?.deadlinePassed, undefined, "the new deadline has not passed yet");
  await loop.tick();
  assert.equal((await state(s, stuck.id)).state, "Drained");
  // The other: uncordon puts the node back to Ready.
  assert.equal((await s.request("POST", `/v1/nodes/${stuck.id}/uncordon`, { token: s.operator })).status, 200);
});

test("a hook that fails is an error on the drain, retried later, never a crash of the loop", async (t) => {
  const s = await startTestServer();
  const hook = await evictionHook((_, n) => (n === 1 ? 500 : 200));
  t.after(async () => { await hook.close(); await s.close(); });
  const loop = startReconciler(s.app, { evictionHook: hook.url, intervalMs: 0, backoffMs: 1000 });
  const node = await readyNode(s, "web-2", ["vm-x"]);
  await s.request("POST", `/v1/nodes/${node.id}/drain`, { token: s.operator, body: {} });
  await loop.tick();
  const e = (await state(s, node.id)).drain?.evictions["vm-x"];
  assert.equal(e?.status, "error");
  assert.match(e?.error ?? "", /HTTP 500/);
  s.clock.advance(1000);
  await loop.tick();
  assert.equal((await state(s, node.id)).drain?.evictions["vm-x"]?.status, "evicted");
});

test("decommission: drained, credentials revoked, Decommissioned; the node's old credential is refused", async (t) => {
  const s = await startTestServer();
  t.after(() => s.close());
  const loop = startReconciler(s.app, { intervalMs: 0 });
  const node = await readyNode(s, "old-1", []);
  assert.equal((await s.request("POST", `/v1/nodes/${node.id}/decommission`, { token: s.operator, body: {} })).status, 200);
  await loop.tick();
  assert.equal((await state(s, node.id)).state, "Decommissioned");
  const refused = await s.heartbeat(node);
  assert.equal(refused.status, 401);
});
