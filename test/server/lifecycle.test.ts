/**
 * Enrollment to Ready through the admission gate, the needFacts protocol,
 * operator transitions with their 409s and audit entries, and the desired-state
 * long-poll (woken by a change within milliseconds, timing out at `wait`).
 */
// Answers are read as loose JSON here; their shapes are checked against the OpenAPI schemas in api.test.ts.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { factsHash } from "../../src/fleet/facts-hash.js";
import { assertProblem, sampleFacts, startTestServer, type TestServer } from "./_harness.js";

describe("enrollment and the admission gate", () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(() => s.close());

  test("enroll answers the node, a node credential and the lease timing", async () => {
    const r = await s.request("POST", "/v1/enroll", { token: await s.bootstrap(), body: { name: "web-1" } });
    assert.equal(r.status, 201);
    assert.match(r.json.node.id, /^n_[0-9a-f]{16}$/);
    assert.deepEqual({ ...r.json, node: { ...r.json.node, id: "x" }, credential: "x" }, { node: { id: "x", name: "web-1", state: "Registered" }, credential: "x", heartbeatSeconds: 10, leaseSeconds: 40 });
    assert.match(r.json.credential, /^hp_node_[0-9a-f]{16}_[\w-]{43}$/);
    const stored = await s.repo.getNodeCredential(r.json.credential.split("_")[2]);
    assert.equal(stored?.nodeId, r.json.node.id);
    assert.ok(!JSON.stringify(stored).includes(r.json.credential.split("_").slice(3).join("_")), "only the hash is stored");
  });

  test("a passing contract admits the node (Registered → Ready), audited as system:admission", async () => {
    const n = await s.enroll("ok-host");
    const hb = await s.heartbeat(n, { ok: true });
    assert.equal(hb.status, 200, hb.text);
    assert.equal(hb.json.needFacts, false);
    assert.deepEqual(hb.json.desired, { version: 2, state: "Ready", drain: null, decommission: false });
    const audit = await s.request("GET", "/v1/audit?target=node:ok-host", { token: s.admin });
    assert.deepEqual(audit.json.entries.map((e: { action: string; actor: string }) => [e.action, e.actor]), [["node.enroll", `bootstrap:${audit.json.entries[0].actor.split(":")[1]}`], ["node.admit", "system:admission"]]);
    assert.deepEqual([audit.json.entries[1].before.state, audit.json.entries[1].after.state], ["Registered", "Ready"]);
  });

  test("a failing contract keeps the node Registered, with ContractFailing, audited once", async () => {
    const n = await s.enroll("bad-host");
    for (let i = 0; i < 3; i++) {
      const hb = await s.heartbeat(n, { ok: false, failing: ["kvm.device", "cgroup.v2"] });
      assert.equal(hb.json.desired.state, "Registered");
    }
    const node = await s.request("GET", "/v1/nodes/bad-host", { token: s.viewer });
    assert.deepEqual(node.json.conditions, ["ContractFailing"]);
    assert.deepEqual(node.json.contract.failing, ["kvm.device", "cgroup.v2"]);
    const audit = (await s.request("GET", "/v1/audit?target=node:bad-host", { token: s.admin })).json.entries;
    assert.deepEqual(audit.map((e: { action: string }) => e.action), ["node.enroll", "node.condition"]);
    // Fixed on the host: admitted on the next heartbeat.
    const fixed = await s.heartbeat(n, { ok: true });
    assert.equal(fixed.json.desired.state, "Ready");
  });

  test("a Ready node whose contract starts failing stays Ready, gets ContractFailing, audited once each way", async () => {
    const n = await s.enroll("drifting");
    await s.heartbeat(n, { ok: true });
    await s.heartbeat(n, { ok: false });
    await s.heartbeat(n, { ok: false });
    const node = await s.request("GET", "/v1/nodes/drifting", { token: s.viewer });
    assert.equal(node.json.state, "Ready");
    assert.deepEqual(node.json.conditions, ["ContractFailing"]);
    await s.heartbeat(n, { ok: true });
    const audit = (await s.request("GET", "/v1/audit?target=node:drifting", { token: s.admin })).json.entries;
    const conditions = audit.filter((e: { action: string }) => e.action === "node.condition");
    assert.deepEqual(conditions.map((e: { before: { contractFailing: boolean }; after: { contractFailing: boolean } }) => [e.before.contractFailing, e.after.contractFailing]), [[false, true], [true, false]]);
    assert.ok(s.logs.some((r) => r.msg === "node contract failing" && r.node === "drifting" && r.level === "warn"));
  });

  test("lease conditions follow the app's clock", async () => {
    const n = await s.enroll("quiet");
    await s.heartbeat(n);
    s.clock.advance(41_000);
    assert.deepEqual((await s.request("GET", "/v1/nodes/quiet", { token: s.viewer })).json.conditions, ["NotReady"]);
    s.clock.advance(300_000);
    const listed = (await s.request("GET", "/v1/nodes", { token: s.viewer })).json.nodes.find((x: { name: string }) => x.name === "quiet");
    assert.deepEqual(listed.conditions, ["NotReady", "Unreachable"]);
    assert.equal(listed.heartbeatAgeSeconds, 341);
    assert.equal(listed.generation, 42);
    await s.heartbeat(n);
    assert.deepEqual((await s.request("GET", "/v1/nodes/quiet", { token: s.viewer })).json.conditions, []);
  });
});

describe("the needFacts protocol", () => {
  test("an unknown hash without facts is not recorded and asks for facts; a matching hash alone is recorded", async () => {
    const s = await startTestServer();
    try {
      const n = await s.enroll("facts-1");
      const facts = sampleFacts("facts-1");
      const hash = factsHash(facts);
      const ask = await s.request("POST", `/v1/nodes/${n.id}/heartbeat`, { token: n.credential, body: { factsHash: hash } });
      assert.equal(ask.status, 200);
      assert.equal(ask.json.needFacts, true);
      assert.equal((await s.repo.getNode(n.id))?.lastHeartbeatAt, null, "not recorded");

      const full = await s.request("POST", `/v1/nodes/${n.id}/heartbeat`, { token: n.credential, body: { factsHash: hash, facts } });
      assert.equal(full.json.needFacts, false);
      s.clock.advance(10_000);
      const light = await s.request("POST", `/v1/nodes/${n.id}/heartbeat`, { token: n.credential, body: { factsHash: hash } });
      assert.equal(light.json.needFacts, false);
      const stored = await s.repo.getNode(n.id);
      assert.equal(stored?.lastHeartbeatAt, new Date(s.clock.now()).toISOString());
      assert.equal(stored?.factsHash, hash);
      assert.equal(stored?.facts?.hostname, "facts-1");

      // Facts changed on the host: the new hash alone asks again.
      const changed = sampleFacts("facts-1", { kernel: "6.6.0" });
      assert.equal((await s.request("POST", `/v1/nodes/${n.id}/heartbeat`, { token: n.credential, body: { factsHash: factsHash(changed) } })).json.needFacts, true);

      // Facts whose hash is not the one sent are refused, and nothing changes.
      const lie = await s.request("POST", `/v1/nodes/${n.id}/heartbeat`, { token: n.credential, body: { factsHash: hash, facts: changed } });
      assertProblem(lie, 400, "facts-hash-mismatch");
      assert.equal((await s.repo.getNode(n.id))?.facts?.kernel, "6.1.0-hostplane");

      // Unknown fields from a newer agent are kept, and count in the hash.
      const newer = { ...sampleFacts("facts-1"), gpu: { count: 2 } };
      const r = await s.request("POST", `/v1/nodes/${n.id}/heartbeat`, { token: n.credential, body: { factsHash: factsHash(newer), facts: newer, futureField: 1 } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual((await s.request("GET", `/v1/nodes/${n.id}`, { token: n.credential })).json.facts.gpu, { count: 2 });
    } finally {
      await s.close();
    }
  });
});

describe("operator transitions", () => {
  let s: TestServer;
  let n: { id: string; credential: string };
  before(async () => {
    s = await startTestServer();
    n = await s.enroll("web-7");
    await s.heartbeat(n);
  });
  after(() => s.close());

  test("cordon, uncordon, drain (with defaults and options), decommission; illegal ones are 409 with the state machine's message", async () => {
    const act = (action: string, body?: unknown) => s.request("POST", `/v1/nodes/web-7/${action}`, { token: s.operator, ...(body !== undefined ? { body } : {}) });
    assert.equal((await act("cordon")).json.state, "Cordoned");
    const again = await act("cordon");
    assertProblem(again, 409, "illegal-transition");
    assert.equal(again.json.detail, "cannot cordon node web-7: it is Cordoned (allowed from Ready)");
    assert.equal((await act("uncordon")).json.state, "Ready");
    assertProblem(await act("uncordon"), 409, "illegal-transition");

    const drained = await act("drain");
    assert.equal(drained.json.state, "Draining");
    assert.equal(drained.json.drain.force, false);
    assert.equal(Date.parse(drained.json.drain.deadline) - Date.parse(drained.json.drain.startedAt), 3600_000);
    // Draining again escalates the drain under way: new deadline and force, same start.
    const escalated = await act("drain", { deadlineSeconds: 10, force: true });
    assert.equal(escalated.json.state, "Draining");
    assert.equal(escalated.json.drain.startedAt, drained.json.drain.startedAt);
    assert.equal(escalated.json.drain.force, true);
    assert.equal(Date.parse(escalated.json.drain.deadline) - s.clock.now(), 10_000);
    assert.equal((await act("uncordon")).json.drain, null);

    const forced = await act("drain", { deadlineSeconds: 60, force: true });
    assert.equal(Date.parse(forced.json.drain.deadline) - s.clock.now(), 60_000);
    assert.equal(forced.json.drain.force, true);
    assertProblem(await act("drain", { deadlineSeconds: -1 }), 400, "invalid-request");
    assertProblem(await act("drain", { deadline: 60 }), 400, "invalid-request");

    const gone = await act("decommission");
    assert.equal(gone.json.state, "Decommissioning");
    assert.deepEqual(gone.json.drain, forced.json.drain, "the drain in progress goes on");
    assertProblem(await act("cordon"), 409, "illegal-transition");
    const desired = await s.request("GET", `/v1/nodes/${n.id}/desired`, { token: n.credential });
    assert.deepEqual(desired.json, { version: gone.json.version, state: "Decommissioning", drain: gone.json.drain, decommission: true, operation: null });
    assertProblem(await s.request("POST", "/v1/nodes/no-such/cordon", { token: s.operator }), 404, "not-found");
  });

  test("every change is audited with actor, before and after", async () => {
    const entries = (await s.request("GET", "/v1/audit?target=node:web-7&limit=1000", { token: s.admin })).json.entries;
    const ops = entries.filter((e: { actor: string }) => e.actor === "operator:oscar");
    assert.deepEqual(ops.map((e: { action: string }) => e.action), ["node.cordon", "node.uncordon", "node.drain", "node.drain", "node.uncordon", "node.drain", "node.decommission"]);
    for (const e of ops) {
      assert.equal(e.after.version, e.before.version + 1);
      assert.ok(e.after.state !== e.before.state || JSON.stringify(e.after.drain) !== JSON.stringify(e.before.drain), `${e.action} changed something`);
    }
    assert.deepEqual([ops[3].before.drain.force, ops[3].after.drain.force], [false, true], "the escalation is audited with the drain before and after");
    assert.deepEqual([ops[0].before.state, ops[0].after.state], ["Ready", "Cordoned"]);
    const ids = entries.map((e: { id: number }) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  });

  test("audit paging: limit and after", async () => {
    const first = (await s.request("GET", "/v1/audit?limit=2", { token: s.admin })).json;
    assert.equal(first.entries.length, 2);
    assert.equal(first.next, first.entries[1].id);
    const second = (await s.request("GET", `/v1/audit?limit=2&after=${first.next}`, { token: s.admin })).json;
    assert.ok(second.entries[0].id > first.next);
    assertProblem(await s.request("GET", "/v1/audit?limit=0", { token: s.admin }), 400, "invalid-request");
    assertProblem(await s.request("GET", "/v1/audit?limit=1e3", { token: s.admin }), 400, "invalid-request");
  });

  test("a lost compare-and-set is retried once against a fresh read", async () => {
    const m = await s.enroll("racy");
    await s.heartbeat(m);
    const stale = (await s.repo.getNode(m.id))!;
    // Someone else changes the node after our read: the write retries and applies the action to the fresh state.
    await s.repo.updateNode(m.id, stale.version, { labels: { moved: "yes" } }, new Date(s.clock.now()).toISOString());
    const { applyAction } = await import("../../src/server/lifecycle.js");
    const deps = { repo: s.repo, clock: s.clock, config: { lease: { heartbeatSeconds: 10, leaseSeconds: 40, unreachableSeconds: 300 } }, log: () => {}, notifier: { changed: () => {} } };
    const after = await applyAction(deps as never, stale, "cordon", { actor: "operator:test" });
    assert.equal(after.state, "Cordoned");
    assert.equal(after.version, stale.version + 2);
  });
});

describe("desired-state long-poll", () => {
  let s: TestServer;
  let n: { id: string; credential: string };
  before(async () => {
    s = await startTestServer();
    n = await s.enroll("poller");
    await s.heartbeat(n);
  });
  after(() => s.close());

  test("answers at once when the version is newer than `since`", async () => {
    const t0 = performance.now();
    const r = await s.request("GET", `/v1/nodes/${n.id}/desired?since=0&wait=30`, { token: n.credential });
    assert.equal(r.json.state, "Ready");
    assert.ok(performance.now() - t0 < 1000);
  });

  test("wakes within milliseconds of a cordon", async () => {
    const current = (await s.request("GET", `/v1/nodes/${n.id}/desired`, { token: n.credential })).json;
    const t0 = performance.now();
    const poll = s.request("GET", `/v1/nodes/poller/desired?since=${current.version}&wait=30`, { token: n.credential });
    await new Promise((r) => setTimeout(r, 50));
    const cordonedAt = performance.now();
    assert.equal((await s.request("POST", "/v1/nodes/poller/cordon", { token: s.operator })).status, 200);
    const r = await poll;
    const woke = performance.now() - cordonedAt;
    assert.equal(r.json.state, "Cordoned");
    assert.equal(r.json.version, current.version + 1);
    assert.ok(woke < 100, `woke ${woke.toFixed(1)} ms after the cordon`);
    assert.ok(performance.now() - t0 >= 50);
  });

  test("times out at `wait` with the unchanged state, and heartbeats (no version change) do not wake it", async () => {
    const current = (await s.request("GET", `/v1/nodes/${n.id}/desired`, { token: n.credential })).json;
    const t0 = performance.now();
    const poll = s.request("GET", `/v1/nodes/${n.id}/desired?since=${current.version}&wait=1`, { token: n.credential });
    await s.heartbeat(n);
    const r = await poll;
    const took = performance.now() - t0;
    assert.deepEqual(r.json, current);
    assert.ok(took >= 990 && took < 1500, `answered after ${took.toFixed(0)} ms`);
  });

  test("a client that goes away releases its wait", async () => {
    const current = (await s.request("GET", `/v1/nodes/${n.id}/desired`, { token: n.credential })).json;
    const abort = new AbortController();
    const t0 = performance.now();
    const poll = s.app.request(`/v1/nodes/${n.id}/desired?since=${current.version}&wait=30`, { headers: { authorization: `Bearer ${n.credential}` }, signal: abort.signal });
    await new Promise((r) => setTimeout(r, 30));
    abort.abort();
    const r = await poll;
    assert.equal(r.status, 200);
    assert.ok(performance.now() - t0 < 1000);
  });

  test("`wait` above 60 and junk `since` are refused", async () => {
    assertProblem(await s.request("GET", `/v1/nodes/${n.id}/desired?wait=61`, { token: n.credential }), 400, "invalid-request");
    assertProblem(await s.request("GET", `/v1/nodes/${n.id}/desired?since=-1`, { token: n.credential }), 400, "invalid-request");
    assertProblem(await s.request("GET", `/v1/nodes/${n.id}/desired?since=abc`, { token: n.credential }), 400, "invalid-request");
  });
});
