/**
 * Issue 6 end to end: a real server (in-process, SQLite, the rollout loop at
 * its 1 s tick, a real signed file:// fleet cache), eight test hosts with real
 * agents and real Nix, fixture NixOS systems. One fleet, set up once; the
 * scenarios run in order and each starts from where the last left the hosts.
 *
 * - a release whose closure is signed by a key the server does not trust: 422, nothing stored;
 * - a canary whose system is unhealthy: it rolls back by itself, the rollout aborts, no other node gets an operation;
 * - the success path: canary first, then waves; every node on generation 2, history and drift agree;
 * - the network cut during activation: the node rolls back by itself within confirmTimeoutSeconds and reports it once back;
 * - an agent killed (with its activation) mid-apply: restarted, it ends on one system and the server says which;
 * - a /nix too small for a closure: refused in preflight with the figures, counted against the failure budget;
 * - the server's trusted key rotated after a release was stored: the agent refuses the closure in preflight, the rollout aborts;
 * - a manual switch on a node: drift shows it Drifted.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ApiProblemError } from "../../src/server/api-client.js";
import { HOSTS_SKIP, buildSystem, createTestFleet, makeBinaryCache, storeNix, type BinaryCache, type SystemOptions, type TestFleet, type TestHost } from "../harness/hosts/index.js";
import { AgentTestServer, logLines, waitFor } from "../agent/_harness.js";
import { bootInto, hostState, journalSteps } from "../agent/_apply-hosts.js";
import { E2eAgent, SUCCESS_STEPS, fastPolicy, manifest, operationsOf, rolloutEvents, stepsOf, untilFinished, untilReachable } from "./_e2e.js";

const HOSTS = 8;
/** h8's /nix: room for the small fixture systems plus the agent's 512 MiB margin, not for the 64 MiB payload on top. */
const SMALL_NIX_MIB = 560;

describe("rollouts end to end: real server, eight test hosts with real agents and real Nix", { skip: HOSTS_SKIP }, () => {
  let fleet: TestFleet;
  let server: AgentTestServer;
  let dir: string;
  let cache: BinaryCache;
  let rogue: BinaryCache;
  const sys = { a: "", b: "", bad: "", c: "", slow: "", big: "", rogue: "" };
  const agents = new Map<string, E2eAgent>();
  const host = (name: string): TestHost => fleet.hosts.find((h) => h.name === name)!;
  const client = () => server.client();
  const fleetCache = () => ({ url: cache.url, publicKeys: [cache.publicKey], revoked: [] });
  const startRollout = async (name: string, o: Parameters<typeof manifest>[1], policy = fastPolicy()) => {
    await client().createRelease(manifest(name, o));
    return (await client().startRollout({ release: name, policy })).id;
  };
  const agentOutput = (name: string) => agents.get(name)!.output().slice(-3000);

  before(async () => {
    if (HOSTS_SKIP) return;
    dir = await mkdtemp(join(tmpdir(), "hp-ro-e2e-"));
    fleet = await createTestFleet({ hosts: HOSTS, prefix: "roe", disks: ({ name }) => (name === "h8" ? { nixMiB: SMALL_NIX_MIB } : undefined) });
    const build = (generationTag: string, extra: Omit<SystemOptions, "name" | "generationTag"> = {}) =>
      buildSystem(fleet.buildStore, { name: "node", generationTag, ...extra });
    sys.a = await build("a");
    sys.b = await build("b");
    sys.bad = await build("bad", { healthy: false });
    sys.c = await build("c");
    sys.slow = await build("slow", { activationSeconds: 3 });
    sys.big = await build("big", { payloadBytes: 64 << 20 });
    sys.rogue = await build("rogue", { kernel: "6.6.2" });
    cache = await makeBinaryCache(fleet.buildStore, [sys.b, sys.bad, sys.c, sys.slow, sys.big], { dir: join(fleet.dir, "fleet-cache"), keyName: "fleet-1" });
    // Into the same cache, signed only by a key nobody trusts.
    rogue = await makeBinaryCache(fleet.buildStore, [sys.rogue], { dir: join(fleet.dir, "fleet-cache"), keyName: "rogue-1" });
    assert.equal(rogue.url, cache.url);
    server = new AgentTestServer(join(dir, "control.db"), fleet.serverAddress.ipv6, { cache: fleetCache(), rolloutLoop: {} });
    await server.start();
    for (const h of fleet.hosts) await bootInto(fleet, h, sys.a);
    for (const h of fleet.hosts) {
      const a = new E2eAgent(h, dir, () => fleet.serverUrl(server.port));
      agents.set(h.name, a);
      await a.start((await client().createBootstrapToken({})).token);
    }
    for (const h of fleet.hosts) {
      await waitFor(`${h.name} Ready with facts`, async () => { const n = await client().getNode(h.name).catch(() => null); return n?.state === "Ready" && n.conditions.length === 0 && n.facts?.currentSystem === sys.a; }, 60_000)
        .catch((err: Error) => { throw new Error(`${err.message}\n${agentOutput(h.name)}`); });
    }
  });

  after(async () => {
    for (const a of agents.values()) await a.kill().catch(() => undefined);
    await fleet?.teardown();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("a release whose closure is signed by an untrusted key is refused (422) and stores nothing", async () => {
    const err = await client().createRelease(manifest("rogue", { role: sys.b, nodes: { h3: sys.rogue } })).catch((e: unknown) => e);
    assert.ok(err instanceof ApiProblemError, String(err));
    assert.equal(err.problem.status, 422);
    assert.equal(err.problem.code, "release-rejected");
    assert.match(err.problem.detail, /body\.nodes\.h3\.path/);
    assert.match(err.problem.detail, /rogue-1|untrusted|not trusted/i);
    assert.ok(!err.problem.detail.includes("roles.microvm-host"), "the trusted system is not named");
    assert.deepEqual((await client().listReleases()).releases.map((r) => r.name), []);
    assert.deepEqual((await client().listRollouts()).rollouts, []);
  });

  test("a canary whose system fails its health checks rolls back by itself; the rollout aborts and touches no other node", async () => {
    const started = Date.now();
    const id = await startRollout("bad-canary", { role: sys.b, nodes: { h1: sys.bad } });
    const r = await untilFinished(client(), id);
    assert.equal(r.status, "aborted");
    assert.match(r.abortReason ?? "", /h1/);
    const [op, ...more] = await operationsOf(client(), "h1");
    assert.equal(more.length, 0);
    assert.equal(op!.status, "rolled-back");
    assert.deepEqual(stepsOf(op), ["received", "preflight", "fetched", "activated", "health", "rolled-back"]);
    assert.equal(op!.events.find((e) => e.step === "health")!.ok, false);
    assert.deepEqual(await hostState(host("h1")), { current: sys.a, booted: sys.a, bootDefault: sys.a, profile: sys.a, generations: [1] });
    for (const h of fleet.hosts.slice(1)) {
      assert.deepEqual(await operationsOf(client(), h.name), [], `${h.name} got no operation`);
      assert.deepEqual((await hostState(h)).generations, [1]);
    }
    assert.deepEqual((await rolloutEvents(client(), id)).filter((e) => e.type === "node-started").map((e) => e.node), ["h1"]);
    console.log(`failing canary: aborted ${Date.now() - started} ms after the rollout started`);
  });

  test("success: canary first, then waves; every node on generation 2 with its history, drift InSync", async () => {
    const started = Date.now();
    // The default drain policy: the release names no kernel, so every node is drained first (and uncordoned after).
    const id = await startRollout("gen2", { role: sys.b }, fastPolicy({ drain: "kernel-or-runtime" }));
    const r = await untilFinished(client(), id, 180_000);
    assert.equal(r.status, "succeeded", JSON.stringify(r.nodes));
    assert.deepEqual(r.progress.map((w) => w.nodes), [["h1"], ["h2", "h3", "h4"], ["h5", "h6", "h7", "h8"]]);
    assert.ok(r.nodes.every((n) => n.outcome === "done" && n.operation?.status === "succeeded"), JSON.stringify(r.nodes));
    const events = await rolloutEvents(client(), id);
    const at = (type: string, node: string | null) => Date.parse(events.find((e) => e.type === type && e.node === node)!.at);
    // Canary first: no other node started before the canary's wave baked.
    const waveStarted = (w: number) => Date.parse(events.find((e) => e.type === "wave-started" && (e.data as { wave?: number } | null)?.wave === w)!.at);
    const baked = [waveStarted(1), waveStarted(2)];
    for (const n of ["h2", "h3", "h4"]) assert.ok(at("node-started", n) >= baked[0]! && at("node-started", n) > at("node-done", "h1"), `${n} started after the canary`);
    for (const n of ["h5", "h6", "h7", "h8"]) assert.ok(at("node-started", n) >= baked[1]!, `${n} started in the last wave`);
    for (const h of fleet.hosts) {
      assert.deepEqual(await hostState(h), { current: sys.b, booted: sys.a, bootDefault: sys.b, profile: sys.b, generations: [1, 2] }, h.name);
      const ops = (await operationsOf(client(), h.name)).filter((o) => o.rollout === id);
      assert.equal(ops.length, 1, `${h.name}: one operation in this rollout`);
      assert.deepEqual(stepsOf(ops[0]), SUCCESS_STEPS, h.name);
      assert.equal(ops[0]!.kind, "upgrade");
      assert.equal(ops[0]!.previous, sys.a);
      const n = await client().getNode(h.name);
      assert.equal(n.state, "Ready", `${h.name} uncordoned after its drain`);
    }
    assert.deepEqual(events.filter((e) => e.type === "node-draining").length, HOSTS);
    const drift = await waitFor("every node InSync", async () => { const d = await client().drift(); return d.counts.InSync === HOSTS ? d : null; }, 15_000);
    assert.ok(drift.nodes.every((n) => n.desiredSystem === sys.b && n.currentSystem === sys.b));
    console.log(`success path over ${HOSTS} nodes in 3 waves: ${Date.now() - started} ms`);
  });

  test("an agent restarted after its operation reports the outcome again; the node's history records each step once", async () => {
    const a = agents.get("h6")!;
    await a.kill();
    await a.start();
    await waitFor("h6 reported its last outcome again", () => logLines(a.output()).some((l) => l.msg === "operation outcome reported again"), 20_000);
    // Its report went through the same queue as the log line; give the server's answer a moment to land.
    await new Promise((r) => setTimeout(r, 500));
    const ops = await operationsOf(client(), "h6");
    assert.deepEqual(ops.map(stepsOf), [SUCCESS_STEPS]);
    assert.equal(ops[0]!.status, "succeeded");
  });

  test("the network cut during activation: the node rolls back by itself within confirmTimeoutSeconds and reports it once back", async () => {
    const h2 = host("h2");
    const id = await startRollout("cut", { nodes: { h2: sys.slow } }, fastPolicy({ confirmTimeoutSeconds: 8 }));
    const op = await waitFor("h2 offered its operation", async () => (await client().getRollout(id)).nodes[0]?.operation?.id, 20_000);
    // Cut while switch-to-configuration runs (3 s): the node activates the new system but cannot ask for its confirmation.
    await waitFor("h2 journals activating", async () => (await journalSteps(h2, op)).steps.includes("activating"), 30_000, 20);
    await h2.cutNetwork();
    const cutAt = Date.now();
    try {
      await waitFor("h2 journals the rollback", async () => (await journalSteps(h2, op)).steps.includes("rolled-back"), 30_000, 100);
      const tookMs = Date.now() - cutAt;
      assert.ok(tookMs < 3000 + 8000 + 4000, `rolled back ${tookMs} ms after the cut`);
      const steps = (await journalSteps(h2, op)).steps;
      assert.deepEqual(steps.slice(steps.indexOf("activated")), ["activated", "health", "confirm-requested", "confirm-timeout", "rolling-back", "rolled-back"]);
      assert.deepEqual(await hostState(h2), { current: sys.b, booted: sys.a, bootDefault: sys.b, profile: sys.b, generations: [1, 2] });
      console.log(`network cut during activation: rolled back ${tookMs} ms after the cut (activation 3 s, confirm timeout 8 s)`);
    } finally {
      await h2.restoreNetwork();
    }
    const reported = await waitFor("the rollback reported", async () => { const o = await client().getOperation("h2", op); return stepsOf(o).includes("rolled-back") ? o : null; }, 30_000)
      .catch((err: Error) => { throw new Error(`${err.message}\n${agentOutput("h2")}`); });
    assert.deepEqual(stepsOf(reported), ["received", "preflight", "fetched", "activated", "health", "confirm-requested", "confirm-timeout", "rolled-back"]);
    assert.equal(reported.status, "rolled-back");
    const r = await untilFinished(client(), id);
    assert.equal(r.status, "aborted");
  });

  test("an agent killed with its activation mid-apply ends on one system after its restart, and the server says which", async () => {
    const h3 = host("h3");
    const id = await startRollout("killed", { nodes: { h3: sys.slow } });
    const op = await waitFor("h3 offered its operation", async () => (await client().getRollout(id)).nodes[0]?.operation?.id, 20_000);
    await waitFor("h3 journals activating", async () => (await journalSteps(h3, op)).steps.includes("activating"), 30_000, 20);
    // As systemd's restart would: the agent and its switch-to-configuration together.
    agents.get("h3")!.proc!.kill("SIGKILL", { group: true });
    await agents.get("h3")!.proc!.exited;
    await agents.get("h3")!.start();
    const r = await untilFinished(client(), id);
    const o = await client().getOperation("h3", op);
    const state = await hostState(h3);
    const ended = o.status === "succeeded" ? sys.slow : sys.b;
    assert.ok(o.status === "succeeded" || o.status === "rolled-back", `${o.status}: ${stepsOf(o).join(", ")}`);
    assert.equal(state.current, ended, `server says ${o.status}; host runs ${state.current}`);
    assert.equal(state.bootDefault, ended);
    assert.equal(state.profile, ended);
    assert.equal(r.status, o.status === "succeeded" ? "succeeded" : "aborted");
    const steps = stepsOf(o);
    assert.equal(steps.filter((s) => s === "received").length, 1, `no step reported twice: ${steps.join(", ")}`);
    assert.equal(new Set(steps).size, steps.length, `no step reported twice: ${steps.join(", ")}`);
    await waitFor("drift InSync on h3", async () => (await client().drift()).nodes.find((n) => n.name === "h3")?.status === "InSync", 15_000);
    console.log(`agent killed mid-activation: operation ${o.status} (${steps.join(", ")})`);
  });

  test("a /nix too small for the closure: refused in preflight with the figures, a failure within the budget", async () => {
    const id = await startRollout("big", { nodes: { h7: sys.c, h8: sys.big } }, fastPolicy({ canary: { count: 0 }, waves: ["100%"], failureBudget: 1 }));
    const r = await untilFinished(client(), id);
    assert.equal(r.status, "succeeded", "one failure is within the budget of 1");
    assert.deepEqual(r.nodes.map((n) => [n.name, n.outcome]), [["h7", "done"], ["h8", "failed"]]);
    const [op] = (await operationsOf(client(), "h8")).filter((o) => o.rollout === id);
    assert.equal(op!.status, "failed");
    assert.deepEqual(stepsOf(op), ["received", "preflight", "failed"]);
    const pre = op!.events.find((e) => e.step === "preflight")!;
    assert.equal(pre.ok, false);
    const data = pre.data as Record<string, number>;
    assert.ok(data.bytesToFetch! > 64 << 20 && data.needNix! > data.freeNix!, JSON.stringify(data));
    assert.match(op!.error ?? "", /\/nix/);
    assert.match(r.nodes.find((n) => n.name === "h8")!.reason ?? "", /\/nix/);
    assert.deepEqual(await hostState(host("h8")), { current: sys.b, booted: sys.a, bootDefault: sys.b, profile: sys.b, generations: [1, 2] });
    const check = await host("h8").exec("nix-store", ["--check-validity", sys.big]);
    assert.notEqual(check.exitCode, 0, "nothing of the big system was fetched");
    console.log(`/nix too small: ${op!.error}`);
  });

  test("the trusted key rotated after the release was stored: the agent refuses the closure in preflight, the rollout aborts", async () => {
    await client().createRelease(manifest("rotated", { nodes: { h4: sys.c } }));
    // The server now trusts only a new key; the release (checked against the old one) is still stored.
    const fresh = await storeNix(fleet.buildStore).generateKey("fleet-2", join(dir, "fleet-2.sec"), join(dir, "fleet-2.pub"));
    await server.stop();
    server.cache = { url: cache.url, publicKeys: [fresh.publicKey], revoked: [] };
    await server.start();
    await untilReachable(client());
    try {
      const id = (await client().startRollout({ release: "rotated", policy: fastPolicy() })).id;
      const r = await untilFinished(client(), id);
      assert.equal(r.status, "aborted");
      const [op] = (await operationsOf(client(), "h4")).filter((o) => o.rollout === id);
      assert.deepEqual(stepsOf(op), ["received", "preflight", "failed"]);
      assert.match(op!.error ?? "", /lack a valid signature by a trusted key \(trusted: fleet-2\)/);
      assert.equal((await hostState(host("h4"))).current, sys.b);
      assert.notEqual((await host("h4").exec("nix-store", ["--check-validity", sys.c])).exitCode, 0, "nothing fetched");
    } finally {
      await server.stop();
      server.cache = fleetCache();
      await server.start();
      await untilReachable(client());
    }
  });

  test("a manual switch on a node shows as Drifted", async () => {
    const h5 = host("h5");
    const r = await h5.exec(`${sys.a}/bin/switch-to-configuration`, ["switch"]);
    assert.equal(r.exitCode, 0, r.stderr);
    const d = await waitFor("h5 Drifted", async () => { const x = (await client().drift()).nodes.find((n) => n.name === "h5"); return x?.status === "Drifted" ? x : null; }, 20_000);
    assert.equal(d.currentSystem, sys.a);
    assert.equal(d.desiredSystem, sys.b);
    const all = await client().drift();
    assert.deepEqual(all.nodes.filter((n) => n.status !== "InSync").map((n) => n.name), ["h5"], JSON.stringify(all.nodes.map((n) => [n.name, n.status, n.reason])));
  });

  test("the agents and the server agree on the wire: no event refused, no answer an agent could not read", () => {
    // What the scenarios above make agents warn about: failed steps, and the server or network gone for a while.
    const expected = [/^operation (health|preflight|failed|confirm-timeout|refused)$/, /^server unreachable; retrying/, /^cannot ask for the confirmation; retrying/, /^cannot deliver an operation event; retrying/];
    const unexpected: string[] = [];
    for (const [name, a] of agents) {
      for (const l of logLines(a.output())) {
        if ((l.level === "warn" || l.level === "error") && !expected.some((re) => re.test(l.msg))) unexpected.push(`${name}: ${JSON.stringify(l)}`);
      }
    }
    assert.deepEqual(unexpected, []);
  });
});
