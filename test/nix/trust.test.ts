/**
 * Build, path-info, closure, keys, signing, copies through a file:// cache
 * and store verification, all against real Nix in chroot stores.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cp, readFile, readdir, stat, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { NixError, formatHash, parseHash, type GeneratedKey, type Nix, type ValidPathInfo } from "../../src/nix/index.js";
import { NIX_SKIP, closureFixture, makeLab, type Lab } from "./harness.js";

function assertNixError(code: string, pattern?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof NixError, `expected NixError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

describe("Nix adapter: build, path-info, signing and copies", { skip: NIX_SKIP }, () => {
  let lab: Lab;
  let src: Nix;
  let leaf: string, mid: string, top: string;
  let k1: GeneratedKey, k2: GeneratedKey;
  let cache: string;

  before(async () => {
    lab = await makeLab("trust");
    src = lab.nix(lab.storePath("src"));
    const file = await lab.file("closure.nix", closureFixture("trust"));
    const outs = await src.build(file);
    const byName = (n: string): string => outs.find((o) => o.endsWith(`-${n}`)) ?? assert.fail(`no ${n} in ${outs.join(" ")}`);
    [leaf, mid, top] = [byName("leaf"), byName("mid"), byName("top")];
    k1 = await src.generateKey("fleet-1", join(lab.dir, "k1.sec"), join(lab.dir, "k1.pub"));
    k2 = await src.generateKey("fleet-2", join(lab.dir, "k2.sec"), join(lab.dir, "k2.pub"));
    cache = `file://${join(lab.dir, "cache")}`;
  });
  after(async () => { await lab.cleanup(); });

  test("build returns the output paths; an expression builds too", async () => {
    for (const p of [leaf, mid, top]) assert.match(p, /^\/nix\/store\/[0-9a-z]{32}-(leaf|mid|top)$/);
    const out = await src.build({ expr: 'derivation { name = "expr"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "echo hi > $out" ]; }' });
    assert.equal(out.length, 1);
    assert.match(out[0]!, /-expr$/);
  });

  test("a failing builder is build-failed, with exit code and stderr kept", async () => {
    await assert.rejects(src.build({ expr: 'derivation { name = "fails"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo oops >&2; exit 3" ]; }' }), (e: unknown) => {
      assertNixError("build-failed", /failed with exit code 3/)(e);
      const err = e as NixError;
      assert.equal(err.exitCode, 100);
      assert.match(err.stderr ?? "", /oops/);
      assert.equal(err.command, "/usr/bin/nix-build");
      return true;
    });
  });

  test("pathInfo: references as full sorted paths, both hash forms, deriver, invalid paths", async () => {
    const missing = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-missing";
    const infos = await src.pathInfo([top, missing]);
    assert.equal(infos.length, 2);
    const t = infos.find((i) => i.path === top) as ValidPathInfo;
    assert.deepEqual(t.references, [leaf, mid].sort());
    assert.match(t.narHash, /^sha256:[0-9a-z]{52}$/);
    assert.deepEqual(parseHash(t.narHashSri).bytes, parseHash(t.narHash).bytes);
    assert.match(t.deriver ?? "", /-top\.drv$/);
    assert.equal(t.ultimate, true);
    assert.ok(t.narSize > 0);
    assert.deepEqual(infos.find((i) => i.path === missing), { valid: false, path: missing });
    // The NAR hash is sha256 of the path's NAR: check against the oracle (`nix-store --dump` is not store-aware).
    const dump = await lab.oracle("nix", ["store", "dump-path", "--store", src.store!, top]);
    assert.equal(dump.exitCode, 0, dump.stderr);
    assert.equal(formatHash({ algo: "sha256", bytes: createHash("sha256").update(dump.stdout).digest() }, "nix32"), t.narHash);
    assert.equal(dump.stdout.length, t.narSize);
  });

  test("pathInfo recursive and closure agree", async () => {
    assert.deepEqual(await src.closure(top), [leaf, mid, top].sort());
    assert.deepEqual((await src.pathInfo([top], { recursive: true })).map((i) => i.path), [leaf, mid, top].sort());
    assert.deepEqual(await src.closure(leaf), [leaf]);
    await assert.rejects(src.closure("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-missing"), assertNixError("path-invalid", /is not valid/));
  });

  test("generateKey: secret mode 0600, public key returned, never overwrites", async () => {
    assert.match(k1.publicKey, /^fleet-1:[A-Za-z0-9+/]{43}=$/);
    assert.equal((await stat(k1.secretPath)).mode & 0o777, 0o600);
    const secretBefore = await readFile(k1.secretPath, "utf8");
    await assert.rejects(src.generateKey("fleet-1", k1.secretPath, join(lab.dir, "other.pub")), (e: unknown) => {
      assertNixError("key-exists")(e);
      assert.ok(!(e as Error).message.includes(secretBefore.slice(8)), "secret not in message");
      return true;
    });
    assert.equal(await readFile(k1.secretPath, "utf8"), secretBefore);
    assert.equal((await readdir(lab.dir)).filter((f) => f.includes(".tmp-")).length, 0);
    await assert.rejects(src.generateKey("bad:name", join(lab.dir, "x.sec"), join(lab.dir, "x.pub")), assertNixError("bad-key"));
  });

  test("sign, copy to a file:// cache, copy into a store that trusts the key", async () => {
    assert.deepEqual(await src.sign([top], k1.secretPath, { recursive: true }), { added: 3 });
    assert.deepEqual(await src.sign([top], k1.secretPath, { recursive: true }), { added: 0 });
    assert.deepEqual(await src.copy({ to: cache, paths: [top] }), { copied: [leaf, mid, top].sort() });
    const inCache = (await src.pathInfo([top], { store: cache })) as ValidPathInfo[];
    assert.equal(inCache[0]?.signatures.length, 1);
    assert.ok(inCache[0]?.signatures[0]?.startsWith("fleet-1:"));
    assert.match(inCache[0]?.url ?? "", /^nar\//);

    const dst = lab.nix(lab.storePath("dst-ok"));
    assert.deepEqual(await dst.copy({ from: cache, paths: [top], trustedPublicKeys: [k1.publicKey] }), { copied: [leaf, mid, top].sort() });
    const copied = (await dst.pathInfo([top])) as ValidPathInfo[];
    assert.equal(copied[0]?.narHash, inCache[0]?.narHash);
    assert.equal(copied[0]?.ultimate, undefined);
  });

  test("a store trusting only another key refuses: signature-untrusted", async () => {
    const dst = lab.nix(lab.storePath("dst-k2"));
    await assert.rejects(dst.copy({ from: cache, paths: [top], trustedPublicKeys: [k2.publicKey] }), (e: unknown) => {
      assertNixError("signature-untrusted", /lacks a valid signature/)(e);
      const err = e as NixError;
      assert.equal(err.exitCode, 1);
      assert.ok((err.durationMs ?? -1) >= 0);
      assert.match(err.message, /nix copy of 1 path\(s\) from file:\/\//);
      return true;
    });
    // Trusting no key at all refuses too; --no-check-sigs accepts.
    await assert.rejects(dst.copy({ from: cache, paths: [leaf], trustedPublicKeys: [] }), assertNixError("signature-untrusted"));
    assert.deepEqual(await dst.copy({ from: cache, paths: [leaf], checkSigs: false }), { copied: [leaf] });
  });

  test("a tampered narinfo: signature-untrusted with signatures, hash-mismatch without", async () => {
    const dir = join(lab.dir, "cache-tampered");
    await cp(join(lab.dir, "cache"), dir, { recursive: true });
    const narinfo = join(dir, `${leaf.slice(11, 43)}.narinfo`);
    const text = await readFile(narinfo, "utf8");
    const other = formatHash(parseHash("sha256-7GQEFiilArrZyxlr8jWmdyyJ5MBCiO2js4ZA/7uyg00="), "nix32");
    await writeFile(narinfo, text.replace(/^NarHash: .*$/m, `NarHash: ${other}`));
    const tampered = `file://${dir}`;
    await assert.rejects(lab.nix(lab.storePath("dst-t1")).copy({ from: tampered, paths: [leaf], trustedPublicKeys: [k1.publicKey] }), assertNixError("signature-untrusted"));
    await assert.rejects(lab.nix(lab.storePath("dst-t2")).copy({ from: tampered, paths: [leaf], checkSigs: false }), assertNixError("hash-mismatch", /hash mismatch importing path/));

    // verify on the cache: exit 3 = modified (1) + untrusted (2), attributed to leaf only.
    const v = await src.verify([leaf, mid], { store: tampered, trustedPublicKeys: [k1.publicKey] });
    assert.equal(v.exitCode, 3);
    assert.ok(v.corrupted && v.untrusted && !v.otherErrors);
    const l = v.paths.find((p) => p.path === leaf);
    assert.equal(l?.untrusted, true);
    assert.equal(l?.modified?.expected, other);
    assert.equal(v.paths.find((p) => p.path === mid)?.ok, true);
  });

  test("verify: trusted ok, untrusted exit 2, missing path exit 4, bad key throws bad-key", async () => {
    const ok = await src.verify([top], { store: cache, recursive: true, trustedPublicKeys: [k1.publicKey] });
    assert.deepEqual([ok.ok, ok.exitCode, ok.paths.map((p) => p.path)], [true, 0, [leaf, mid, top].sort()]);

    const un = await src.verify([top], { store: cache, recursive: true, trustedPublicKeys: [k2.publicKey], noContents: true });
    assert.deepEqual([un.exitCode, un.untrusted, un.corrupted], [2, true, false]);
    assert.ok(un.paths.every((p) => p.untrusted && !p.ok));

    const two = await src.verify([leaf], { store: cache, trustedPublicKeys: [k1.publicKey, k2.publicKey], sigsNeeded: 2 });
    assert.equal(two.exitCode, 2);

    const missing = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-missing";
    const gone = await src.verify([missing], { store: cache, trustedPublicKeys: [k1.publicKey] });
    assert.equal(gone.exitCode, 4);
    assert.deepEqual(gone.errors.map((e) => [e.code, e.path]), [["path-invalid", missing]]);

    await assert.rejects(src.verify([top], { store: cache, trustedPublicKeys: ["fleet-1:AAAA"] }), assertNixError("bad-key", /public key is not valid/));
  });

  test("verify of a local path edited on disk: exit 1, modified", async () => {
    const dstDir = lab.storePath("dst-edit");
    const dst = lab.nix(dstDir);
    await dst.copy({ from: cache, paths: [leaf], trustedPublicKeys: [k1.publicKey] });
    const onDisk = join(dstDir, leaf);
    await chmod(onDisk, 0o644);
    await writeFile(onDisk, "tampered\n");
    // Copied paths are not `ultimate`: trust their key, so only the edit shows.
    const all = await dst.verify("all", { trustedPublicKeys: [k1.publicKey] });
    assert.equal(all.exitCode, 1);
    assert.deepEqual(all.paths.filter((p) => !p.ok).map((p) => [p.path, p.untrusted, p.modified !== undefined]), [[leaf, false, true]]);
  });

  test("missing from the cache is no-substituter; GC on a cache is not-supported", async () => {
    const extra = await src.build({ expr: 'derivation { name = "notcached"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "echo x > $out" ]; }' });
    await assert.rejects(lab.nix(lab.storePath("dst-miss")).copy({ from: cache, paths: extra, trustedPublicKeys: [k1.publicKey] }), assertNixError("no-substituter"));
    await assert.rejects(src.gcRoots({ store: cache }), assertNixError("not-supported"));
  });

  test("a corrupt secret key is bad-key and its contents stay out of the error", async () => {
    const secret = "fleet-9:" + Buffer.alloc(40, 7).toString("base64");
    const bad = await lab.file("bad.sec", secret);
    await assert.rejects(src.sign([leaf], bad), (e: unknown) => {
      assertNixError("bad-key", /secret key is (?:not valid|corrupt)/)(e);
      const err = e as NixError;
      assert.ok(!err.message.includes(secret.slice(8)) && !(err.stderr ?? "").includes(secret.slice(8)));
      return true;
    });
  });
});
