import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { NarinfoError, narinfoFileName, parseNarinfo, referencePaths, writeNarinfo, type Narinfo } from "../../src/cache/index.js";
import { RECORDED_CA_FILE, RECORDED_LEAF, RECORDED_TOP, RECORDED_TOP_SRI, baseName, makeNarinfo } from "./_fixtures.js";

const SRC = "https://cache.example/d4j7.narinfo";

test("parses a narinfo written by Nix and writes it back byte for byte", () => {
  const n = parseNarinfo(RECORDED_TOP, SRC);
  assert.equal(n.storePath, "/nix/store/d4j7jrrmkzwk195lvigyma0zlc3phb28-top");
  assert.equal(n.compression, "xz");
  assert.equal(n.fileSize, 312);
  assert.equal(n.narSize, 808);
  assert.deepEqual(n.references, ["357329bb1zwv4kcwlrl2qn47hiczjy4j-leaf", "h179q1pz9sd2rwdv5az4ip44pdfms861-mid"]);
  assert.equal(n.deriver, "9sdxjhjrysizz1pzjcbzsj81x6v2mgwd-top.drv");
  assert.equal(n.sigs.length, 1);
  assert.deepEqual(n.extra, []);
  assert.equal(writeNarinfo(n), RECORDED_TOP);
  for (const text of [RECORDED_LEAF, RECORDED_CA_FILE]) assert.equal(writeNarinfo(parseNarinfo(text, SRC)), text);
});

test("References may be empty with a trailing space, and the writer keeps that space", () => {
  const n = parseNarinfo(RECORDED_LEAF, SRC);
  assert.deepEqual(n.references, []);
  assert.match(writeNarinfo(n), /\nReferences: \n/);
  assert.deepEqual(parseNarinfo(RECORDED_LEAF.replace("References: \n", "References:  \n"), SRC).references, []);
});

test("full reference paths use the store dir; the cache file name is the hash part", () => {
  assert.deepEqual(referencePaths(parseNarinfo(RECORDED_TOP, SRC)), [
    "/nix/store/357329bb1zwv4kcwlrl2qn47hiczjy4j-leaf",
    "/nix/store/h179q1pz9sd2rwdv5az4ip44pdfms861-mid",
  ]);
  assert.equal(narinfoFileName("/nix/store/d4j7jrrmkzwk195lvigyma0zlc3phb28-top"), "d4j7jrrmkzwk195lvigyma0zlc3phb28.narinfo");
  const other = parseNarinfo(RECORDED_TOP.replaceAll("/nix/store/", "/gnu/store/"), SRC, { storeDir: "/gnu/store" });
  assert.deepEqual(referencePaths(other, "/gnu/store")[0], "/gnu/store/357329bb1zwv4kcwlrl2qn47hiczjy4j-leaf");
});

test("the writer normalises like Nix: nix32 hashes, sorted and deduplicated references and signatures, unknown keys last", () => {
  const text = RECORDED_TOP.replace("sha256:0kc3naxzyh46nfiyv222q3j8jb3plqsz4sqrrgcvl0m550b08r7c", RECORDED_TOP_SRI)
    .replace("References: 357329bb1zwv4kcwlrl2qn47hiczjy4j-leaf h179q1pz9sd2rwdv5az4ip44pdfms861-mid", "References: h179q1pz9sd2rwdv5az4ip44pdfms861-mid 357329bb1zwv4kcwlrl2qn47hiczjy4j-leaf")
    .replace("Compression: xz\n", "X-Mirror: eu-1\nCompression: xz\n")
    .concat("Sig: a-key:zzz\nSig: a-key:zzz\nSystem: x86_64-linux\n");
  const n = parseNarinfo(text, SRC);
  assert.equal(n.narHash, RECORDED_TOP_SRI);
  assert.deepEqual(n.extra, [{ key: "X-Mirror", value: "eu-1" }]);
  assert.equal(n.system, "x86_64-linux");
  const expected = RECORDED_TOP.replace("Sig: fleet-1", "System: x86_64-linux\nSig: a-key:zzz\nSig: fleet-1").concat("X-Mirror: eu-1\n");
  assert.equal(writeNarinfo(n), expected);
});

test("Compression defaults to bzip2, unknown-deriver means no deriver, an empty CA means none (as in Nix)", () => {
  const text = RECORDED_TOP.replace("Compression: xz\n", "").replace(/Deriver: .*\n/, "Deriver: unknown-deriver\n").concat("CA: \n");
  const n = parseNarinfo(text, SRC);
  assert.equal(n.compression, undefined);
  assert.equal(n.deriver, undefined);
  assert.equal(n.ca, undefined);
  const out = writeNarinfo(n);
  assert.match(out, /\nCompression: bzip2\n/);
  assert.doesNotMatch(out, /Deriver|CA:/);
});

const MALFORMED: Array<[string, string, number, RegExp]> = [
  ["empty file", "", 1, /empty narinfo/],
  ["no final newline", RECORDED_TOP.slice(0, -1), 10, /does not end with a newline/],
  ["blank line", RECORDED_TOP.replace("Compression: xz\n", "Compression: xz\n\n"), 4, /blank line/],
  ["CRLF", RECORDED_TOP.replace("URL: ", "URL: x\r\nY: "), 2, /carriage return/],
  ["line without colon", RECORDED_TOP.replace("FileSize: 312", "FileSize 312"), 5, /expected 'Key: value'.*FileSize 312/],
  ["no space after colon", RECORDED_TOP.replace("NarSize: 808", "NarSize:808"), 7, /expected ': ' after key NarSize/],
  ["invalid key", RECORDED_TOP.replace("Compression:", "Comp ression:"), 3, /invalid key "Comp ression"/],
  ["duplicate NarHash", RECORDED_TOP.concat("NarHash: sha256:0kc3naxzyh46nfiyv222q3j8jb3plqsz4sqrrgcvl0m550b08r7c\n"), 11, /duplicate NarHash \(first on line 6\)/],
  ["StorePath outside the store", RECORDED_TOP.replace("StorePath: /nix/store/", "StorePath: /opt/store/"), 1, /not in the store \/nix\/store/],
  ["StorePath hash with 'e'", RECORDED_TOP.replace("d4j7jrrmkzwk195lvigyma0zlc3phb28-top", "e4j7jrrmkzwk195lvigyma0zlc3phb28-top"), 1, /not nix32/],
  ["StorePath name with a space", RECORDED_TOP.replace("phb28-top", "phb28-to p"), 1, /character not allowed/],
  ["empty URL", RECORDED_TOP.replace(/URL: .*\n/, "URL: \n"), 2, /URL is empty/],
  ["FileHash garbage", RECORDED_TOP.replace("FileHash: sha256:1nrs", "FileHash: sha256:!nrs"), 4, /FileHash .*not a valid sha256 hash/],
  ["FileSize not a number", RECORDED_TOP.replace("FileSize: 312", "FileSize: 31x"), 5, /FileSize must be an integer, got "31x"/],
  ["NarHash too short", RECORDED_TOP.replace("sha256:0kc3nax", "sha256:0kc3na"), 6, /NarHash .*not a valid sha256 hash/],
  ["NarHash unknown algo", RECORDED_TOP.replace("NarHash: sha256:", "NarHash: sha257:"), 6, /unknown hash type 'sha257'/],
  ["NarHash without type", RECORDED_TOP.replace("NarHash: sha256:", "NarHash: "), 6, /no hash type/],
  ["NarHash nix32 overflow", RECORDED_TOP.replace("NarHash: sha256:0", "NarHash: sha256:z"), 6, /not a valid sha256 hash/],
  ["NarSize zero", RECORDED_TOP.replace("NarSize: 808", "NarSize: 0"), 7, /NarSize must be an integer ≥ 1, got "0"/],
  ["NarSize negative", RECORDED_TOP.replace("NarSize: 808", "NarSize: -8"), 7, /NarSize must be an integer/],
  ["NarSize float", RECORDED_TOP.replace("NarSize: 808", "NarSize: 8e2"), 7, /NarSize must be an integer/],
  ["full path in References", RECORDED_TOP.replace("References: 3573", "References: /nix/store/3573"), 8, /References: .*base names/],
  ["comma-separated References", RECORDED_TOP.replace("leaf h179", "leaf,h179"), 8, /References: /],
  ["bad Deriver", RECORDED_TOP.replace("Deriver: 9sdx", "Deriver: /nix/store/9sdx"), 9, /Deriver: /],
  ["bad CA prefix", RECORDED_CA_FILE.replace("CA: fixed:", "CA: flat:"), 9, /CA "flat:.*expected 'text:/],
  ["bad CA hash", RECORDED_CA_FILE.replace("CA: fixed:r:sha256:1b25", "CA: fixed:r:sha256:1b2"), 9, /CA .*not a valid sha256 hash/],
  ["text CA with sha1", RECORDED_CA_FILE.replace(/CA: .*/, "CA: text:sha1:0000000000000000000000000000000000000000"), 9, /text content addresses use sha256/],
  ["missing NarHash", RECORDED_TOP.replace(/NarHash: .*\n/, ""), 9, /no NarHash line/],
  ["missing StorePath", RECORDED_TOP.replace(/StorePath: .*\n/, ""), 9, /no StorePath line/],
  ["missing URL", RECORDED_TOP.replace(/URL: .*\n/, ""), 9, /no URL line/],
  ["missing NarSize", RECORDED_TOP.replace(/NarSize: .*\n/, ""), 9, /no NarSize line/],
];

test("every malformed narinfo throws a NarinfoError naming the source and the line", () => {
  for (const [name, text, line, reason] of MALFORMED) {
    assert.throws(
      () => parseNarinfo(text, SRC),
      (err: unknown) => {
        assert.ok(err instanceof NarinfoError, `${name}: ${String(err)}`);
        assert.equal(err.source, SRC, name);
        assert.equal(err.line, line, `${name}: ${err.message}`);
        assert.ok(err.message.startsWith(`${SRC}:${line}: `), `${name}: ${err.message}`);
        assert.match(err.reason, reason, name);
        return true;
      },
      name,
    );
  }
});

test("Sig values are kept as written, even malformed ones (Nix accepts the file and judges them when verifying)", () => {
  const n = parseNarinfo(RECORDED_LEAF.concat("Sig: nocolon\nSig: fleet-1:AAAA\n"), SRC);
  assert.deepEqual(n.sigs.slice(1), ["nocolon", "fleet-1:AAAA"]);
});

test("writeNarinfo refuses values Nix could not write", () => {
  const n = makeNarinfo("w");
  assert.throws(() => writeNarinfo({ ...n, narHash: "sha256:nope" }), /cannot write narinfo: NarHash "sha256:nope"/);
  assert.throws(() => writeNarinfo({ ...n, ca: "fixed:what" }), /cannot write narinfo: CA/);
});

test("property: parse(write(n)) is n in Nix's normal form, and write is idempotent", () => {
  const label = fc.stringMatching(/^[a-z][a-z0-9.+_-]{0,20}$/);
  fc.assert(
    fc.property(label, fc.uniqueArray(label, { maxLength: 6 }), fc.array(fc.stringMatching(/^[a-z0-9-]{1,8}:[A-Za-z0-9+/]{0,12}$/), { maxLength: 3 }), (name, refs, sigs) => {
      const n: Narinfo = { ...makeNarinfo(name, refs), sigs };
      const text = writeNarinfo(n);
      const back = parseNarinfo(text, "prop");
      assert.equal(writeNarinfo(back), text);
      assert.deepEqual(new Set(back.references), new Set(refs.map(baseName)));
      assert.deepEqual([...back.sigs].sort(), [...new Set(sigs)].sort());
      assert.equal(back.narSize, n.narSize);
    }),
    { numRuns: 300, seed: 20261126 },
  );
});
