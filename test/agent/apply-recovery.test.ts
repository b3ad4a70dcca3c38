/**
 * Applying operations when things break, with a real agent in test hosts,
 * real Nix and fixture NixOS systems, against the stand-in control plane
 * (_apply-server.ts; the real server's endpoints are built in parallel, the
 * end-to-end suite with it comes later):
 *
 * - /nix too small (a 96 MiB tmpfs): refused in preflight, naming the bytes needed and free;
 * - the agent killed with SIGKILL mid-activation (the fixture sleeps before
 *   activating): restarted, it asks the server, finds no confirmation and
 *   ends on the old generation everywhere, and says so;
 * - a reboot after activation, before commit: the old system boots; the
 *   restarted agent rolls the operation back and reports it;
 * - an operation already finished is not applied again; an older epoch is refused.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { HOSTS_SKIP, buildSystem, createTestFleet, makeBinaryCache, reboot, type BinaryCache, type TestFleet, type TestHost } from "../harness/hosts/index.js";
import { ApplyControlPlane } from "./_apply-server.js";
import { activations, bootInto, hostState, HostAgent, journalSteps, operation, untilStep } from "./_apply-hosts.js";
import { logLines, waitFor } from "./_harness.js";

describe("applying operations through crashes, reboots and small disks", { skip: HOSTS_SKIP }, () => {
  let fleet: TestFleet;
  let cp: ApplyControlPlane;
  let dir: string;
  let cache: BinaryCache;
  const sys = { a: "", b: "", slow: "" };
  const agents = new Map<string, HostAgent>();
  const agent = (h: TestHost) => agents.get(h.name)!;
  const op = (id: string, target: string, o: { confirmTimeoutSeconds?: number } = {}) =>
    operation(id, target, { cacheUrl: cache.url, publicKeys: [cache.publicKey], previous: sys.a, ...o });
  const restart = async (h: TestHost) => {
    const a = new HostAgent(h, dir, fleet.serverUrl(cp.port));
    agents.set(h.name, a);
    await a.start();
    return a;
  };

  before(async () => {
    if (HOSTS_SKIP) return;
    dir = await mkdtemp(join(tmpdir(), "hp-apply-rec-"));
    fleet = await createTestFleet({ hosts: 2, prefix: "aplr", disks: (h) => (h.index === 2 ? { nixMiB: 96 } : undefined) });
    sys.a = await buildSystem(fleet.buildStore, { name: "node", generationTag: "a" });
    sys.b = await buildSystem(fleet.buildStore, { name: "node", generationTag: "b" });
    sys.slow = await buildSystem(fleet.buildStore, { name: "node", generationTag: "slow", activationSeconds: 4 });
    cache = await makeBinaryCache(fleet.buildStore, [sys.b, sys.slow], { dir: join(fleet.dir, "fleet-cache"), keyName: "fleet-1" });
    cp = new ApplyControlPlane();
    await cp.start(fleet.serverAddress.ipv6);
    for (const h of fleet.hosts) {
      await bootInto(fleet, h, sys.a);
      await restart(h);
      await waitFor(`${h.name} enrolled`, () => cp.hasNode(h.name) && cp.node(h.name).facts !== null, 30_000);
    }
  });

  after(async () => {
    for (const a of agents.values()) await a.stop();
    await fleet?.teardown();
    await cp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("/nix too small: refused in preflight with the bytes needed and free; nothing fetched", async () => {
    const h2 = fleet.hosts[1]!;
    cp.setOperation("h2", op("op_small", sys.b));
    await untilStep(cp, agent(h2), "op_small", "failed");
    assert.deepEqual(cp.stepsOf("op_small"), ["received", "preflight", "failed"]);
    const pre = cp.events.find((e) => e.op === "op_small" && e.step === "preflight")!;
    assert.equal(pre.ok, false);
    const free = Number(pre.data?.freeNix);
    const need = Number(pre.data?.needNix);
    assert.ok(free > 0 && free < 96 * 1024 * 1024 && need > 512 * 1024 * 1024, JSON.stringify(pre.data));
    const failed = cp.events.find((e) => e.op === "op_small" && e.step === "failed")!;
    assert.ok((failed.detail ?? "").includes(`/nix has ${free} bytes`) && (failed.detail ?? "").includes(`needs ${need} bytes`), failed.detail);
    assert.match(failed.detail ?? "", /garbage collection could free only \d+ bytes/);
    assert.notEqual((await h2.exec("nix-store", ["--check-validity", sys.b])).exitCode, 0, "nothing was fetched");
    assert.deepEqual(await hostState(h2), { current: sys.a, booted: sys.a, bootDefault: sys.a, profile: sys.a, generations: [1] });
    cp.setOperation("h2", null);
  });

  test("SIGKILL mid-activation: restarted, the agent asks the server and ends on the old generation, and reports it", async () => {
    const h1 = fleet.hosts[0]!;
    cp.decide = () => "pending";
    cp.setOperation("h1", op("op_kill", sys.slow, { confirmTimeoutSeconds: 30 }));
    await waitFor("h1 journals the activation under way", async () => (await journalSteps(h1, "op_kill")).steps.at(-1) === "activating", 60_000);
    agent(h1).proc!.kill("SIGKILL");
    await agent(h1).proc!.exited;
    // The orphaned switch-to-configuration goes on and activates the new system, as on a real host.
    await waitFor("the interrupted activation finishes", async () => (await hostState(h1)).current === sys.slow, 15_000);
    const restarted = await restart(h1);
    await untilStep(cp, restarted, "op_kill", "rolled-back", 60_000);
    assert.ok(cp.statusCalls.some((c) => c.op === "op_kill"), "the restarted agent asked the server for the operation");
    const steps = cp.stepsOf("op_kill");
    assert.deepEqual(steps.slice(steps.indexOf("confirm-timeout")), ["confirm-timeout", "rolled-back"]);
    assert.ok(!steps.includes("activated"), "the activation the killed agent started was never reported as done");
    assert.deepEqual(await hostState(h1), { current: sys.a, booted: sys.a, bootDefault: sys.a, profile: sys.a, generations: [1] });
    assert.deepEqual(await activations(h1), [`test ${sys.slow}`, `test ${sys.a}`]);
    const j = await journalSteps(h1, "op_kill");
    assert.deepEqual(j.steps.slice(j.steps.indexOf("activating")), ["activating", "confirm-timeout", "rolling-back", "rolled-back"]);
    // Offered again, the finished operation is only reported, never applied again.
    restarted.proc!.kill("SIGTERM");
    await restarted.proc!.exited;
    const again = await restart(h1);
    await waitFor("the outcome reported again", () => logLines(again.output()).some((l) => l.msg === "operation outcome reported again"), 20_000);
    assert.deepEqual(await activations(h1), [`test ${sys.slow}`, `test ${sys.a}`]);
    cp.setOperation("h1", null);
    cp.decide = (_id, healthy) => (healthy ? "confirmed" : "refused");
  });

  test("a reboot after activation, before commit, boots the old system; the restarted agent rolls back and reports", async () => {
    const h1 = fleet.hosts[0]!;
    cp.decide = () => "pending";
    cp.setOperation("h1", op("op_reboot", sys.b, { confirmTimeoutSeconds: 60 }));
    await untilStep(cp, agent(h1), "op_reboot", "confirm-requested");
    assert.equal((await hostState(h1)).current, sys.b);
    const { booted } = await reboot(h1);
    assert.equal(booted, sys.a);
    assert.deepEqual(await hostState(h1), { current: sys.a, booted: sys.a, bootDefault: sys.a, profile: sys.a, generations: [1] });
    const restarted = await restart(h1);
    await untilStep(cp, restarted, "op_reboot", "rolled-back", 60_000);
    assert.deepEqual(await hostState(h1), { current: sys.a, booted: sys.a, bootDefault: sys.a, profile: sys.a, generations: [1] });
    // An operation with an epoch not above the last accepted is refused, not applied.
    const stale = op("op_old", sys.b);
    cp.setOperation("h1", { ...stale, epoch: 1 });
    await waitFor("the old epoch refused", () => logLines(restarted.output()).some((l) => l.msg === "refusing an operation whose epoch is not above the last accepted one" && l["operation"] === "op_old"), 20_000);
    assert.deepEqual(cp.stepsOf("op_old"), []);
    cp.setOperation("h1", null);
    cp.decide = (_id, healthy) => (healthy ? "confirmed" : "refused");
  });
});
