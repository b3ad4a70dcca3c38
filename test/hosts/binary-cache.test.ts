/**
 * A signed file:// binary cache made by the harness: a host that trusts the
 * signing key fetches a whole system closure from it; a host that trusts
 * another key is refused by Nix's own signature check.
 */
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { HOSTS_SKIP, buildSystem, createTestFleet, makeBinaryCache, storeNix, type BinaryCache, type TestFleet, type TestHost } from "../harness/hosts/index.js";

describe("signed binary cache for test hosts", { skip: HOSTS_SKIP }, () => {
  let fleet: TestFleet;
  let system: string;
  let cache: BinaryCache;
  let otherKey: string;

  before(async () => {
    fleet = await createTestFleet({ hosts: 3, prefix: "bc" });
    system = await buildSystem(fleet.buildStore, { name: "db", generationTag: "c1" });
    cache = await makeBinaryCache(fleet.buildStore, [system], { keyName: "fleet-1", dir: join(fleet.dir, "cache-1") });
    otherKey = (await storeNix(fleet.buildStore).generateKey("fleet-2", join(fleet.dir, "k2.sec"), join(fleet.dir, "k2.pub"))).publicKey;
  });
  after(async () => { await fleet.teardown(); });

  const fetch = (host: TestHost, trusted: string) => host.exec("nix", ["copy", "--from", cache.url, "--option", "trusted-public-keys", trusted, system], { timeoutMs: 120_000 });

  test("the cache holds the whole closure, each narinfo signed by the key", async () => {
    assert.match(cache.url, /^file:\/\/\//);
    assert.match(cache.publicKey, /^fleet-1:[A-Za-z0-9+/]{43}=$/);
    const narinfos = (await readdir(cache.dir)).filter((f) => f.endsWith(".narinfo"));
    assert.equal(narinfos.length, 3, narinfos.join(" "));
    for (const f of narinfos) assert.match(await readFile(join(cache.dir, f), "utf8"), /^Sig: fleet-1:/m);
  });

  test("a host trusting the key copies the closure into its own store", async () => {
    const h1 = fleet.hosts[0]!;
    const r = await fetch(h1, cache.publicKey);
    assert.equal(r.exitCode, 0, r.stderr);
    const closure = await h1.exec("nix-store", ["-qR", system]);
    assert.equal(closure.exitCode, 0, closure.stderr);
    assert.equal(closure.stdout.toString().trim().split("\n").length, 3);
    const verify = await h1.exec("nix", ["store", "verify", "--recursive", "--sigs-needed", "1", "--trusted-public-keys", cache.publicKey, system]);
    assert.equal(verify.exitCode, 0, verify.stderr);
  });

  test("a host trusting another key (or none) is refused: 'lacks a valid signature', nothing lands in its store", async () => {
    for (const [host, trusted] of [[fleet.hosts[1]!, otherKey], [fleet.hosts[2]!, ""]] as const) {
      const r = await fetch(host, trusted);
      assert.notEqual(r.exitCode, 0, `${host.name} trusting ${JSON.stringify(trusted)} must be refused`);
      assert.match(r.stderr, /lacks a valid signature/);
      assert.notEqual((await host.exec("nix-store", ["--verify-path", system])).exitCode, 0);
    }
  });
});
