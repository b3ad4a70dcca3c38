/**
 * Releases and rollouts over the API: validation with every problem's path,
 * the closure check against a real signed file:// cache, and who may do what.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertProblem } from "./_harness.js";
import { createRelease, enrollAgents, makeEnv, manifest, round, startRollout, startServer, SYSTEMS } from "./_rollouts.js";

test("releases: an invalid manifest is 400 listing every problem with its path; closures not in the cache or not signed by a trusted key are 422 and store nothing", async (t) => {
  const env = makeEnv();
  const s = await startServer(env);
  t.after(async () => { await s.close(); env.cleanup(); });
  const bad = await createRelease(s, { schema: "hostplane.release/v2", source: {}, roles: { "microvm-host": { path: "/usr/bin/evil", healthChecks: [{ kind: "command", path: "/bin/sh" }] } } });
  assertProblem(bad, 400, "invalid-request");
  const paths = (bad.json as { errors: { path: string }[] }).errors.map((e) => e.path);
  for (const p of ["body.schema", "body.source", "body.roles.microvm-host.path", "body.roles.microvm-host.healthChecks.0.path"]) assert.ok(paths.includes(p), `${p} in ${paths.join(", ")}`);

  const rejected = await createRelease(s, manifest({ nodes: { "web-3": { path: SYSTEMS.unsigned }, "web-4": { path: SYSTEMS.missing } } }));
  assertProblem(rejected, 422, "release-rejected");
  const errors = (rejected.json as { errors: { path: string; message: string }[] }).errors;
  assert.deepEqual(errors.map((e) => e.path), ["body.nodes.web-3.path", "body.nodes.web-4.path"]);
  assert.match(errors[0]!.message, /untrusted|stranger-1/);
  assert.match(errors[1]!.message, /missing/);
  assert.deepEqual((await s.request("GET", "/v1/releases", { token: s.viewer })).json, { releases: [] });

  const ok = await createRelease(s);
  assert.equal(ok.status, 201, ok.text);
  const release = ok.json as { id: string; name: string; paths: string[] };
  assert.deepEqual([release.name, release.paths], ["2026-11-26.1", [SYSTEMS.new]]);
  assert.equal((await s.request("GET", "/v1/releases/2026-11-26.1", { token: s.viewer })).status, 200);
  assert.equal((await s.request("GET", `/v1/releases/${release.id}`, { token: s.viewer })).status, 200);
  assertProblem(await createRelease(s), 409, "already-exists");
  assertProblem(await s.request("GET", "/v1/releases/nope", { token: s.viewer }), 404, "not-found");
  const audit = (await s.request("GET", "/v1/audit?target=release:2026-11-26.1", { token: s.admin })).json as { entries: { action: string; actor: string }[] };
  assert.deepEqual(audit.entries.map((e) => [e.action, e.actor]), [["release.create", "operator:oscar"]]);
});

test("releases need a fleet cache: without one the server answers 503 and stores nothing", async (t) => {
  const env = makeEnv();
  const s = await startServer(env, { cache: false });
  t.after(async () => { await s.close(); env.cleanup(); });
  assertProblem(await createRelease(s), 503, "cache-not-configured");
});

test("who may: a viewer reads but cannot create releases or start, pause or abort rollouts; a node may not touch rollouts", async (t) => {
  const env = makeEnv();
  const s = await startServer(env);
  t.after(async () => { await s.close(); env.cleanup(); });
  const agents = await enrollAgents(s, env.clock, ["web-1"]);
  const node = agents.get("web-1")!;
  assertProblem(await s.request("POST", "/v1/releases", { token: s.viewer, body: manifest() }), 403, "forbidden");
  await createRelease(s);
  assertProblem(await s.request("POST", "/v1/rollouts", { token: s.viewer, body: { release: "2026-11-26.1" } }), 403, "forbidden");
  assertProblem(await s.request("POST", "/v1/rollouts", { token: node.credential, body: { release: "2026-11-26.1" } }), 403, "forbidden");
  const id = await startRollout(s, { drain: "never" });
  for (const action of ["pause", "resume"]) assertProblem(await s.request("POST", `/v1/rollouts/${id}/${action}`, { token: s.viewer }), 403, "forbidden");
  assertProblem(await s.request("POST", `/v1/rollouts/${id}/abort`, { token: s.viewer, body: { reason: "x" } }), 403, "forbidden");
  assert.equal((await s.request("GET", `/v1/rollouts/${id}`, { token: s.viewer })).status, 200);
  assert.equal((await s.request("GET", "/v1/rollouts", { token: s.viewer })).status, 200);
  // Operation reports are the node's own: an operator token may read them, not post them.
  await round(s, env.clock, agents);
  const [op] = (await s.repo.listRolloutOperations(id));
  assertProblem(await s.request("POST", `/v1/nodes/web-1/operations/${op!.id}/events`, { token: s.operator, body: { epoch: 1, step: "received", ok: true, at: new Date(env.clock.now()).toISOString() } }), 403, "forbidden");
  assert.equal((await s.request("GET", `/v1/nodes/web-1/operations/${op!.id}`, { token: s.viewer })).status, 200);
});

test("rollouts: bad policies are 400 with their paths, an unknown release 404, a release for no node 422, a second rollout over the same nodes 409", async (t) => {
  const env = makeEnv();
  const s = await startServer(env);
  t.after(async () => { await s.close(); env.cleanup(); });
  const agents = await enrollAgents(s, env.clock, ["web-1", "web-2"]);
  await createRelease(s);
  const bad = await s.request("POST", "/v1/rollouts", { token: s.operator, body: { release: "2026-11-26.1", policy: { waves: ["50%", "40%"], maxUnavailable: "lots", surprise: 1 } } });
  assertProblem(bad, 400, "invalid-request");
  const paths = (bad.json as { errors: { path: string }[] }).errors.map((e) => e.path);
  for (const p of ["body.policy.maxUnavailable", "body.policy"]) assert.ok(paths.some((x) => x.startsWith(p)), `${p} in ${paths.join(", ")}`);
  assertProblem(await s.request("POST", "/v1/rollouts", { token: s.operator, body: { release: "nope" } }), 404, "not-found");
  await createRelease(s, { schema: "hostplane.release/v1", name: "cp-only", source: { commit: "abcdef1" }, roles: { "control-plane": { path: SYSTEMS.other } } });
  assertProblem(await s.request("POST", "/v1/rollouts", { token: s.operator, body: { release: "cp-only" } }), 422, "invalid-rollout");
  const first = await startRollout(s, { drain: "never" });
  assertProblem(await s.request("POST", "/v1/rollouts", { token: s.operator, body: { release: "2026-11-26.1" } }), 409, "conflict");
  assertProblem(await s.request("POST", `/v1/rollouts/${first}/resume`, { token: s.operator }), 409, "illegal-transition");
  // The agent's reports are checked too.
  await round(s, env.clock, agents);
  const [op] = await s.repo.listRolloutOperations(first);
  const node = agents.get(op!.node)!;
  assertProblem(await s.request("POST", `/v1/nodes/${node.id}/operations/${op!.id}/events`, { token: node.credential, body: { epoch: 0, step: "teleported", ok: "yes" } }), 400, "invalid-request");
  assertProblem(await s.request("POST", `/v1/nodes/${node.id}/operations/${op!.id}/confirm?wait=61`, { token: node.credential, body: { epoch: 1, healthy: true, checks: [] } }), 400, "invalid-request");
});
