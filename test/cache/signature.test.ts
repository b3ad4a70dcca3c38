import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPair, parseNarinfo, parsePublicKey, signNarinfo, verifyNarinfo, type Narinfo, type PublicKey } from "../../src/cache/index.js";
import {
  RECORDED_CA_FILE,
  RECORDED_DRV,
  RECORDED_FLEET1_PUB,
  RECORDED_FLEET2_PUB,
  RECORDED_LEAF,
  RECORDED_TOP,
  RECORDED_TOP_SRI,
  baseName,
  makeNarinfo,
  signedBy,
  testKeys,
} from "./_fixtures.js";

const fleet1 = parsePublicKey(RECORDED_FLEET1_PUB, "fleet-1.pub");
const fleet2 = parsePublicKey(RECORDED_FLEET2_PUB, "fleet-2.pub");
const top = parseNarinfo(RECORDED_TOP, "top.narinfo");
const leaf = parseNarinfo(RECORDED_LEAF, "leaf.narinfo");

test("verifies signatures made by Nix (recorded)", () => {
  for (const n of [top, leaf]) {
    const v = verifyNarinfo(n, [fleet1]);
    assert.equal(v.status, "valid");
    assert.equal(v.accepted, true);
    assert.deepEqual(v.validBy, ["fleet-1"]);
    assert.deepEqual(v.invalidSigs, []);
    assert.equal(v.contentAddress, "none");
  }
  const v = verifyNarinfo(top, [fleet2]);
  assert.equal(v.status, "untrusted");
  assert.deepEqual(v.untrustedSigs.map((s) => s.keyName), ["fleet-1"]);
  assert.equal(verifyNarinfo(top, []).status, "untrusted");
});

test("the recorded signature still verifies with NarHash in SRI form and references reordered", () => {
  const v = verifyNarinfo({ ...top, narHash: RECORDED_TOP_SRI, references: [...top.references].reverse() }, [fleet1]);
  assert.equal(v.status, "valid");
});

test("signing is deterministic and verifies; a trusted key's signature over any fingerprint field breaks when tampered", () => {
  const { a, b } = testKeys();
  const n = makeNarinfo("app", ["lib", "glibc"]);
  assert.equal(signNarinfo(n, a.secretKey), signNarinfo(n, a.secretKey));
  assert.match(signNarinfo(n, a.secretKey), /^test-a-1:[A-Za-z0-9+/]{86}==$/);
  const signed = signedBy(n, a);
  assert.equal(verifyNarinfo(signed, [a.publicKey]).status, "valid");
  assert.equal(verifyNarinfo(signed, [b.publicKey, a.publicKey]).status, "valid");

  const tampered: Array<[string, Narinfo]> = [
    ["StorePath", { ...signed, storePath: `/nix/store/${baseName("app2")}` }],
    ["NarHash", { ...signed, narHash: makeNarinfo("other").narHash }],
    ["NarSize", { ...signed, narSize: signed.narSize + 1 }],
    ["References (dropped)", { ...signed, references: signed.references.slice(1) }],
    ["References (added)", { ...signed, references: [...signed.references, baseName("evil")] }],
    ["References (swapped)", { ...signed, references: [signed.references[0]!, baseName("evil")] }],
  ];
  for (const [what, n2] of tampered) {
    const v = verifyNarinfo(n2, [a.publicKey]);
    assert.equal(v.status, "invalid", what);
    assert.equal(v.accepted, false, what);
    assert.deepEqual(v.invalidSigs.map((s) => [s.keyName, s.reason]), [["test-a-1", "mismatch"]], what);
    assert.deepEqual(v.validBy, [], what);
  }
  // Nix does not sign these fields: changing them keeps the signature valid (worth knowing for audits).
  for (const change of [{ url: "nar/other.nar.xz" }, { fileHash: makeNarinfo("x").fileHash! }, { deriver: `${baseName("x")}.drv` }, { compression: "zstd" }]) {
    assert.equal(verifyNarinfo({ ...signed, ...change }, [a.publicKey]).status, "valid", JSON.stringify(change));
  }
});

test("statuses: unsigned, untrusted, untrusted-only, and any one trusted signature suffices", () => {
  const { a, b } = testKeys();
  const n = makeNarinfo("svc", ["lib"]);
  const unsigned = verifyNarinfo(n, [a.publicKey]);
  assert.deepEqual([unsigned.status, unsigned.accepted, unsigned.untrustedSigs, unsigned.invalidSigs], ["unsigned", false, [], []]);
  assert.equal(verifyNarinfo(signedBy(n, b), [a.publicKey]).status, "untrusted");
  const both = verifyNarinfo(signedBy(n, b, a), [a.publicKey]);
  assert.deepEqual([both.status, both.validBy, both.untrustedSigs.map((s) => s.keyName)], ["valid", ["test-a-1"], ["test-b-1"]]);
  const bothTrusted = verifyNarinfo(signedBy(n, a, b), [a.publicKey, b.publicKey]);
  assert.deepEqual(bothTrusted.validBy, ["test-a-1", "test-b-1"]);
  // A signature by another key that merely claims A's name does not verify.
  const impostor = generateKeyPair("test-a-1");
  const forged = verifyNarinfo(signedBy(n, impostor), [a.publicKey]);
  assert.deepEqual([forged.status, forged.invalidSigs[0]?.reason], ["invalid", "mismatch"]);
});

test("malformed signatures: ignored for unknown keys, fatal for trusted keys (Nix: 'signature is not valid')", () => {
  const { a } = testKeys();
  const good = signedBy(makeNarinfo("p"), a);
  const withSig = (...sigs: string[]): Narinfo => ({ ...good, sigs: [...good.sigs, ...sigs] });
  const zero64 = Buffer.alloc(64).toString("base64");

  for (const sig of ["other-1:AAAA", "other-1:not base64!", "nocolon", ":AAAA", ""]) {
    const v = verifyNarinfo(withSig(sig), [a.publicKey]);
    assert.equal(v.status, "valid", sig);
    assert.equal(v.untrustedSigs.at(-1)?.sig, sig);
  }
  assert.equal(verifyNarinfo(withSig("nocolon"), [a.publicKey]).untrustedSigs[0]?.keyName, "");

  for (const sig of ["test-a-1:AAAA", "test-a-1:", "test-a-1:!!!!", `test-a-1:${zero64.slice(0, -4)}`]) {
    const v = verifyNarinfo(withSig(sig), [a.publicKey]);
    assert.deepEqual([v.status, v.accepted, v.validBy], ["invalid", false, ["test-a-1"]], sig);
    assert.deepEqual(v.invalidSigs, [{ keyName: "test-a-1", sig, reason: "malformed" }], sig);
  }
  // Right length but wrong bytes: just does not count.
  const wrong = verifyNarinfo(withSig(`test-a-1:${zero64}`), [a.publicKey]);
  assert.deepEqual([wrong.status, wrong.invalidSigs[0]?.reason], ["valid", "mismatch"]);
  assert.equal(verifyNarinfo({ ...good, sigs: [`test-a-1:${zero64}`] }, [a.publicKey]).status, "invalid");
});

test("base64 follows Nix: padding optional, URL-safe alphabet refused", () => {
  const sig = top.sigs[0]!;
  assert.equal(verifyNarinfo({ ...top, sigs: [sig.replace(/=+$/, "")] }, [fleet1]).status, "valid");
  const urlSafe = sig.replaceAll("+", "-").replaceAll("/", "_");
  assert.notEqual(urlSafe, sig);
  const v = verifyNarinfo({ ...top, sigs: [urlSafe] }, [fleet1]);
  assert.deepEqual([v.status, v.invalidSigs[0]?.reason], ["invalid", "malformed"]);
});

test("duplicate Sig lines count once; duplicate trusted key names: the first key wins (as in Nix)", () => {
  const v = verifyNarinfo({ ...top, sigs: [top.sigs[0]!, top.sigs[0]!] }, [fleet1]);
  assert.deepEqual([v.status, v.validBy], ["valid", ["fleet-1"]]);
  const renamed: PublicKey = { name: "fleet-1", key: fleet2.key };
  assert.equal(verifyNarinfo(top, [fleet1, renamed]).status, "valid");
  assert.equal(verifyNarinfo(top, [renamed, fleet1]).status, "invalid");
});

test("content-addressed paths need no signature, but only if the CA claim reproduces the store path", () => {
  for (const text of [RECORDED_CA_FILE, RECORDED_DRV]) {
    const n = parseNarinfo(text, "ca.narinfo");
    const v = verifyNarinfo(n, [fleet1]);
    assert.deepEqual([v.status, v.accepted, v.contentAddress], ["content-addressed", true, "verified"], n.storePath);
    // Nix returns before looking at signatures, so even a malformed trusted one does not matter.
    assert.equal(verifyNarinfo({ ...n, sigs: ["fleet-1:AAAA"] }, [fleet1]).status, "content-addressed");
    // The same claim for another name, or with an added reference, is a different path.
    assert.equal(verifyNarinfo({ ...n, storePath: n.storePath.replace(/-[^-]*$/, "-renamed") }, [fleet1]).contentAddress, "mismatch");
    assert.equal(verifyNarinfo({ ...n, references: [leaf.storePath.slice(11)] }, [fleet1]).status, "unsigned");
  }
  // A forged CA line on an input-addressed path: Nix warns and falls back to signatures.
  const forged = verifyNarinfo({ ...leaf, ca: `fixed:r:${leaf.narHash}` }, [fleet1]);
  assert.deepEqual([forged.status, forged.contentAddress], ["valid", "mismatch"]);
  const forgedUnsigned = verifyNarinfo({ ...leaf, sigs: [], ca: `fixed:r:${leaf.narHash}` }, [fleet1]);
  assert.deepEqual([forgedUnsigned.status, forgedUnsigned.accepted], ["unsigned", false]);
});

test("verifies a 5,000-path closure with one trusted key among several (correctness at scale, not timed)", () => {
  const { a, b } = testKeys();
  const paths: Narinfo[] = [];
  for (let i = 0; i < 5000; i++) {
    const n = makeNarinfo(`pkg-${i}`, i > 0 ? [`pkg-${i - 1}`, `pkg-${Math.floor(i / 2)}`] : []);
    paths.push(i % 97 === 0 ? signedBy(n, b) : signedBy(n, a, b));
  }
  const verdicts = paths.map((n) => verifyNarinfo(n, [a.publicKey]));
  assert.equal(verdicts.filter((v) => v.status === "valid").length, 5000 - Math.ceil(5000 / 97));
  assert.equal(verdicts.filter((v) => v.status === "untrusted").length, Math.ceil(5000 / 97));
});
