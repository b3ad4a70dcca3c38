/**
 * Issue 6 end to end: `kill -9` of the real `hostplane server` process in the
 * middle of a wave. Six test hosts with real agents; the server (SQLite, a
 * signed file:// fleet cache, its rollout loop) is killed right after it
 * offered an operation to the second node of wave 1, and started again on the
 * same database and port two seconds later. The rollout resumes and ends
 * succeeded; no node was upgraded twice: one operation per node in the
 * operations table, each step once in its history, one new profile
 * generation per host.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openDatabase } from "../../src/db/index.js";
import { HOSTS_SKIP, buildSystem, createTestFleet, makeBinaryCache, type BinaryCache, type TestFleet } from "../harness/hosts/index.js";
import { waitFor } from "../agent/_harness.js";
import { bootInto, hostState } from "../agent/_apply-hosts.js";
import { E2eAgent, SUCCESS_STEPS, fastPolicy, manifest, operationsOf, rolloutEvents, stepsOf, untilFinished, untilReachable } from "./_e2e.js";
import { ServerProcess } from "./_server-process.js";

describe("kill -9 of the hostplane server mid-wave: the rollout resumes on the same database, no node applied twice", { skip: HOSTS_SKIP }, () => {
  let fleet: TestFleet;
  let server: ServerProcess;
  let dir: string;
  let cache: BinaryCache;
  const sys = { a: "", b: "" };
  const agents: E2eAgent[] = [];

  before(async () => {
    if (HOSTS_SKIP) return;
    dir = await mkdtemp(join(tmpdir(), "hp-ro-kill-"));
    fleet = await createTestFleet({ hosts: 6, prefix: "rok" });
    sys.a = await buildSystem(fleet.buildStore, { name: "node", generationTag: "a" });
    sys.b = await buildSystem(fleet.buildStore, { name: "node", generationTag: "b" });
    cache = await makeBinaryCache(fleet.buildStore, [sys.b], { dir: join(fleet.dir, "fleet-cache"), keyName: "fleet-1" });
    server = new ServerProcess({ dbPath: join(dir, "control.db"), host: fleet.serverAddress.ipv6, cacheUrl: cache.url, trustedKeys: [cache.publicKey] });
    await server.start();
    for (const h of fleet.hosts) await bootInto(fleet, h, sys.a);
    for (const h of fleet.hosts) {
      const a = new E2eAgent(h, dir, () => server.url());
      agents.push(a);
      await a.start((await server.client().createBootstrapToken({})).token);
    }
    for (const a of agents) {
      await waitFor(`${a.host.name} Ready`, async () => { const n = await server.client().getNode(a.host.name).catch(() => null); return n?.state === "Ready" && n.conditions.length === 0 && n.facts?.currentSystem === sys.a; }, 60_000)
        .catch((err: Error) => { throw new Error(`${err.message}\n${a.output().slice(-3000)}`); });
    }
  });

  after(async () => {
    for (const a of agents) await a.kill().catch(() => undefined);
    await fleet?.teardown();
    await server?.kill("SIGTERM");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("killed right after offering wave 1's second operation, restarted 2 s later: succeeded, one generation per node", async () => {
    await server.client().createRelease(manifest("gen2", { role: sys.b }));
    // One node at a time, so the kill lands between a done node and the rest of its wave.
    const id = (await server.client().startRollout({ release: "gen2", policy: fastPolicy({ maxUnavailable: 1 }) })).id;
    let after = 0;
    const seen: string[] = [];
    for (;;) {
      const page = await server.client().rolloutEvents(id, { after, waitSeconds: 5 });
      after = page.next;
      seen.push(...page.events.map((e) => `${e.type} ${e.node ?? ""}`));
      if (page.events.some((e) => e.type === "node-started" && e.node === "h3")) break;
      assert.equal(page.status, "running", seen.join("\n"));
    }
    await server.kill();
    const killedAt = Date.now();
    assert.ok(seen.includes("node-done h2") && !seen.some((e) => /node-started h[456]/.test(e)), `killed mid-wave 1: ${seen.join(", ")}`);
    await new Promise((r) => setTimeout(r, 2000));
    await server.start();
    await untilReachable(server.client());
    const r = await untilFinished(server.client(), id, 120_000);
    console.log(`server killed mid-wave 1 and restarted after 2 s: the rollout ${r.status} ${Date.now() - killedAt} ms after the kill`);
    assert.equal(r.status, "succeeded", JSON.stringify(r.nodes));
    const events = await rolloutEvents(server.client(), id);
    for (const h of fleet.hosts) {
      assert.deepEqual(events.filter((e) => e.type === "node-started" && e.node === h.name).length, 1, `${h.name} started once`);
      const ops = await operationsOf(server.client(), h.name);
      assert.equal(ops.length, 1, `${h.name}: one operation`);
      assert.deepEqual(stepsOf(ops[0]), SUCCESS_STEPS, `${h.name}: each step once`);
      assert.equal(ops[0]!.status, "succeeded");
      assert.deepEqual(await hostState(h), { current: sys.b, booted: sys.a, bootDefault: sys.b, profile: sys.b, generations: [1, 2] }, h.name);
    }
    // The operations table itself, read after the server stopped: one upgrade per node in this rollout.
    await server.kill("SIGTERM");
    const repo = await openDatabase(`sqlite:${join(dir, "control.db")}`, { migrate: false });
    try {
      const ops = await repo.listRolloutOperations(id);
      assert.deepEqual(ops.map((o) => o.node).sort(), fleet.hosts.map((h) => h.name));
      assert.ok(ops.every((o) => o.kind === "upgrade" && o.status === "succeeded"));
    } finally {
      await repo.close();
    }
    assert.equal(server.output().split("\n").filter((l) => l.includes('"msg":"listening"')).length, 2, "the server ran twice");
  });
});
