/**
 * Release manifests: the three accepted shapes, errors that name the file and
 * the JSON path, and closure expansion through a cache made by code (the
 * store-backed expansion runs against real Nix in audit-nix.test.ts).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { ManifestError, closurePaths, manifestPaths, memoizeNarinfos, openCache, parseManifest, readManifest } from "../../src/cache/index.js";
import type { PathInfo, ValidPathInfo } from "../../src/nix/path-info.js";
import { makeNarinfo } from "./_fixtures.js";
import { writeCache } from "./_synthetic-cache.js";

const P = (label: string): string => makeNarinfo(label).storePath;

function isManifestError(...patterns: RegExp[]): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof ManifestError, `expected ManifestError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

describe("parseManifest", () => {
  test("nodes, closures and a plain array; duplicates once, in order; extra keys allowed", () => {
    const nodes = { release: "r1", nodes: { "web-1": { system: P("a"), generation: 4 }, "web-2": { system: P("b") }, "db-1": { system: P("a") } } };
    assert.deepEqual(parseManifest(JSON.stringify(nodes), "m.json"), [P("a"), P("b")]);
    assert.deepEqual(parseManifest(JSON.stringify({ closures: [P("c"), P("d")] }), "m.json"), [P("c"), P("d")]);
    assert.deepEqual(parseManifest(JSON.stringify([P("e"), P("e")]), "m.json"), [P("e")]);
    assert.deepEqual(parseManifest("[]", "m.json"), []);
  });

  test("every bad entry is reported with the file and its JSON path", () => {
    const text = JSON.stringify({ nodes: { "web-3": { system: "/nix/store/not-a-hash" }, ok: { system: P("a") }, db: { sytem: P("b") } } });
    assert.throws(() => parseManifest(text, "release.json"), isManifestError(
      /^invalid release manifest release\.json:/,
      /\$\.nodes\["web-3"\]\.system: expected a store path \/nix\/store\/<hash>-<name>: 'not-a-hash' is not <32-char hash>-<name>/,
      /\$\.nodes\.db\.system: /,
    ));
    assert.throws(() => parseManifest(JSON.stringify({ closures: [P("a"), "/tmp/x", 3] }), "r.json"), isManifestError(/\$\.closures\[1\]: .*not in the store/, /\$\.closures\[2\]: /));
    assert.throws(() => parseManifest(JSON.stringify({ node: {} }), "r.json"), isManifestError(/r\.json:\n {2}\$: expected \{"nodes"/));
    assert.throws(() => parseManifest('{\n  "closures": [\n    "x",\n  ]\n}', "r.json"), isManifestError(/r\.json:\n {2}line 4, column \d+: not valid JSON/));
  });

  test("every JSON syntax error gets a line and column (property: damaged JSON documents)", () => {
    fc.assert(fc.property(fc.json(), fc.nat(), fc.constantFrom("", ",", "]", "}", '"', ":", "\\", "\n", "x"), (json, at, insert) => {
      const pos = json.length === 0 ? 0 : at % json.length;
      const text = json.slice(0, pos) + insert + json.slice(pos + (insert === "" ? 1 : 0));
      let valid = true;
      try { JSON.parse(text); } catch { valid = false; }
      if (valid) return;
      assert.throws(() => parseManifest(text, "f.json"), isManifestError(/f\.json:\n {2}line \d+, column \d+: not valid JSON \(/));
    }), { numRuns: 500 });
  });

  test("readManifest names a file it cannot read", async () => {
    await assert.rejects(readManifest("/nonexistent/release.json"), isManifestError(/release manifest \/nonexistent\/release\.json:\n {2}cannot read it: ENOENT/));
  });
});

describe("closurePaths through a cache", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hostplane-manifest-"));
    // top → {app, lib}; app → {lib, gone}; lib → {libc}; libc self-references; gone is missing and refers on to hidden;
    // bad is malformed and would refer to hidden2.
    writeCache(join(dir, "cache"), [
      makeNarinfo("top", ["app", "lib", "bad"]),
      makeNarinfo("app", ["lib", "gone"]),
      makeNarinfo("lib", ["libc"]),
      makeNarinfo("libc", ["libc"]),
      { storePath: P("bad"), text: "StorePath: nonsense\n" },
      makeNarinfo("other-root"),
    ]);
    writeFileSync(join(dir, "release.json"), JSON.stringify({ nodes: { "web-1": { system: P("top") }, "web-2": { system: P("other-root") } } }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("walks references breadth-first, once each; missing and malformed paths stay, their references are unknown", async () => {
    const cache = await openCache(`file://${join(dir, "cache")}`);
    let reads = 0;
    const counted = { ...cache, readNarinfo: (h: string) => (reads++, cache.readNarinfo(h)) };
    const r = await closurePaths([P("top")], { cache: counted, concurrency: 2 });
    assert.deepEqual(r.paths, ["top", "app", "lib", "libc", "gone", "bad"].map(P).sort());
    assert.deepEqual([r.fromStore, r.fromCache], [[], [P("top")]]);
    assert.equal(reads, 6);
  });

  test("manifestPaths: roots from the manifest, closure through a memoized cache (each narinfo fetched once overall)", async () => {
    const cache = memoizeNarinfos(await openCache(`file://${join(dir, "cache")}`));
    const r = await manifestPaths(join(dir, "release.json"), { cache });
    assert.deepEqual(r.roots, [P("top"), P("other-root")]);
    assert.equal(r.paths.length, 7);
  });

  test("a store that holds a root expands it; the other roots are walked through the cache", async () => {
    const cache = await openCache(`file://${join(dir, "cache")}`);
    const calls: string[] = [];
    const info = (path: string): ValidPathInfo => ({ valid: true, path, narHash: "", narHashSri: "", narSize: 1, references: [], signatures: [] });
    const nix = {
      pathInfo: (paths: readonly string[], options: { recursive?: boolean } = {}): Promise<PathInfo[]> => {
        calls.push(`${options.recursive ? "recursive " : ""}${paths.join(" ")}`);
        if (options.recursive) return Promise.resolve([info(P("other-root")), info(P("store-dep"))]);
        return Promise.resolve(paths.map((path) => (path === P("other-root") ? info(path) : { valid: false as const, path })));
      },
    };
    const r = await closurePaths([P("top"), P("other-root")], { cache, nix });
    assert.deepEqual(calls, [`${P("top")} ${P("other-root")}`, `recursive ${P("other-root")}`]);
    assert.deepEqual([r.fromStore, r.fromCache], [[P("other-root")], [P("top")]]);
    assert.deepEqual(r.paths, ["top", "app", "lib", "libc", "gone", "bad", "other-root", "store-dep"].map(P).sort());
  });
});
