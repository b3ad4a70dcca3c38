/**
 * The rollout loop end to end in-process: the real app on a SQLite file, the
 * rollout and drain loops ticked under a fake clock, simulated agents speaking
 * the wire protocol to the real endpoints.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AlreadyExistsError } from "../../src/db/index.js";
import { ApiClient } from "../../src/server/api-client.js";
import { depsOf } from "../../src/server/reconcile.js";
import { applyRolloutAction } from "../../src/server/rollout-apply.js";
import { createRelease, enrollAgents, makeEnv, round, rolloutOf, startRollout, startServer, SYSTEMS, until, type Server } from "./_rollouts.js";

const FAST = { bakeSeconds: 30, canary: { count: 1, bakeSeconds: 30 }, drain: "never", maxUnavailable: "100%" };

function client(s: Server, token: string): ApiClient {
  return new ApiClient({ server: "http://hostplane.test", token, fetch: (req) => Promise.resolve(s.app.fetch(req, { remoteAddress: "192.0.2.9" })) });
}

async function eventsOf(s: Server, id: string): Promise<{ type: string; node: string | null; detail: string }[]> {
  return (await client(s, s.viewer).rolloutEvents(id)).events;
}

test("a rollout goes through every wave: canary first, each node upgraded once, drift InSync on the new system, counted in the metrics", async (t) => {
  const env = makeEnv();
  const s = await startServer(env);
  t.after(async () => { await s.close(); env.cleanup(); });
  const agents = await enrollAgents(s, env.clock, ["web-1", "web-2", "web-3", "web-4", "web-5"]);
  assert.equal((await createRelease(s)).status, 201);
  const api = client(s, s.operator);
  const started = await api.startRollout({ release: "2026-11-26.1", policy: { ...FAST, waves: ["50%", "100%"], drain: "never" } });
  assert.deepEqual(started.progress.map((w) => w.nodes), [["web-1"], ["web-2", "web-3"], ["web-4", "web-5"]]);
  await until(s, env.clock, agents, started.id, ["succeeded"]);

  for (const a of agents.values()) {
    assert.equal(a.current, SYSTEMS.new, a.name);
    assert.equal(a.applied.length, 1, `${a.name} applied exactly one operation`);
    const history = await api.nodeOperations(a.name);
    assert.deepEqual(history.operations.map((o) => [o.kind, o.status, o.epoch]), [["upgrade", "succeeded", 1]]);
    assert.deepEqual(history.operations[0]!.events.map((e) => e.step), ["received", "preflight", "fetched", "activated", "health", "confirm-requested", "confirmed", "committed"]);
  }
  const events = await eventsOf(s, started.id);
  const firstOther = events.findIndex((e) => e.type === "node-started" && e.node !== "web-1");
  const canaryDone = events.findIndex((e) => e.type === "node-done" && e.node === "web-1");
  assert.ok(canaryDone >= 0 && canaryDone < firstOther, "no other node starts before the canary is done");
  assert.equal(events.filter((e) => e.type === "node-done").length, 5);
  assert.equal(events.filter((e) => e.type === "wave-baking").length, 3);
  assert.equal(events.at(-1)?.type, "rollout-finished");

  const drift = await api.drift();
  assert.deepEqual(drift.counts, { InSync: 5, Drifted: 0, RebootRequired: 0, Unknown: 0 });
  assert.ok(drift.nodes.every((n) => n.desiredSystem === SYSTEMS.new));
  assert.ok((await api.listNodes()).nodes.every((n) => n.drift.status === "InSync"));
  const metrics = (await s.request("GET", "/metrics")).text;
  assert.match(metrics, /hostplane_operations_total\{kind="upgrade",status="succeeded"\} 5/);
  assert.match(metrics, /hostplane_node_drift\{status="InSync"\} 5/);
  assert.match(metrics, /hostplane_rollout_actions_total\{action="finish"\} 1/);
  // A node that switches by hand afterwards drifts.
  agents.get("web-3")!.current = SYSTEMS.other;
  await agents.get("web-3")!.heartbeat();
  assert.equal((await api.getNode("web-3")).drift.status, "Drifted");
});

test("a canary failing its health checks is refused and rolls back; the rollout aborts and no other node is touched", async (t) => {
  const env = makeEnv();
  const s = await startServer(env);
  t.after(async () => { await s.close(); env.cleanup(); });
  const agents = await enrollAgents(s, env.clock, ["web-1", "web-2", "web-3"]);
  await createRelease(s);
  agents.get("web-1")!.healthy = false;
  const id = await startRollout(s, FAST);
  await until(s, env.clock, agents, id, ["aborted"]);

  const r = await rolloutOf(s, id);
  assert.deepEqual(r.nodes.map((n) => [n.name, n.outcome]), [["web-1", "failed"], ["web-2", "waiting"], ["web-3", "waiting"]]);
  assert.equal(agents.get("web-1")!.current, SYSTEMS.old, "the canary rolled itself back");
  assert.deepEqual([agents.get("web-2")!.applied, agents.get("web-3")!.applied], [[], []]);
  const canary = (await client(s, s.viewer).nodeOperations("web-1")).operations;
  assert.deepEqual(canary.map((o) => [o.kind, o.status, o.decision]), [["upgrade", "rolled-back", "refused"]], "refused, rolled back; no rollback operation for it");
  assert.deepEqual(canary[0]!.checks, [{ name: "bin/health-check", ok: false, detail: "exit 1" }]);
  const types = (await eventsOf(s, id)).map((e) => e.type);
  assert.deepEqual(types.filter((x) => ["node-refused", "node-failed", "rollout-aborting", "rollout-finished"].includes(x)), ["node-refused", "node-failed", "rollout-aborting", "rollout-finished"]);
  // The loop may finish the abort before the canary's next heartbeat: let every agent report its facts first.
  for (const a of agents.values()) await a.heartbeat();
  const drift = await client(s, s.viewer).drift();
  assert.equal(drift.counts.InSync, 3, "everyone still runs (and is desired on) the old system");
});

test("fencing: an old epoch, a withdrawn operation and another node's operation are refused", async (t) => {
  const env = makeEnv();
  const s = await startServer(env);
  t.after(async () => { await s.close(); env.cleanup(); });
  const agents = await enrollAgents(s, env.clock, ["web-1", "web-2"]);
  await createRelease(s);
  const web1 = agents.get("web-1")!;
  const web2 = agents.get("web-2")!;
  web1.stalls = true;
  const id = await startRollout(s, { ...FAST, canary: { count: 0 }, waves: ["100%"] });
  await round(s, env.clock, agents);
  const desired = (await s.request("GET", `/v1/nodes/${web1.id}/desired`, { token: web1.credential })).json as { operation: { id: string; epoch: number } };
  const op = desired.operation;
  assert.equal(op.epoch, 1);
  const post = (node: typeof web1, path: string, epoch: number) => s.request("POST", `/v1/nodes/${node.id}/operations/${op.id}/${path}`, {
    token: node.credential, body: path === "events" ? { epoch, step: "received", ok: true, at: new Date(env.clock.now()).toISOString() } : { epoch, healthy: true, checks: [] },
  });
  const stale = await post(web1, "events", op.epoch - 0 + 1);
  assert.equal(stale.status, 409);
  assert.equal((stale.json as { code: string }).code, "stale-operation");
  assert.equal((await post(web1, "confirm", 7)).status, 409);
  // Another node's credential: 403 on the other node's path, 404 for the operation under its own.
  assert.equal((await s.request("POST", `/v1/nodes/${web1.id}/operations/${op.id}/events`, { token: web2.credential, body: { epoch: 1, step: "received", ok: true, at: new Date(env.clock.now()).toISOString() } })).status, 403);
  assert.equal((await post(web2, "events", 1)).status, 404);
  // Aborted before its agent started it: withdrawn, and then stale.
  assert.equal((await s.request("POST", `/v1/rollouts/${id}/abort`, { token: s.operator, body: { reason: "wrong release" } })).status, 200);
  await s.loop.tick();
  const late = await post(web1, "events", 1);
  assert.equal(late.status, 409, late.text);
  assert.match((late.json as { detail: string }).detail, /withdrawn/);
  const after = (await s.request("GET", `/v1/nodes/${web1.id}/desired`, { token: web1.credential })).json as { operation: unknown; version: number };
  assert.equal(after.operation, null, "a withdrawn operation is no longer offered");
  const shown = (await s.request("GET", `/v1/nodes/web-1/operations/${op.id}`, { token: s.viewer })).json as { status: string; withdrawn: boolean; decision: string };
  assert.deepEqual([shown.status, shown.withdrawn, shown.decision], ["failed", true, "refused"]);
  await until(s, env.clock, agents, id, ["aborted"]);
});

test("a step reported again (an agent restarted after its outcome, or a retry whose answer was lost) is recorded once", async (t) => {
  const env = makeEnv();
  const s = await startServer(env);
  t.after(async () => { await s.close(); env.cleanup(); });
  const agents = await enrollAgents(s, env.clock, ["web-1"]);
  await createRelease(s);
  const id = await startRollout(s, { ...FAST, canary: { count: 0 }, waves: ["100%"] });
  await until(s, env.clock, agents, id, ["succeeded"]);
  const web1 = agents.get("web-1")!;
  const [op] = (await client(s, s.viewer).nodeOperations("web-1")).operations;
  const committed = op!.events.find((e) => e.step === "committed")!;
  const again = await s.request("POST", `/v1/nodes/${web1.id}/operations/${op!.id}/events`, { token: web1.credential, body: { epoch: op!.epoch, step: "committed", ok: true, at: committed.at } });
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.json, { operation: op!.id, seq: committed.seq, status: "succeeded" });
  // A later report of the same step is another report (recorded), but the operation stays succeeded.
  const later = await s.request("POST", `/v1/nodes/${web1.id}/operations/${op!.id}/events`, { token: web1.credential, body: { epoch: op!.epoch, step: "committed", ok: true, at: new Date(Date.parse(committed.at) + 1).toISOString() } });
  assert.equal(later.status, 200);
  const after = await client(s, s.viewer).getOperation("web-1", op!.id);
  assert.deepEqual(after.events.map((e) => e.step), [...op!.events.map((e) => e.step), "committed"]);
  assert.equal(after.status, "succeeded");
});

test("a restarted server (new app on the same SQLite file) resumes a rollout mid-wave without a second operation for any node", async (t) => {
  const env = makeEnv();
  let s = await startServer(env);
  t.after(async () => { await s.close(); env.cleanup(); });
  const agents = await enrollAgents(s, env.clock, ["web-1", "web-2", "web-3", "web-4"]);
  await createRelease(s);
  const id = await startRollout(s, { ...FAST, maxUnavailable: 1, waves: ["100%"] });
  // Until the second wave has an operation in flight and another waiting.
  for (let i = 0; i < 40; i++) {
    const r = await rolloutOf(s, id);
    if (r.wave === 1 && r.nodes.some((n) => n.outcome === "in-flight") && r.nodes.some((n) => n.outcome === "waiting")) break;
    await round(s, env.clock, agents);
  }
  const before = await rolloutOf(s, id);
  assert.equal(before.wave, 1);
  await s.close();
  s = await startServer(env);
  for (const a of agents.values()) a.use(s);
  // A plan made before the crash (when the node in flight had no operation yet), applied after it: refused whole.
  const inFlight = before.nodes.find((n) => n.outcome === "in-flight")!;
  assert.equal(inFlight.operation?.status !== undefined, true, "in flight means an operation exists");
  const stored = (await s.repo.getRollout(id))!;
  const eventsBefore = (await s.repo.listRolloutEvents(id)).length;
  const ctx = { deps: depsOf(s.app), release: (await s.repo.getRelease(stored.release))!, nodes: new Map((await s.repo.listNodes()).map((n) => [n.name, n])), ops: new Map() };
  await assert.rejects(applyRolloutAction(ctx, stored, { type: "start", node: inFlight.name, kind: "upgrade", target: SYSTEMS.new, previous: SYSTEMS.old }), AlreadyExistsError);
  assert.equal((await s.repo.getRollout(id))!.version, stored.version, "nothing of the action was written");
  assert.equal((await s.repo.listRolloutEvents(id)).length, eventsBefore);
  await s.loop.tick();
  await s.loop.tick();
  await until(s, env.clock, agents, id, ["succeeded"]);
  const ops = await s.repo.listRolloutOperations(id);
  assert.deepEqual(ops.map((o) => o.node).sort(), ["web-1", "web-2", "web-3", "web-4"], "one operation per node");
  assert.ok(ops.every((o) => o.epoch === 1 && o.status === "succeeded"));
  for (const a of agents.values()) assert.deepEqual([a.current, a.applied.length], [SYSTEMS.new, 1], a.name);
});

test("a node that is NotReady when its turn comes is skipped and reported, never counted as done; the others are drained first and uncordoned after", async (t) => {
  const env = makeEnv();
  const s = await startServer(env);
  t.after(async () => { await s.close(); env.cleanup(); });
  const agents = await enrollAgents(s, env.clock, ["web-1", "web-2", "web-3"]);
  await createRelease(s);
  agents.get("web-3")!.silent = true;
  // The kernel of what the nodes run now is unknown: kernel-or-runtime drains them.
  const id = await startRollout(s, { ...FAST, drain: "kernel-or-runtime", waves: ["100%"] });
  await until(s, env.clock, agents, id, ["succeeded"]);
  for (const name of ["web-1", "web-2"]) {
    const audit = (await s.request("GET", `/v1/audit?target=node:${name}`, { token: s.admin })).json as { entries: { action: string; actor: string }[] };
    const byRollout = audit.entries.filter((e) => e.actor === `rollout:${id}`).map((e) => e.action);
    assert.deepEqual(byRollout.filter((a) => a.startsWith("node.")), ["node.drain", "node.uncordon"], name);
    assert.equal(((await s.request("GET", `/v1/nodes/${name}`, { token: s.viewer })).json as { state: string }).state, "Ready");
  }
  const r = await rolloutOf(s, id);
  const web3 = r.nodes.find((n) => n.name === "web-3")!;
  assert.equal(web3.outcome, "skipped");
  assert.match(web3.reason ?? "", /NotReady/);
  assert.equal(web3.operation, null);
  assert.ok((await eventsOf(s, id)).some((e) => e.type === "node-skipped" && e.node === "web-3" && /NotReady/.test(e.detail)));
  assert.equal(agents.get("web-3")!.current, SYSTEMS.old);
  const drift = await client(s, s.viewer).drift();
  assert.equal(drift.nodes.find((n) => n.name === "web-3")!.status, "Unknown");
});

test("pause lets the operation under way finish but starts nothing new; resume goes on; pausing twice is 409", async (t) => {
  const env = makeEnv();
  const s = await startServer(env);
  t.after(async () => { await s.close(); env.cleanup(); });
  const agents = await enrollAgents(s, env.clock, ["web-1", "web-2", "web-3"]);
  await createRelease(s);
  const api = client(s, s.operator);
  const id = await startRollout(s, { ...FAST, waves: ["100%"] });
  await round(s, env.clock, agents); // the canary's operation starts
  assert.equal((await api.pauseRollout(id)).status, "paused");
  const again = await s.request("POST", `/v1/rollouts/${id}/pause`, { token: s.operator });
  assert.equal(again.status, 409);
  for (let i = 0; i < 10; i++) await round(s, env.clock, agents);
  const paused = await rolloutOf(s, id);
  assert.equal(paused.status, "paused");
  assert.equal(paused.wave, 0, "no wave advance while paused");
  assert.equal(agents.get("web-1")!.current, SYSTEMS.new, "the running canary was confirmed and finished");
  assert.deepEqual([agents.get("web-2")!.applied, agents.get("web-3")!.applied], [[], []]);
  assert.equal((await api.resumeRollout(id)).status, "running");
  await until(s, env.clock, agents, id, ["succeeded"]);
  assert.ok([...agents.values()].every((a) => a.current === SYSTEMS.new));
  const types = (await eventsOf(s, id)).map((e) => e.type);
  assert.ok(types.includes("rollout-paused") && types.includes("rollout-resumed"));
});

test("abort without rollback: pending upgrades withdrawn, done nodes stay on the new system; with rollback they go back", async (t) => {
  const env = makeEnv();
  const s = await startServer(env);
  t.after(async () => { await s.close(); env.cleanup(); });
  const agents = await enrollAgents(s, env.clock, ["web-1", "web-2", "web-3", "web-4"]);
  await createRelease(s);
  const api = client(s, s.operator);
  agents.get("web-3")!.stalls = true;
  agents.get("web-4")!.stalls = true;
  const id = await startRollout(s, { ...FAST, waves: ["100%"] });
  await until(s, env.clock, agents, id, ["running"]);
  for (let i = 0; i < 20 && !((await rolloutOf(s, id)).nodes.filter((n) => n.outcome === "done").length >= 2); i++) await round(s, env.clock, agents);
  const aborted = await api.abortRollout(id, { reason: "bad kernel", rollback: false });
  assert.equal(aborted.status, "aborting");
  assert.match(aborted.abortReason ?? "", /bad kernel/);
  await until(s, env.clock, agents, id, ["aborted"]);
  assert.deepEqual(["web-1", "web-2"].map((n) => agents.get(n)!.current), [SYSTEMS.new, SYSTEMS.new], "no rollback");
  const stalled = (await api.nodeOperations("web-3")).operations;
  assert.deepEqual(stalled.map((o) => [o.status, o.withdrawn]), [["failed", true]]);
  assert.equal((await s.repo.listRolloutOperations(id)).filter((o) => o.kind === "rollback").length, 0);

  // A second release back to the old system, aborted with rollback once its canary is done: the canary goes back.
  for (const a of agents.values()) a.stalls = false;
  assert.equal((await createRelease(s, { schema: "hostplane.release/v1", name: "back", source: { commit: "5c2f1d3" }, roles: { "microvm-host": { path: SYSTEMS.other } } })).status, 201);
  const second = await startRollout(s, { ...FAST, waves: ["100%"], bakeSeconds: 3600, canary: { count: 1, bakeSeconds: 3600 } }, "back");
  for (let i = 0; i < 20 && agents.get("web-1")!.current !== SYSTEMS.other; i++) await round(s, env.clock, agents);
  await api.abortRollout(second, { reason: "canary looks slow" });
  await until(s, env.clock, agents, second, ["aborted"]);
  const back = (await api.nodeOperations("web-1")).operations;
  assert.deepEqual(back.slice(0, 2).map((o) => [o.kind, o.status, o.target]), [["rollback", "succeeded", SYSTEMS.new], ["upgrade", "succeeded", SYSTEMS.other]]);
  assert.equal(agents.get("web-1")!.current, SYSTEMS.new);
  // The rollback is judged by the checks of the release that gave web-1 that system.
  const rollbackOp = (await s.repo.listRolloutOperations(second)).find((o) => o.kind === "rollback")!;
  assert.deepEqual([rollbackOp.spec.healthChecks, rollbackOp.spec.closureSize], [[{ kind: "command", path: "bin/health-check", args: [], timeoutSeconds: 30 }], 1_480_000_000]);
  assert.equal((await api.drift()).nodes.find((n) => n.name === "web-1")!.desiredSystem, SYSTEMS.new, "the rollback's commit is what is desired now");
});
