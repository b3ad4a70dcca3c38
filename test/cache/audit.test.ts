/**
 * The audit on caches made by code: judgeNarinfo for each verdict (pure), then
 * auditClosure over a real loopback HTTP cache — the pool bound, progress,
 * and a failing cache.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  auditClosure, auditKeys, formatPublicKey, generateKeyPair, judgeNarinfo, openCache, writeNarinfo,
  type AuditProblemKind, type Narinfo,
} from "../../src/cache/index.js";
import { HttpError } from "../../src/http/index.js";
import { RECORDED_CA_FILE, makeNarinfo, signedBy } from "./_fixtures.js";
import { serve, serveDirectory, type TestServer } from "./_static-server.js";
import { writeCache } from "./_synthetic-cache.js";

const A = generateKeyPair("fleet-2"); // trusted
const B = generateKeyPair("other-1"); // never trusted
const R = generateKeyPair("fleet-1"); // revoked
const trusted = [formatPublicKey(A.publicKey)];
const revoked = [{ name: "fleet-1", publicKey: formatPublicKey(R.publicKey) }];
const keys = auditKeys(trusted, revoked);

function judge(n: Narinfo | string, path = typeof n === "string" ? "/nix/store/x" : n.storePath) {
  const text = typeof n === "string" ? n : writeNarinfo(n);
  return judgeNarinfo({ path, text, source: "http://cache/x.narinfo" }, keys);
}

describe("judgeNarinfo", () => {
  test("a valid trusted signature passes, even beside untrusted and revoked ones", () => {
    assert.equal(judge(signedBy(makeNarinfo("ok"), A)), null);
    assert.equal(judge(signedBy(makeNarinfo("ok"), B, R, A)), null);
  });

  test("an unsigned content-addressed path passes, as in Nix", () => {
    assert.equal(judge(RECORDED_CA_FILE, "/nix/store/j4amzijmj6fp4gj03z5943s563mf5w2x-cafile.txt"), null);
  });

  test("each problem kind, with the signers and an actionable detail", () => {
    const cases: Array<[Narinfo | string | null, AuditProblemKind, string[], RegExp]> = [
      [null, "missing", [], /no narinfo .*copy the closure to the cache/],
      [makeNarinfo("u"), "unsigned", [], /no signature; sign it with a trusted key \(trusted: fleet-2\)/],
      [signedBy(makeNarinfo("b"), B), "untrusted", ["other-1"], /not trusted \(other-1\)/],
      [signedBy(makeNarinfo("r"), R), "revoked-only", ["fleet-1"], /revoked key\(s\) fleet-1; re-sign/],
      [signedBy(makeNarinfo("rb"), B, R), "revoked-only", ["fleet-1", "other-1"], /revoked key\(s\) fleet-1/],
      [{ ...signedBy(makeNarinfo("t"), A), narSize: 999_999 }, "invalid", ["fleet-2"], /does not verify: the narinfo changed after signing/],
      [{ ...makeNarinfo("m"), sigs: ["fleet-2:AAAA"] }, "invalid", ["fleet-2"], /not 64 bytes of base64/],
      [{ ...signedBy(makeNarinfo("rt"), R), narSize: 5 }, "untrusted", ["fleet-1"], /fleet-1: revoked, and its signature does not verify/],
      ["StorePath: /nix/store/x\n", "malformed", [], /http:\/\/cache\/x\.narinfo:1: StorePath: .*/],
    ];
    for (const [input, kind, signers, detail] of cases) {
      const path = input === null ? "/nix/store/00000000000000000000000000000000-gone" : typeof input === "string" ? "/nix/store/x" : input.storePath;
      const text = input === null ? null : typeof input === "string" ? input : writeNarinfo(input);
      const problem = judgeNarinfo({ path, text, source: "http://cache/x.narinfo" }, keys);
      assert.equal(problem?.kind, kind, `${kind}: ${JSON.stringify(problem)}`);
      assert.deepEqual(problem.signers, signers, kind);
      assert.match(problem.detail, detail);
      assert.equal(problem.path, path);
    }
  });

  test("a narinfo for another path is malformed", () => {
    const other = signedBy(makeNarinfo("other"), A);
    const p = judge(other, makeNarinfo("asked").storePath);
    assert.equal(p?.kind, "malformed");
    assert.match(p.detail, /describes \/nix\/store\/.*-other, not this path/);
  });

  test("a key both trusted and revoked counts as revoked", () => {
    const both = auditKeys([formatPublicKey(A.publicKey), formatPublicKey(R.publicKey)], revoked);
    assert.deepEqual(both.trusted.map((k) => k.name), ["fleet-2"]);
    const p = judgeNarinfo({ path: makeNarinfo("r").storePath, text: writeNarinfo(signedBy(makeNarinfo("r"), R)), source: "s" }, both);
    assert.equal(p?.kind, "revoked-only");
  });

  test("bad key lists are errors before any fetch", () => {
    assert.throws(() => auditKeys(["fleet-2:AAAA"], []), /trusted key #1: public key fleet-2: expected 32 bytes/);
    assert.throws(() => auditKeys([], [{ name: "fleet-9", publicKey: formatPublicKey(R.publicKey) }]), /name "fleet-9" differs .* \("fleet-1"\)/);
  });
});

describe("auditClosure over HTTP", () => {
  let dir: string;
  let server: TestServer;
  const expected = new Map<string, AuditProblemKind>();
  const paths: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hostplane-audit-"));
    const entries: Narinfo[] = [];
    for (let i = 0; i < 300; i++) {
      const refs = i > 0 ? [`p${i - 1}`, `p${Math.floor(i / 2)}`] : [];
      const base = makeNarinfo(`p${i}`, refs);
      paths.push(base.storePath);
      if (i % 50 === 1) expected.set(base.storePath, "missing");
      else if (i % 50 === 2) { expected.set(base.storePath, "unsigned"); entries.push(base); }
      else if (i % 50 === 3) { expected.set(base.storePath, "untrusted"); entries.push(signedBy(base, B)); }
      else if (i % 50 === 4) { expected.set(base.storePath, "revoked-only"); entries.push(signedBy(base, R)); }
      else if (i % 50 === 5) { expected.set(base.storePath, "invalid"); entries.push({ ...signedBy(base, A), narSize: base.narSize + 1 }); }
      else entries.push(signedBy(base, A));
    }
    writeCache(join(dir, "cache"), entries);
    server = await serveDirectory(join(dir, "cache"), { delayMs: 2 });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("reports exactly the planted problems, sorted, with the pool bound respected and progress reported", async () => {
    const real = await openCache(server.url);
    let inFlight = 0;
    let maxInFlight = 0;
    const cache = {
      ...real,
      readNarinfo: async (hashPart: string) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          return await real.readNarinfo(hashPart);
        } finally {
          inFlight--;
        }
      },
    };
    const progress: Array<[number, number]> = [];
    const report = await auditClosure({
      paths: [...paths, paths[0]!], cache, trusted, revoked, concurrency: 8, progressEvery: 50,
      onProgress: (done, total) => progress.push([done, total]),
    });
    assert.equal(report.total, 300);
    assert.equal(report.cache, server.url);
    assert.equal(report.ok, 300 - expected.size);
    assert.deepEqual(new Map(report.problems.map((p) => [p.path, p.kind])), expected);
    assert.deepEqual(report.problems.map((p) => p.path), [...expected.keys()].sort());
    assert.equal(maxInFlight, 8);
    assert.deepEqual(progress, [50, 100, 150, 200, 250, 300].map((d) => [d, 300]));
  });

  test("through file:// the report is the same", async () => {
    const viaHttp = await auditClosure({ paths, cache: await openCache(server.url), trusted, revoked });
    const viaFile = await auditClosure({ paths, cache: await openCache(`file://${join(dir, "cache")}`), trusted, revoked });
    assert.deepEqual(viaFile.problems.map((p) => [p.path, p.kind, p.signers]), viaHttp.problems.map((p) => [p.path, p.kind, p.signers]));
  });

  test("a cache failing mid-audit rejects with the HttpError; non-store inputs are refused", async () => {
    let n = 0;
    const flaky = await serve((req, res) => {
      if (req.url === "/nix-cache-info") return void res.writeHead(200).end("StoreDir: /nix/store\n");
      if (++n === 20) return void res.writeHead(503).end();
      res.writeHead(404).end();
    });
    try {
      await assert.rejects(auditClosure({ paths, cache: await openCache(flaky.url), trusted, revoked, concurrency: 4 }), (e: unknown) => {
        assert.ok(e instanceof HttpError && e.code === "http-status" && e.status === 503, String(e));
        return true;
      });
      assert.ok(flaky.requests < 40, `stopped early (${flaky.requests} requests)`);
    } finally {
      await flaky.close();
    }
    await assert.rejects(auditClosure({ paths: ["/tmp/x"], cache: await openCache(server.url), trusted, revoked }), /not in the store \/nix\/store/);
  });
});
