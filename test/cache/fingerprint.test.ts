import { test } from "node:test";
import assert from "node:assert/strict";
import { FingerprintError, fingerprint, parseNarinfo } from "../../src/cache/index.js";
import { RECORDED_LEAF, RECORDED_TOP, RECORDED_TOP_FINGERPRINT, RECORDED_TOP_SRI } from "./_fixtures.js";

const top = parseNarinfo(RECORDED_TOP, "top.narinfo");
const NIX32 = "sha256:0kc3naxzyh46nfiyv222q3j8jb3plqsz4sqrrgcvl0m550b08r7c";
const SRI_BYTES = Buffer.from(RECORDED_TOP_SRI.slice("sha256-".length), "base64");

test("equals the fingerprint Nix signed (recorded)", () => {
  assert.equal(fingerprint(top), RECORDED_TOP_FINGERPRINT);
});

test("a path without references ends with ';'", () => {
  assert.equal(
    fingerprint(parseNarinfo(RECORDED_LEAF, "leaf.narinfo")),
    "1;/nix/store/357329bb1zwv4kcwlrl2qn47hiczjy4j-leaf;sha256:0l1v2mjy9ivhn9njfz2szzh7whr0vj02cysj0xhng9mdi3zfcnpa;120;",
  );
});

test("NarHash in nix32, base16, base64 and SRI all render as sha256:<nix32>", () => {
  for (const narHash of [NIX32, `sha256:${SRI_BYTES.toString("hex")}`, `sha256:${SRI_BYTES.toString("hex").toUpperCase()}`, `sha256:${SRI_BYTES.toString("base64")}`, RECORDED_TOP_SRI, RECORDED_TOP_SRI.replace(/=+$/, "")]) {
    assert.equal(fingerprint({ ...top, narHash }), RECORDED_TOP_FINGERPRINT, narHash);
  }
});

test("references: base names or full paths, any order, duplicates collapse (Nix keeps a set)", () => {
  const full = top.references.map((r) => `/nix/store/${r}`);
  for (const references of [full, [...top.references].reverse(), [...full].reverse(), [...top.references, top.references[0]!]]) {
    assert.equal(fingerprint({ ...top, references }), RECORDED_TOP_FINGERPRINT, references.join(" "));
  }
});

test("other hash algorithms keep their type", () => {
  const sha512 = `sha512-${Buffer.alloc(64, 7).toString("base64")}`;
  assert.match(fingerprint({ ...top, narHash: sha512 }), /;sha512:[0-9a-z]{103};808;/);
});

test("inputs Nix cannot fingerprint throw a FingerprintError that names the path and the value", () => {
  const cases: Array<[Partial<typeof top>, RegExp]> = [
    [{ narHash: "sha256:xyz" }, /NAR hash "sha256:xyz": not a valid sha256 hash/],
    [{ narHash: "sha256-!!!" }, /not a valid SRI sha256 hash/],
    [{ narHash: "0kc3naxzyh46nfiyv222q3j8jb3plqsz4sqrrgcvl0m550b08r7c" }, /no hash type/],
    [{ narSize: 0 }, /NAR size 0 is not a positive integer/],
    [{ narSize: 1.5 }, /NAR size 1.5/],
    [{ references: ["/tmp/x"] }, /reference '\/tmp\/x' is not in the store/],
    [{ references: ["leaf"] }, /reference 'leaf' is not <32-char hash>-<name>/],
    [{ storePath: "/nix/store/short" }, /'\/nix\/store\/short'|'short'/],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => fingerprint({ ...top, ...change }), (err: unknown) => err instanceof FingerprintError && message.test(err.message) && err.message.includes("signing fingerprint of"), JSON.stringify(change));
  }
});

test("a different store dir is honoured", () => {
  const fp = fingerprint({ ...top, storePath: top.storePath.replace("/nix/store", "/gnu/store") }, { storeDir: "/gnu/store" });
  assert.ok(fp.startsWith("1;/gnu/store/d4j7"));
  assert.ok(fp.endsWith(";/gnu/store/357329bb1zwv4kcwlrl2qn47hiczjy4j-leaf,/gnu/store/h179q1pz9sd2rwdv5az4ip44pdfms861-mid"));
});
