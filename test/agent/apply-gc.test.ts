/**
 * Garbage collection in the preflight, on a real store: a test host whose
 * /nix (a tmpfs) holds a dead 120 MiB system, so the upgrade's free-space
 * margin is short until garbage is collected. The agent measures the dead
 * paths, collects just the shortfall, fetches and commits; the running,
 * booted and profile systems stay valid.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { HOSTS_SKIP, buildSystem, copyToHosts, createTestFleet, makeBinaryCache, type BinaryCache, type TestFleet, type TestHost } from "../harness/hosts/index.js";
import { ApplyControlPlane } from "./_apply-server.js";
import { bootInto, hostState, HostAgent, operation, untilStep } from "./_apply-hosts.js";
import { waitFor } from "./_harness.js";

const MiB = 1024 * 1024;
/** With the dead system in it, free space on /nix is below what the upgrade needs (its bytes + 512 MiB margin); without, above. */
const NIX_MIB = 600;
const DEAD_MIB = 120;

describe("preflight garbage collection on a test host's real store", { skip: HOSTS_SKIP }, () => {
  let fleet: TestFleet;
  let cp: ApplyControlPlane;
  let dir: string;
  let cache: BinaryCache;
  let agent: HostAgent;
  let h: TestHost;
  const sys = { a: "", b: "", dead: "" };

  before(async () => {
    if (HOSTS_SKIP) return;
    dir = await mkdtemp(join(tmpdir(), "hp-apply-gc-"));
    fleet = await createTestFleet({ hosts: 1, prefix: "aplg", disks: { nixMiB: NIX_MIB } });
    h = fleet.hosts[0]!;
    sys.a = await buildSystem(fleet.buildStore, { name: "node", generationTag: "a" });
    sys.b = await buildSystem(fleet.buildStore, { name: "node", generationTag: "b" });
    sys.dead = await buildSystem(fleet.buildStore, { name: "node", generationTag: "dead", payloadBytes: DEAD_MIB * MiB });
    cache = await makeBinaryCache(fleet.buildStore, [sys.b], { dir: join(fleet.dir, "fleet-cache"), keyName: "fleet-1" });
    cp = new ApplyControlPlane();
    await cp.start(fleet.serverAddress.ipv6);
    await bootInto(fleet, h, sys.a);
    // An old system nothing refers to any more: no profile generation, not running, not booted.
    await copyToHosts(fleet.buildStore, [sys.dead], [h]);
    agent = new HostAgent(h, dir, fleet.serverUrl(cp.port));
    await agent.start();
    await waitFor(`${h.name} enrolled`, () => cp.hasNode(h.name) && cp.node(h.name).facts !== null, 30_000);
  });

  after(async () => {
    await agent?.stop();
    await fleet?.teardown();
    await cp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("short on /nix with a dead system: collects at least the shortfall, then fetches and commits; live systems untouched", async () => {
    assert.equal((await h.exec("nix-store", ["--check-validity", sys.dead])).exitCode, 0, "the dead system is in the store before");
    cp.setOperation(h.name, operation("op_gc", sys.b, { cacheUrl: cache.url, publicKeys: [cache.publicKey], previous: sys.a }));
    await untilStep(cp, agent, "op_gc", "committed", 120_000);
    const pre = cp.events.find((e) => e.op === "op_gc" && e.step === "preflight")!;
    assert.equal(pre.ok, true);
    const gc = pre.data?.gc as { deadBytes: number; freedBytes: number; deletedCount: number } | undefined;
    assert.ok(gc !== undefined, `the preflight collected garbage: ${JSON.stringify(pre.data)}`);
    assert.ok(gc.deadBytes >= DEAD_MIB * MiB, `dead bytes measured: ${gc.deadBytes}`);
    assert.ok(gc.freedBytes > 0 && gc.deletedCount > 0, JSON.stringify(gc));
    assert.ok(Number(pre.data?.freeNix) >= Number(pre.data?.needNix), `after collecting: free ${String(pre.data?.freeNix)} ≥ needed ${String(pre.data?.needNix)}`);
    console.log(`preflight gc on a ${NIX_MIB} MiB /nix: dead ${gc.deadBytes} B, freed ${gc.freedBytes} B in ${gc.deletedCount} paths; free ${String(pre.data?.freeNix)} B, needed ${String(pre.data?.needNix)} B`);
    // The systems that are live stay: a (booted, profile generation 1) and b (running, generation 2).
    for (const live of [sys.a, sys.b]) assert.equal((await h.exec("nix-store", ["--check-validity", live])).exitCode, 0, `${live} still valid`);
    assert.deepEqual(await hostState(h), { current: sys.b, booted: sys.a, bootDefault: sys.b, profile: sys.b, generations: [1, 2] });
  });
});
