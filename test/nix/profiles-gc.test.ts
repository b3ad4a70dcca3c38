/** Profile generations and garbage collection against real Nix, in a chroot store. */
import assert from "node:assert/strict";
import { readlink } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { NixError, type Nix } from "../../src/nix/index.js";
import { NIX_SKIP, fixtureNix, makeLab, type Lab } from "./harness.js";

function isCode(code: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof NixError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  };
}

describe("Nix adapter: profiles and GC", { skip: NIX_SKIP }, () => {
  let lab: Lab;
  let nix: Nix;
  let profile: string;
  const out: Record<string, string> = {};

  before(async () => {
    lab = await makeLab("profiles");
    nix = lab.nix(lab.storePath("store"));
    profile = join(lab.dir, "system");
    const file = await lab.file("gens.nix", fixtureNix([
      { name: "gen-a", script: "echo a > $out" },
      { name: "gen-b", script: "echo b > $out" },
      { name: "gen-c", script: "mkdir $out; echo @gen-a@ > $out/dep" },
      { name: "loose", script: "echo nobody roots me > $out" },
      { name: "big", script: "head -c 300000 /dev/zero > $out" },
    ]));
    for (const p of await nix.build(file)) out[p.slice(44)] = p;
    assert.deepEqual(Object.keys(out).sort(), ["big", "gen-a", "gen-b", "gen-c", "loose"]);
  });
  after(async () => { await lab.cleanup(); });

  test("set, list, rollback, switch and delete generations", async () => {
    assert.deepEqual(await nix.setProfile(profile, out["gen-a"]!), { generation: 1 });
    assert.deepEqual(await nix.setProfile(profile, out["gen-b"]!), { generation: 2 });
    assert.deepEqual(await nix.setProfile(profile, out["gen-c"]!), { generation: 3 });
    const gens = await nix.listGenerations(profile);
    assert.deepEqual(gens.map((g) => [g.number, g.current, g.storePath]), [[1, false, out["gen-a"]], [2, false, out["gen-b"]], [3, true, out["gen-c"]]]);
    assert.ok(gens.every((g) => Math.abs(g.createdAt.getTime() - Date.now()) < 10 * 60_000), "createdAt is local time, now-ish");

    assert.deepEqual(await nix.rollback(profile), { from: 3, to: 2 });
    assert.equal(await readlink(profile), "system-2-link");
    assert.deepEqual(await nix.switchGeneration(profile, 3), { from: 2, to: 3 });
    await assert.rejects(nix.switchGeneration(profile, 9), isCode("generation-invalid"));

    assert.deepEqual(await nix.deleteGenerations(profile, [1]), { removed: [1] });
    await assert.rejects(nix.deleteGenerations(profile, [3]), isCode("generation-invalid"));
    assert.deepEqual(await nix.deleteGenerations(profile, "old"), { removed: [2] });
    assert.deepEqual((await nix.listGenerations(profile)).map((g) => g.number), [3]);
    await assert.rejects(nix.rollback(profile), (e: unknown) => isCode("generation-invalid")(e) && /no profile version older/.test((e as Error).message));
    await assert.rejects(nix.deleteGenerations(profile, "yesterday" as "old"), RangeError);
    assert.deepEqual(await nix.listGenerations(join(lab.dir, "no-such-profile")), []);
  });

  test("GC: roots, dead paths, a bounded collection, then a full one", async () => {
    // Only generation 3 (gen-c, which depends on gen-a) is left from the profile test.
    const roots = await nix.gcRoots();
    assert.deepEqual(roots.map((r) => r.path), [out["gen-c"]]);
    assert.equal(roots[0]?.link, `${profile}-3-link`);

    const dead = await nix.deadPaths();
    for (const p of [out["gen-b"], out.loose, out.big]) assert.ok(dead.includes(p!), `${p} dead`);
    for (const p of [out["gen-a"], out["gen-c"]]) assert.ok(!dead.includes(p!), `${p} live`);

    const first = await nix.collectGarbage({ maxFreedBytes: 1 });
    assert.ok(first.deleted.length >= 1 && first.deleted.length < dead.length, `bounded: ${first.deleted.length} of ${dead.length}`);
    assert.ok(first.deleted.every((p) => dead.includes(p)));

    const rest = await nix.collectGarbage();
    const all = [...first.deleted, ...rest.deleted].sort();
    assert.deepEqual(all, dead);
    assert.equal(rest.deletedCount, rest.deleted.length);
    // Nix reports MiB to two decimals: the 300 kB path alone is ~0.29 MiB.
    assert.ok(first.freedBytes + rest.freedBytes >= 290_000, `freed ${first.freedBytes} + ${rest.freedBytes}`);
    const validity = new Map((await nix.pathInfo([out.big!, out["gen-c"]!])).map((i) => [i.path, i.valid]));
    assert.deepEqual([validity.get(out.big!), validity.get(out["gen-c"]!)], [false, true]);
    assert.deepEqual(await nix.deadPaths(), []);
    await assert.rejects(nix.collectGarbage({ maxFreedBytes: 0 }), RangeError);
  });
});
