/**
 * Applying operations with a real agent in two test hosts, real Nix (signed
 * file:// binary caches, per-host stores and profiles) and fixture NixOS
 * systems, against a stand-in control plane (_apply-server.ts: the real
 * server's operation endpoints are being built in parallel to the same
 * document; the end-to-end suite with the real server comes later).
 *
 * - success: fetched, activated, healthy, confirmed over a fresh connection,
 *   committed: a new profile generation, boot default and running system are
 *   the target, the journal is complete and the events came in order;
 * - an unhealthy generation: rolled back, boot default and profile unchanged;
 * - no decision (the control plane never decides; or the host's network is
 *   cut after activation): rolled back within confirmTimeoutSeconds;
 * - a closure signed by a key the operation does not trust: refused in
 *   preflight, nothing fetched or activated.
 */
import assert from "node:assert/strict";
import { mkdtemp, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { HOSTS_SKIP, buildSystem, createTestFleet, makeBinaryCache, type BinaryCache, type TestFleet, type TestHost } from "../harness/hosts/index.js";
import { ApplyControlPlane } from "./_apply-server.js";
import { activations, bootInto, hostState, HostAgent, journalSteps, operation, untilStep } from "./_apply-hosts.js";
import { waitFor } from "./_harness.js";

const SUCCESS_STEPS = ["received", "preflight", "fetched", "activated", "health", "confirm-requested", "confirmed", "committed"];

describe("applying operations on test hosts with a real agent", { skip: HOSTS_SKIP }, () => {
  let fleet: TestFleet;
  let cp: ApplyControlPlane;
  let dir: string;
  let cache: BinaryCache;
  let rogue: BinaryCache;
  const sys = { a: "", b: "", bad: "", c: "", rogue: "" };
  const agents = new Map<string, HostAgent>();
  const agent = (h: TestHost) => agents.get(h.name)!;
  const op = (id: string, target: string, o: { confirmTimeoutSeconds?: number; previous?: string } = {}) =>
    operation(id, target, { cacheUrl: cache.url, publicKeys: [cache.publicKey], previous: sys.a, ...o });

  before(async () => {
    if (HOSTS_SKIP) return;
    dir = await mkdtemp(join(tmpdir(), "hp-apply-"));
    fleet = await createTestFleet({ hosts: 2, prefix: "apl" });
    const build = (generationTag: string, extra: { healthy?: boolean } = {}) => buildSystem(fleet.buildStore, { name: "node", generationTag, ...extra });
    sys.a = await build("a");
    sys.b = await build("b");
    sys.bad = await build("bad", { healthy: false });
    sys.c = await build("c");
    sys.rogue = await build("rogue");
    cache = await makeBinaryCache(fleet.buildStore, [sys.b, sys.bad, sys.c], { dir: join(fleet.dir, "fleet-cache"), keyName: "fleet-1" });
    rogue = await makeBinaryCache(fleet.buildStore, [sys.rogue], { dir: join(fleet.dir, "rogue-cache"), keyName: "rogue-1" });
    cp = new ApplyControlPlane();
    await cp.start(fleet.serverAddress.ipv6);
    for (const h of fleet.hosts) {
      await bootInto(fleet, h, sys.a);
      const a = new HostAgent(h, dir, fleet.serverUrl(cp.port));
      agents.set(h.name, a);
      await a.start();
      await waitFor(`${h.name} enrolled and reporting facts`, () => cp.hasNode(h.name) && cp.node(h.name).facts !== null, 30_000);
    }
  });

  after(async () => {
    for (const a of agents.values()) await a.stop();
    await fleet?.teardown();
    await cp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("success: fetched, activated, healthy, confirmed over a fresh connection, committed", async () => {
    const h1 = fleet.hosts[0]!;
    const started = Date.now();
    cp.setOperation("h1", op("op_ok", sys.b));
    await untilStep(cp, agent(h1), "op_ok", "committed");
    const took = Date.now() - started;
    assert.deepEqual(cp.stepsOf("op_ok"), SUCCESS_STEPS);
    assert.ok(cp.events.filter((e) => e.op === "op_ok").every((e) => e.ok && e.epoch === cp.node("h1").operation!.epoch));
    const state = await hostState(h1);
    assert.deepEqual(state, { current: sys.b, booted: sys.a, bootDefault: sys.b, profile: sys.b, generations: [1, 2] });
    const journal = await journalSteps(h1, "op_ok");
    assert.deepEqual(journal.steps, ["received", "preflight", "fetched", "activating", "activated", "health", "confirm-requested", "confirmed", "committing", "committed"]);
    assert.equal(journal.torn, false);
    assert.ok(Number(cp.events.find((e) => e.op === "op_ok" && e.step === "fetched")!.data?.copied) >= 1, "the target came from the cache");
    // Preflight figures: what was fetched, against free space.
    const pre = cp.events.find((e) => e.op === "op_ok" && e.step === "preflight")!;
    assert.ok(Number(pre.data?.bytesToFetch) > 0 && Number(pre.data?.freeNix) > Number(pre.data?.needNix), JSON.stringify(pre.data));
    // The confirmation came over a connection of its own, not one a heartbeat or long-poll used before.
    const confirm = cp.confirms.find((c) => c.op === "op_ok")!;
    assert.equal(confirm.body.healthy, true);
    assert.deepEqual(confirm.body.checks.map((c) => [c.name, c.ok]), [["failed-units", true], ["bin/health-check", true]]);
    assert.ok(cp.confirms.filter((c) => c.socket === confirm.socket).length === 1);
    assert.deepEqual(await activations(h1), [`test ${sys.b}`, `boot ${sys.b}`]);
    // The facts now carry the kernel and initrd identities of current and booted systems.
    const kernelB = await readlink(join(h1.root, sys.b, "kernel"));
    await waitFor("facts with boot identities", () => (cp.node("h1").facts?.boot as { current?: { kernel?: string } } | undefined)?.current?.kernel === kernelB, 10_000);
    const boot = cp.node("h1").facts!.boot as { current: { kernel: string; initrd: string }; booted: { kernel: string; initrd: string } };
    assert.equal(boot.booted.initrd, await readlink(join(h1.root, sys.a, "initrd")));
    const t0 = Date.parse(cp.events.find((e) => e.op === "op_ok")!.at);
    const offsets = cp.events.filter((e) => e.op === "op_ok").map((e) => `${e.step} +${Date.parse(e.at) - t0} ms`);
    console.log(`apply on a test host: ${took} ms from offer to the committed event (${offsets.join(", ")})`);
    cp.setOperation("h1", null);
  });

  test("an unhealthy generation is rolled back; boot default and profile unchanged", async () => {
    const h2 = fleet.hosts[1]!;
    cp.setOperation("h2", op("op_bad", sys.bad));
    await untilStep(cp, agent(h2), "op_bad", "rolled-back");
    assert.deepEqual(cp.stepsOf("op_bad"), ["received", "preflight", "fetched", "activated", "health", "rolled-back"]);
    const health = cp.events.find((e) => e.op === "op_bad" && e.step === "health")!;
    assert.equal(health.ok, false);
    const checks = health.data?.checks as { name: string; ok: boolean; detail: string }[];
    assert.deepEqual(checks.map((c) => [c.name, c.ok]), [["failed-units", false], ["bin/health-check", false]]);
    assert.match(checks[0]!.detail, /fixture-broken\.service/);
    assert.ok(Number(health.data?.attempts) >= 2, "retried within healthTimeoutSeconds");
    assert.deepEqual(await hostState(h2), { current: sys.a, booted: sys.a, bootDefault: sys.a, profile: sys.a, generations: [1] });
    assert.deepEqual(await activations(h2), [`test ${sys.bad}`, `test ${sys.a}`]);
    assert.equal(cp.confirms.filter((c) => c.op === "op_bad").length, 0, "an unhealthy node does not ask to be confirmed");
    cp.setOperation("h2", null);
  });

  test("no decision from the control plane: rolled back within confirmTimeoutSeconds", async () => {
    const h1 = fleet.hosts[0]!;
    cp.decide = (id, healthy) => (id === "op_undecided" ? "pending" : healthy ? "confirmed" : "refused");
    cp.setOperation("h1", op("op_undecided", sys.c, { confirmTimeoutSeconds: 8, previous: sys.b }));
    await untilStep(cp, agent(h1), "op_undecided", "rolled-back", 60_000);
    assert.deepEqual(cp.stepsOf("op_undecided"), ["received", "preflight", "fetched", "activated", "health", "confirm-requested", "confirm-timeout", "rolled-back"]);
    const lines = (await journalSteps(h1, "op_undecided")).lines;
    const activatedAt = Date.parse(lines.find((l) => l.step === "activating")!.at);
    const timedOutAt = Date.parse(lines.find((l) => l.step === "confirm-timeout")!.at);
    assert.ok(timedOutAt - activatedAt >= 8000 && timedOutAt - activatedAt < 8000 + 4000, `timed out ${timedOutAt - activatedAt} ms after activation`);
    const asked = cp.confirms.filter((c) => c.op === "op_undecided");
    assert.ok(asked.length >= 2, `asked ${asked.length} times`);
    assert.equal(new Set(asked.map((c) => c.socket)).size, asked.length, "every attempt on a new connection");
    assert.deepEqual(await hostState(h1), { current: sys.b, booted: sys.a, bootDefault: sys.b, profile: sys.b, generations: [1, 2] });
    cp.setOperation("h1", null);
  });

  test("the network cut after activation: rolled back by itself within confirmTimeoutSeconds, reported once reachable", async () => {
    const h2 = fleet.hosts[1]!;
    cp.decide = (id, healthy) => (id === "op_cut" ? "pending" : healthy ? "confirmed" : "refused");
    cp.setOperation("h2", op("op_cut", sys.b, { confirmTimeoutSeconds: 8 }));
    await untilStep(cp, agent(h2), "op_cut", "activated");
    await h2.cutNetwork();
    const cutAt = Date.now();
    await waitFor("h2 journals the rollback", async () => (await journalSteps(h2, "op_cut")).steps.includes("rolled-back"), 30_000);
    assert.ok(Date.now() - cutAt < 8000 + 6000, `rolled back ${Date.now() - cutAt} ms after the cut`);
    assert.deepEqual(await hostState(h2), { current: sys.a, booted: sys.a, bootDefault: sys.a, profile: sys.a, generations: [1] });
    const steps = (await journalSteps(h2, "op_cut")).steps;
    assert.deepEqual(steps.slice(steps.indexOf("confirm-requested")), ["confirm-requested", "confirm-timeout", "rolling-back", "rolled-back"]);
    await h2.restoreNetwork();
    await untilStep(cp, agent(h2), "op_cut", "rolled-back", 30_000);
    cp.setOperation("h2", null);
  });

  test("a closure signed by a key the operation does not trust is refused in preflight: nothing fetched or activated", async () => {
    const h2 = fleet.hosts[1]!;
    const before = await activations(h2);
    cp.setOperation("h2", operation("op_rogue", sys.rogue, { cacheUrl: rogue.url, publicKeys: [cache.publicKey], previous: sys.a }));
    await untilStep(cp, agent(h2), "op_rogue", "failed");
    assert.deepEqual(cp.stepsOf("op_rogue"), ["received", "preflight", "failed"]);
    const failed = cp.events.find((e) => e.op === "op_rogue" && e.step === "failed")!;
    assert.match(failed.detail ?? "", /lack a valid signature by a trusted key \(trusted: fleet-1\)/);
    assert.ok((failed.detail ?? "").includes(sys.rogue));
    const r = await h2.exec("nix-store", ["--check-validity", sys.rogue]);
    assert.notEqual(r.exitCode, 0, "the rogue system was not fetched");
    assert.deepEqual(await activations(h2), before);
    assert.deepEqual(await hostState(h2), { current: sys.a, booted: sys.a, bootDefault: sys.a, profile: sys.a, generations: [1] });
    cp.setOperation("h2", null);
  });
});
