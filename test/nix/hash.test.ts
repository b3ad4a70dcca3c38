/** Hash encodings: pure round trips, and differential checks against the real `nix hash` / `nix-hash`. */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import {
  HASH_SIZES, HashFormatError, convertHash, formatHash, nix32Decode, nix32Encode, parseHash, toNarinfoHash, toSriHash, type HashAlgo,
} from "../../src/nix/index.js";
import { NIX_SKIP, makeLab, type Lab } from "./harness.js";

const ALGOS = Object.keys(HASH_SIZES) as HashAlgo[];

describe("hash encodings (pure)", () => {
  test("the narinfo and SRI forms of a real NAR hash (from Nix 2.8) convert into each other", () => {
    const narinfo = "sha256:0kc3naxzyh46nfiyv222q3j8jb3plqsz4sqrrgcvl0m550b08r7c";
    const sri = "sha256-7GQEFiilArrZyxlr8jWmdyyJ5MBCiO2js4ZA/7uyg00=";
    assert.equal(toSriHash(narinfo), sri);
    assert.equal(toNarinfoHash(sri), narinfo);
    // Recorded from `nix hash to-base16` (Nix 2.8).
    assert.equal(convertHash(sri, "base16"), "sha256:ec64041628a502bad9cb196bf235a6772c89e4c04288eda3b38640ffbbb2834d");
    assert.equal(convertHash("sha256:ec64041628a502bad9cb196bf235a6772c89e4c04288eda3b38640ffbbb2834d", "nix32"), narinfo);
  });

  test("every encoding round-trips for every algorithm and size", () => {
    for (const algo of ALGOS) {
      for (let i = 0; i < 50; i++) {
        const bytes = randomBytes(HASH_SIZES[algo]);
        const h = { algo, bytes };
        for (const enc of ["nix32", "base16", "base64", "sri"] as const) {
          const text = formatHash(h, enc);
          assert.deepEqual(Buffer.from(parseHash(text).bytes), bytes, `${algo} ${enc} ${text}`);
          if (enc !== "sri") assert.deepEqual(Buffer.from(parseHash(formatHash(h, enc, { prefix: false }), algo).bytes), bytes);
        }
        assert.deepEqual(Buffer.from(nix32Decode(nix32Encode(bytes))), bytes);
      }
    }
  });

  test("nix32 uses Nix's alphabet and bit order: the lowest bit is the last character, the highest the first", () => {
    const one = new Uint8Array(32);
    one[0] = 1;
    assert.equal(nix32Encode(one), `${"0".repeat(51)}1`);
    const high = new Uint8Array(32);
    high[31] = 0x80;
    assert.equal(nix32Encode(high), `1${"0".repeat(51)}`);
    assert.equal(nix32Encode(new Uint8Array(32).fill(255)).replace(/z/g, ""), "1");
  });

  test("malformed hashes are rejected with a message naming the input", () => {
    const bad = [
      "sha256:0kc3naxzyh46nfiyv222q3j8jb3plqsz4sqrrgcvl0m550b08r7e", // 'e' is not in the alphabet
      "sha256:0kc3naxzyh46nfiyv222q3j8jb3plqsz4sqrrgcvl0m550b08r7", // too short
      "sha256:zkc3naxzyh46nfiyv222q3j8jb3plqsz4sqrrgcvl0m550b08r7c", // bits beyond 256
      "sha256-7GQEFiilArrZyxlr8jWmdyyJ5MBCiO2js4ZA/7uyg0=", // base64 too short
      "sha256-7GQEFiilArrZyxlr8jWmdyyJ5MBCiO2js4ZA/7uyg0!=",
      "blake9:abcd",
      "0kc3naxzyh46nfiyv222q3j8jb3plqsz4sqrrgcvl0m550b08r7c", // no algorithm
    ];
    for (const text of bad) assert.throws(() => parseHash(text), (e: unknown) => e instanceof HashFormatError && e.message.length > 0, text);
    assert.throws(() => parseHash("sha256:0kc3naxzyh46nfiyv222q3j8jb3plqsz4sqrrgcvl0m550b08r7c", "sha1"), /should have type 'sha1'/);
  });
});

describe("hash encodings against real Nix", { skip: NIX_SKIP }, () => {
  let lab: Lab;
  before(async () => { lab = await makeLab("hash"); });
  after(async () => { await lab.cleanup(); });

  for (const algo of ALGOS) {
    test(`${algo}: nix hash to-base32/base16/base64/sri agree with hash.ts`, async () => {
      const hashes = Array.from({ length: 24 }, (_, i) => ({ algo, bytes: i === 0 ? new Uint8Array(HASH_SIZES[algo]) : randomBytes(HASH_SIZES[algo]) }));
      // Feed Nix a mix of input encodings, and compare every output form.
      const encodings = ["nix32", "base16", "base64", "sri"] as const;
      const inputs = hashes.map((h, i) => formatHash(h, encodings[i % 4]!));
      for (const [cmd, enc] of [["to-base32", "nix32"], ["to-base16", "base16"], ["to-base64", "base64"], ["to-sri", "sri"]] as const) {
        const r = await lab.oracle("nix", ["hash", cmd, "--type", algo, ...inputs]);
        assert.equal(r.exitCode, 0, r.stderr);
        const got = r.stdout.toString("utf8").trim().split("\n");
        const want = hashes.map((h) => formatHash(h, enc, { prefix: enc === "sri" }));
        assert.deepEqual(got, want, `nix hash ${cmd} --type ${algo}`);
        assert.deepEqual(inputs.map((t) => convertHash(t, enc, { prefix: enc === "sri" })), want);
      }
    });
  }

  test("nix-hash --to-base32 / --to-base16 agree, and a file's sha256 matches nix hash file", async () => {
    const hex = Array.from({ length: 16 }, () => randomBytes(32).toString("hex"));
    const r = await lab.oracle("nix-hash", ["--type", "sha256", "--to-base32", ...hex]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(r.stdout.toString("utf8").trim().split("\n"), hex.map((h) => convertHash(h, "nix32", { algo: "sha256", prefix: false })));
    const back = await lab.oracle("nix-hash", ["--type", "sha256", "--to-base16", ...r.stdout.toString("utf8").trim().split("\n")]);
    assert.deepEqual(back.stdout.toString("utf8").trim().split("\n"), hex);

    const content = randomBytes(1000);
    const file = await lab.file("blob", content.toString("base64"));
    const f = await lab.oracle("nix", ["hash", "file", "--base32", file]);
    const digest = createHash("sha256").update(content.toString("base64")).digest();
    assert.equal(f.stdout.toString("utf8").trim(), formatHash({ algo: "sha256", bytes: digest }, "nix32", { prefix: false }));
  });
});
