/** Facts on a fake root: generations from planted profile links, missing /run links as null, free space, workload errors. */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { hostname, release, tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { collectFacts } from "../../src/agent/index.js";
import { ContractCache } from "../../src/agent/contract-cache.js";
import { contractSnapshot } from "../../src/agent/contract-report.js";
import { systemGenerations } from "../../src/agent/facts.js";
import { fileWorkloads, systemdWorkloads } from "../../src/agent/workloads.js";
import { resolveContractConfig } from "../../src/contract/index.js";
import { factsHash } from "../../src/fleet/facts-hash.js";
import { conformingFacts, withFacts } from "../harness/facts.js";

const root = await mkdtemp(join(tmpdir(), "hp-agent-facts-"));
after(() => rm(root, { recursive: true, force: true }));

const STORE = "/nix/store/";
const sys = (n: number) => `${STORE}${String(n).repeat(32).slice(0, 32)}-nixos-system-h-${n}`;
const profiles = join(root, "nix/var/nix/profiles");
await mkdir(profiles, { recursive: true });
await mkdir(join(root, "run"), { recursive: true });
await mkdir(join(root, "boot"), { recursive: true });
for (const n of [1, 2, 10]) await symlink(sys(n), join(profiles, `system-${n}-link`));
await symlink("system-2-link", join(profiles, "system"));
await symlink("/nix/store/x-profile", join(profiles, "per-user-link")); // not a system generation
await writeFile(join(profiles, "system-3-link"), "a file, not a link");
await symlink(sys(2), join(root, "run/current-system"));

const snapshot = contractSnapshot(conformingFacts(), resolveContractConfig());

test("generations come from system-N-link symlinks in number order; the one `system` points at is current", async () => {
  assert.deepEqual(await systemGenerations(root), [
    { number: 1, path: sys(1), current: false },
    { number: 2, path: sys(2), current: true },
    { number: 10, path: sys(10), current: false },
  ]);
  assert.deepEqual(await systemGenerations(join(root, "nowhere")), []);
});

test("collectFacts: links, missing /run/booted-system as null, free space, contract and trust, workload error as a fact", async () => {
  const { facts, contract } = await collectFacts({
    root, spacePaths: ["/var/lib/hostplane", "/boot"], workloads: systemdWorkloads({ root }), contract: () => Promise.resolve(snapshot), agentVersion: "9.9.9",
  });
  assert.equal(facts.hostname, hostname());
  assert.equal(facts.kernel, release());
  assert.equal(facts.currentSystem, sys(2));
  assert.equal(facts.bootedSystem, null);
  assert.equal(facts.generations.find((g) => g.current)?.number, 2);
  assert.deepEqual(Object.keys(facts.freeBytes), ["/boot", "/nix"], "paths that exist, each once; /var/lib/hostplane is missing in the fake root");
  for (const v of Object.values(facts.freeBytes)) assert.equal(v % (64 * 1024 * 1024), 0);
  assert.equal(facts.agentVersion, "9.9.9");
  assert.equal(facts.contract, snapshot.report);
  assert.equal(contract.summary.ok, snapshot.report.ok);
  assert.deepEqual(facts.workloads, []);
  assert.match(facts.workloadsError ?? "", /systemd is not running as PID 1/);
});

test("the facts hash is stable across heartbeats when nothing changed, and changes with the workloads", async () => {
  const inv = join(root, "inventory.json");
  await writeFile(inv, JSON.stringify([{ id: "vm-1", state: "running" }]));
  const src = { root, spacePaths: [], workloads: fileWorkloads(inv), contract: () => Promise.resolve(snapshot), agentVersion: "1" };
  const a = factsHash((await collectFacts(src)).facts);
  assert.equal(factsHash((await collectFacts(src)).facts), a);
  await writeFile(inv, JSON.stringify([{ id: "vm-1", state: "stopping" }]));
  const c = await collectFacts(src);
  assert.notEqual(factsHash(c.facts), a);
  assert.deepEqual(c.facts.workloads, [{ id: "vm-1", state: "stopping" }]);
  assert.equal(c.facts.workloadsError, undefined);
});

test("contract snapshot: failing ids, evaluatedAt from the gather, Nix trust settings or the probe's reason", () => {
  assert.equal(snapshot.summary.evaluatedAt, snapshot.report.gatheredAt);
  assert.deepEqual(snapshot.summary.failing, snapshot.report.results.filter((r) => r.status === "fail").map((r) => r.id));
  const noNix = contractSnapshot(withFacts((f) => { f.nix = { ok: false, reason: "nix not found" }; }), resolveContractConfig());
  assert.deepEqual(noNix.nixTrust, { error: "nix not found" });
});

test("the contract is gathered at most once per interval, and concurrent heartbeats share one gather", async () => {
  let t = 0;
  let gathers = 0;
  const cache = new ContractCache(() => { gathers++; return Promise.resolve(snapshot); }, 5 * 60_000, () => t);
  await Promise.all([cache.get(), cache.get()]);
  assert.equal(gathers, 1);
  t += 4 * 60_000;
  await cache.get();
  assert.equal(gathers, 1);
  t += 60_000;
  await cache.get();
  assert.equal(gathers, 2);
});
