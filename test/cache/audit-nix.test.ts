/**
 * The closure audit against real Nix 2.8: a closure built in a chroot store,
 * keys made by Nix (A trusted, B untrusted, R revoked), subsets signed in a
 * file:// cache that is also served over loopback HTTP. Each problem kind is
 * planted once, and for every path hostplane's verdict must equal what
 * `nix copy --from <cache>` into a fresh store trusting only A decides.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  auditClosure, manifestPaths, memoizeNarinfos, openCache, type AuditProblemKind, type AuditReport, type BinaryCache,
} from "../../src/cache/index.js";
import { NixError, type GeneratedKey, type Nix } from "../../src/nix/index.js";
import { fixtureNix, makeLab, type Lab } from "../nix/harness.js";
import { serveDirectory, type TestServer } from "./_static-server.js";

const skip = !existsSync("/usr/bin/nix-store")
  ? "/usr/bin/nix-store is missing (apt-get install nix-bin)"
  : process.getuid?.() !== 0 ? "building in a chroot Nix store needs root" : undefined;
if (skip) console.log(`# skipping audit-nix: ${skip}`);

type Name = "ok" | "missing" | "unsigned" | "untrusted" | "revoked" | "invalid" | "both" | "top";

/** What the audit must say about each fixture (undefined: passes). */
const EXPECTED: Record<Name | "ca", AuditProblemKind | undefined> = {
  ok: undefined, // signed by A
  missing: "missing", // narinfo deleted
  unsigned: "unsigned",
  untrusted: "untrusted", // signed by B only
  revoked: "revoked-only", // signed by R only
  invalid: "invalid", // signed by A, NarSize edited
  both: undefined, // signed by A and R, references ok
  top: undefined, // signed by A, references all of the above
  ca: undefined, // `nix-store --add`: content-addressed, unsigned
};

const FIXTURES = fixtureNix([
  ...(["ok", "missing", "unsigned", "untrusted", "revoked", "invalid"] as const).map((name) => ({ name, script: `echo ${name}-audit > $out` })),
  { name: "both", script: "mkdir $out; echo @ok@ > $out/ref" },
  { name: "top", script: "mkdir $out; echo @ok@ @missing@ @unsigned@ @untrusted@ @revoked@ @invalid@ @both@ > $out/refs" },
]);

const NO_NARINFO_CACHE = { "narinfo-cache-negative-ttl": "0", "narinfo-cache-positive-ttl": "0" };

describe("closure audit vs real Nix", { skip }, () => {
  let lab: Lab;
  let src: Nix;
  let p: Record<Name | "ca", string>;
  let keys: Record<"a" | "b" | "r", GeneratedKey>;
  let cacheDir: string;
  let server: TestServer;
  let closure: string[];
  const reports = new Map<string, AuditReport>();

  const caches = (): Array<[string, string]> => [["file", `file://${cacheDir}`], ["http", server.url]];
  const audit = (cache: Pick<BinaryCache, "url" | "readNarinfo" | "narinfoUrl">, paths = closure): Promise<AuditReport> =>
    auditClosure({ paths, cache, trusted: [keys.a.publicKey], revoked: [{ name: "fleet-1", publicKey: keys.r.publicKey }], concurrency: 4 });

  before(async () => {
    lab = await makeLab("audit");
    src = lab.nix(lab.storePath("src"));
    const outs = await src.build(await lab.file("fixtures.nix", FIXTURES));
    const byName = (n: string): string => outs.find((o) => o.endsWith(`-${n}`)) ?? assert.fail(`no ${n} in ${outs.join(" ")}`);
    const ca = await lab.oracle("nix-store", ["--store", src.store!, "--add", await lab.file("hp-ca.txt", "content-addressed fixture\n")]);
    assert.equal(ca.exitCode, 0, ca.stderr);
    p = { ...Object.fromEntries(Object.keys(EXPECTED).filter((n) => n !== "ca").map((n) => [n, byName(n)])), ca: ca.stdout.toString().trim() } as Record<Name | "ca", string>;
    keys = {
      a: await src.generateKey("fleet-2", join(lab.dir, "a.sec"), join(lab.dir, "a.pub")),
      b: await src.generateKey("other-1", join(lab.dir, "b.sec"), join(lab.dir, "b.pub")),
      r: await src.generateKey("fleet-1", join(lab.dir, "r.sec"), join(lab.dir, "r.pub")),
    };

    cacheDir = join(lab.dir, "cache");
    const cacheUrl = `file://${cacheDir}`;
    await src.copy({ to: cacheUrl, paths: [p.top, p.ca] });
    await src.sign([p.ok, p.invalid, p.both, p.top], keys.a.secretPath, { store: cacheUrl });
    await src.sign([p.untrusted], keys.b.secretPath, { store: cacheUrl });
    await src.sign([p.revoked, p.both], keys.r.secretPath, { store: cacheUrl });
    const narinfo = (path: string): string => join(cacheDir, `${path.slice(11, 43)}.narinfo`);
    const text = await readFile(narinfo(p.invalid), "utf8");
    const edited = text.replace(/^NarSize: (\d+)$/m, (_m, n: string) => `NarSize: ${Number(n) + 1}`);
    assert.notEqual(edited, text);
    await writeFile(narinfo(p.invalid), edited);
    await rm(narinfo(p.missing));

    server = await serveDirectory(cacheDir);
    closure = [...(await src.closure(p.top)), p.ca].sort();
  });
  after(async () => {
    await server?.close();
    await lab?.cleanup();
  });

  test("the audit reports each planted problem, the same through file:// and HTTP", async () => {
    const want = Object.entries(EXPECTED).filter(([, k]) => k !== undefined).map(([n, k]) => [p[n as Name], k]).sort();
    for (const [via, url] of caches()) {
      const report = await audit(await openCache(url));
      reports.set(via, report);
      assert.equal(report.total, 9, via);
      assert.equal(report.ok, 4, via);
      assert.deepEqual(report.problems.map((x) => [x.path, x.kind]), want, via);
      const by = new Map(report.problems.map((x) => [x.path, x]));
      assert.deepEqual(by.get(p.untrusted)?.signers, ["other-1"]);
      assert.deepEqual(by.get(p.revoked)?.signers, ["fleet-1"]);
      assert.deepEqual(by.get(p.invalid)?.signers, ["fleet-2"]);
      assert.match(by.get(p.missing)?.detail ?? "", new RegExp(`${url}/${p.missing.slice(11, 43)}\\.narinfo not found`));
    }
  });

  test("for every path: audit passes ⇔ nix copy into a store trusting only A accepts it", async () => {
    const infos = await src.pathInfo(closure);
    for (const [via, url] of caches()) {
      const report = reports.get(via) ?? (await audit(await openCache(url)));
      const failed = new Set(report.problems.map((x) => x.path));
      for (const info of infos) {
        assert.ok(info.valid);
        // Seed the references so that Nix decides about this path alone.
        const dst = lab.storePath(`dst-${via}-${info.path.slice(44)}`);
        const refs = info.references.filter((r) => r !== info.path);
        if (refs.length > 0) await src.copy({ from: src.store!, to: dst, paths: refs, checkSigs: false });
        const r = await lab.oracle("nix", [
          "copy", "--no-recursive", "--from", url, "--to", dst, "--option", "trusted-public-keys", keys.a.publicKey,
          ...Object.entries(NO_NARINFO_CACHE).flatMap(([k, v]) => ["--option", k, v]), info.path,
        ]);
        const nixAccepts = r.exitCode === 0;
        assert.equal(!failed.has(info.path), nixAccepts, `${via} ${info.path}: audit ${failed.has(info.path) ? "fails" : "passes"} it, nix copy ${nixAccepts ? "accepts" : `refuses: ${r.stderr.trim().split("\n").at(-1)}`}`);
        if (!nixAccepts) {
          const kind = report.problems.find((x) => x.path === info.path)?.kind;
          assert.match(r.stderr, kind === "missing" ? /no substituter that can build it|is not valid/ : /lacks a valid signature/, `${via} ${kind}`);
        }
      }
    }
  });

  test("revocation is hostplane's: a store still trusting R accepts the revoked-only path", async () => {
    const dst = lab.nix(lab.storePath("dst-trusts-r"));
    assert.deepEqual(await dst.copy({ from: server.url, paths: [p.revoked], trustedPublicKeys: [keys.a.publicKey, keys.r.publicKey], options: NO_NARINFO_CACHE }), { copied: [p.revoked] });
  });

  test("a clean sub-closure audits clean and Nix copies it whole; the full closure fails in both", async () => {
    const sub = await src.closure(p.both);
    const clean = await audit(await openCache(server.url), sub);
    assert.deepEqual([clean.total, clean.problems.length], [2, 0]);
    const ok = lab.nix(lab.storePath("dst-clean"));
    assert.deepEqual(await ok.copy({ from: server.url, paths: [p.both], trustedPublicKeys: [keys.a.publicKey], options: NO_NARINFO_CACHE }), { copied: sub });
    await assert.rejects(lab.nix(lab.storePath("dst-all")).copy({ from: server.url, paths: [p.top], trustedPublicKeys: [keys.a.publicKey], options: NO_NARINFO_CACHE }), NixError);
  });

  test("a manifest expands through the store when it holds the roots, else through the cache: same paths", async () => {
    const file = await lab.file("release.json", JSON.stringify({ nodes: { "web-1": { system: p.top }, "web-2": { system: p.both } } }));
    const cache = memoizeNarinfos(await openCache(server.url));
    const viaStore = await manifestPaths(file, { cache, nix: src });
    assert.deepEqual([viaStore.fromStore, viaStore.fromCache], [[p.both, p.top].sort(), []]);
    assert.deepEqual(viaStore.paths, closure.filter((x) => x !== p.ca));
    const before = server.requests;
    const viaCache = await manifestPaths(file, { cache, nix: lab.nix(lab.storePath("empty")) });
    assert.deepEqual([viaCache.fromStore, viaCache.fromCache], [[], [p.both, p.top].sort()]);
    assert.deepEqual(viaCache.paths, viaStore.paths);
    // The walk's narinfos are reused by the audit: no request is made twice.
    const walked = server.requests - before;
    const report = await audit(cache, viaCache.paths);
    assert.equal(server.requests - before, walked);
    assert.equal(walked, viaCache.paths.length);
    assert.equal(report.problems.length, 5);
  });

  test("an unreachable cache: hostplane says cannot-connect with the URL, and so does Nix", async () => {
    const closed = await serveDirectory(cacheDir);
    await closed.close();
    await assert.rejects(openCache(closed.url, { timeoutMs: 5000 }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, "cannot-connect");
      assert.match((e as Error).message, new RegExp(`${closed.url}/nix-cache-info`));
      return true;
    });
    await assert.rejects(
      lab.nix(lab.storePath("dst-down")).copy({ from: closed.url, paths: [p.ok], trustedPublicKeys: [keys.a.publicKey], options: { "download-attempts": "1" } }),
      (e: unknown) => e instanceof NixError && e.code === "cannot-connect",
    );
  });
});
