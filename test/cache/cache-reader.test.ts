/**
 * openCache over file:// and over HTTP (a real loopback server): nix-cache-info
 * is checked on open, narinfos are read by hash part, failures are typed.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CacheError, memoizeNarinfos, openCache, parseCacheInfo, writeNarinfo } from "../../src/cache/index.js";
import { HttpError } from "../../src/http/index.js";
import { hashPart, makeNarinfo } from "./_fixtures.js";
import { serveDirectory, type TestServer } from "./_static-server.js";
import { writeCache } from "./_synthetic-cache.js";

function isCacheError(code: string, ...patterns: RegExp[]): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof CacheError, `expected CacheError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

describe("openCache", () => {
  let dir: string;
  let server: TestServer;
  const leaf = makeNarinfo("leaf");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hostplane-cache-reader-"));
    writeCache(join(dir, "good"), [leaf]);
    writeCache(join(dir, "html"), []);
    writeFileSync(join(dir, "html", "nix-cache-info"), "<!doctype html>\n<html><body>Welcome to nginx!</body></html>\n");
    writeCache(join(dir, "other-store"), []);
    writeFileSync(join(dir, "other-store", "nix-cache-info"), "StoreDir: /gnu/store\n");
    server = await serveDirectory(dir);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const via of ["file", "http"] as const) {
    const base = (name: string): string => (via === "file" ? `file://${join(dir, name)}` : `${server.url}/${name}`);

    test(`${via}: reads nix-cache-info and narinfos by hash part; absent narinfo is null`, async () => {
      const cache = await openCache(base("good"));
      assert.equal(cache.url, base("good"));
      assert.deepEqual(cache.info, { storeDir: "/nix/store", wantMassQuery: true, priority: 40 });
      assert.equal(await cache.readNarinfo(hashPart("leaf")), writeNarinfo(leaf));
      assert.equal(await cache.readNarinfo(hashPart("absent")), null);
      assert.equal(cache.narinfoUrl(hashPart("leaf")), `${base("good")}/${hashPart("leaf")}.narinfo`);
      await assert.rejects(cache.readNarinfo("../nix-cache-info"), TypeError);
    });

    test(`${via}: no nix-cache-info is not a cache`, async () => {
      await assert.rejects(openCache(base("nonexistent")), isCacheError("no-cache-info", /is not a binary cache/, /nix-cache-info does not exist/));
    });

    test(`${via}: an HTML page or a foreign store is a clear error`, async () => {
      await assert.rejects(openCache(base("html")), isCacheError("bad-cache-info", /nix-cache-info:1: expected 'Key: value', got "<!doctype html>"/, /is this URL a Nix binary cache/));
      await assert.rejects(openCache(base("other-store")), isCacheError("bad-cache-info", /serves store \/gnu\/store, not \/nix\/store/));
    });
  }

  test("file://: trailing slash and store parameters are ignored; a missing directory is not created", async () => {
    const cache = await openCache(`file://${join(dir, "good")}/?priority=10`);
    assert.equal(cache.url, `file://${join(dir, "good")}`);
    await assert.rejects(openCache(`file://${join(dir, "nope")}`), isCacheError("no-cache-info"));
    assert.equal(existsSync(join(dir, "nope")), false);
  });

  test("an unreachable HTTP cache is HttpError cannot-connect naming the URL", async () => {
    const closed = await serveDirectory(dir);
    await closed.close();
    await assert.rejects(openCache(`${closed.url}/good`, { timeoutMs: 5000 }), (e: unknown) => {
      assert.ok(e instanceof HttpError, String(e));
      assert.equal(e.code, "cannot-connect");
      assert.equal(e.url, `${closed.url}/good/nix-cache-info`);
      assert.match(e.message, new RegExp(`${closed.url}/good/nix-cache-info`));
      return true;
    });
  });

  test("other URL schemes are refused; credentials never show", async () => {
    await assert.rejects(openCache("s3://bucket"), isCacheError("unsupported-url", /file:\/\/\/dir, http:\/\/ or https:\/\//));
    await assert.rejects(openCache("ssh://admin:hunter2@host"), (e: unknown) => {
      isCacheError("unsupported-url")(e);
      assert.ok(!(e as Error).message.includes("hunter2"));
      return true;
    });
  });

  test("memoizeNarinfos reads each narinfo once, concurrent reads included", async () => {
    const cache = memoizeNarinfos(await openCache(`${server.url}/good`));
    const before = server.requests;
    const texts = await Promise.all([1, 2, 3].map(() => cache.readNarinfo(hashPart("leaf"))));
    assert.equal(await cache.readNarinfo(hashPart("leaf")), texts[0]);
    assert.equal(await cache.readNarinfo(hashPart("absent")), null);
    assert.equal(await cache.readNarinfo(hashPart("absent")), null);
    assert.equal(server.requests - before, 2);
  });

  test("parseCacheInfo: StoreDir required and absolute; unknown keys kept out", () => {
    assert.deepEqual(parseCacheInfo("StoreDir: /nix/store\nFoo: bar\n", "u"), { storeDir: "/nix/store" });
    assert.throws(() => parseCacheInfo("WantMassQuery: 1\n", "u"), isCacheError("bad-cache-info", /u:1: no StoreDir line/));
    assert.throws(() => parseCacheInfo("StoreDir: nix/store\n", "u"), isCacheError("bad-cache-info", /not an absolute path/));
    assert.throws(() => parseCacheInfo("StoreDir: /nix/store\nPriority: high\n", "u"), isCacheError("bad-cache-info", /u:2: Priority "high"/));
  });
});
