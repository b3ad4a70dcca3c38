/**
 * The adapter's pure parsers on recorded output: Nix 2.8 strings observed on
 * this machine (see the nixlab findings) and the newer formats from Nix's docs.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  NIX_ERROR_CODES, classifyNixFailure, decodeVerify, parseConfigJson, parseGcResult, parseGcRoots, parseGenerations, parsePathInfoJson, parseVersion,
  PathInfoFormatError, type ValidPathInfo,
} from "../../src/nix/index.js";

const TOP = "/nix/store/d4j7jrrmkzwk195lvigyma0zlc3phb28-top";
const MID = "/nix/store/h179q1pz9sd2rwdv5az4ip44pdfms861-mid";
const LEAF = "/nix/store/357329bb1zwv4kcwlrl2qn47hiczjy4j-leaf";
const SIG = "fleet-1:hohYvupPlmhVqlRjReu+YUXWYCQIByOze4cMxyftvIZ+kNG/d1QGO4zuaztqkeHTPSismbFHOELR3h6z4Gj4Bw==";
const NAR_SRI = "sha256-7GQEFiilArrZyxlr8jWmdyyJ5MBCiO2js4ZA/7uyg00=";
const NAR_NIX32 = "sha256:0kc3naxzyh46nfiyv222q3j8jb3plqsz4sqrrgcvl0m550b08r7c";

function valid(infos: ReturnType<typeof parsePathInfoJson>, path: string): ValidPathInfo {
  const i = infos.find((x) => x.path === path);
  assert.ok(i?.valid, `${path} valid`);
  return i;
}

describe("parsePathInfoJson", () => {
  // Nix 2.8, `nix path-info --json --sigs $TOP` plus a missing path (recorded).
  const v28 = `[{"path":"${TOP}","narHash":"${NAR_SRI}","narSize":808,"references":["${MID}","${LEAF}"],"deriver":"/nix/store/9sdxjhjrysizz1pzjcbzsj81x6v2mgwd-top.drv","registrationTime":1795651022,"ultimate":true,"signatures":["${SIG}"]},{"path":"/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-missing","valid":false}]`;
  // Nix ≥ 2.19: object keyed by path, null for missing paths, ca/deriver may be null.
  const v219 = `{"${TOP}":{"ca":null,"deriver":"/nix/store/9sdxjhjrysizz1pzjcbzsj81x6v2mgwd-top.drv","narHash":"${NAR_SRI}","narSize":808,"references":["${MID}","${LEAF}"],"registrationTime":1795651022,"signatures":["${SIG}"],"ultimate":true},"/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-missing":null}`;
  // Store Object Info v3 (2.33+ docs): base names, structured ca and signatures.
  const v3 = JSON.stringify({
    [TOP]: {
      version: 3, storeDir: "/nix/store", narHash: NAR_SRI, narSize: 808,
      references: [MID.slice(11), LEAF.slice(11)], deriver: "9sdxjhjrysizz1pzjcbzsj81x6v2mgwd-top.drv",
      ca: { method: "nar", hash: "sha256-EMIJ+giQ/gLIWoxmPKjno3zHZrxbGymgzGGyZvZBIdM=" },
      signatures: [{ keyName: "fleet-1", sig: SIG.slice("fleet-1:".length) }], ultimate: true, registrationTime: 1795651022,
    },
  });

  for (const [label, text] of [["2.8 array", v28], ["2.19 object", v219], ["v3 object", v3]] as const) {
    test(`${label}: one normalised PathInfo`, () => {
      const infos = parsePathInfoJson(text);
      const top = valid(infos, TOP);
      assert.equal(top.narHash, NAR_NIX32);
      assert.equal(top.narHashSri, NAR_SRI);
      assert.equal(top.narSize, 808);
      assert.deepEqual(top.references, [LEAF, MID]); // full paths, sorted
      assert.equal(top.deriver, "/nix/store/9sdxjhjrysizz1pzjcbzsj81x6v2mgwd-top.drv");
      assert.deepEqual(top.signatures, [SIG]);
      assert.equal(top.ultimate, true);
      if (label === "v3 object") assert.match(top.ca ?? "", /^fixed:r:sha256:[0-9a-z]{52}$/);
      else assert.equal(top.ca, undefined);
      if (label !== "v3 object") assert.deepEqual(infos.find((i) => !i.valid), { valid: false, path: "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-missing" });
    });
  }

  test("binary-cache fields; nix32 input; garbage is a PathInfoFormatError", () => {
    const cache = `[{"path":"${LEAF}","narHash":"${NAR_NIX32}","narSize":120,"references":[],"url":"nar/x.nar.xz","downloadHash":"sha256-UUO+/9ZsGwkTQ5gbJr13QD2ypzHCpbeHtkBBPTTVpwQ=","downloadSize":212}]`;
    const leaf = valid(parsePathInfoJson(cache), LEAF);
    assert.equal(leaf.narHashSri, NAR_SRI);
    assert.equal(leaf.url, "nar/x.nar.xz");
    assert.match(leaf.downloadHash ?? "", /^sha256:[0-9a-z]{52}$/);
    assert.equal(leaf.ultimate, undefined);
    assert.throws(() => parsePathInfoJson("not json"), PathInfoFormatError);
    assert.throws(() => parsePathInfoJson(`[{"path":"${LEAF}","narHash":"sha256:short","narSize":1}]`));
    assert.throws(() => parsePathInfoJson("42"), PathInfoFormatError);
  });
});

describe("classifyNixFailure on Nix 2.8 stderr", () => {
  const cases: [string, number, string][] = [
    ["copying path '…' from 'file:///c'...\nerror: cannot add path '/nix/store/357329bb1zwv4kcwlrl2qn47hiczjy4j-leaf' because it lacks a valid signature\n", 1, "signature-untrusted"],
    ["error: hash mismatch importing path '/nix/store/x-leaf';\n  specified: sha256:08yr\n  got:       sha256:0l1v\n", 1, "hash-mismatch"],
    ["error: size mismatch importing path '/nix/store/x';\n  specified: 121\n  got:       120\n", 1, "hash-mismatch"],
    ["error: writing to file: No space left on device\n", 1, "no-space"],
    ["error: path '/nix/store/aaaa-missing' is not valid\n", 1, "path-invalid"],
    ["error: file 'nar/12w7.nar.xz' does not exist in binary cache\n", 1, "path-invalid"],
    ["error: path '/nix/store/ss1j-unsigned' is required, but there is no substituter that can build it\n", 1, "no-substituter"],
    ["warning: error: unable to download 'http://127.0.0.1:18779/nix-cache-info': Couldn't connect to server (7); retrying in 304 ms\nerror: unable to download 'http://127.0.0.1:18779/nix-cache-info': Couldn't connect to server (7)\n", 1, "cannot-connect"],
    ["error: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': Connection refused\n", 1, "no-daemon"],
    ["error: cannot open connection to remote store 'daemon': error: reading from file: Connection reset by peer\n", 1, "no-daemon"],
    ["error: builder for '/nix/store/y-fail.drv' failed with exit code 3\n", 100, "build-failed"],
    ["error: public key is not valid\n", 1, "bad-key"],
    ["error: signature is not valid\n", 4, "bad-key"],
    ["error: secret key is corrupt\n", 1, "bad-key"],
    ["error: secret key is not valid\n", 1, "bad-key"],
    ["error: Garbage collection not supported by store 'file:///tmp/nixlab/cache'\n", 1, "not-supported"],
    ["error: --set is not supported for this Nix store\n", 1, "not-supported"],
    ["error: profile version 9 does not exist\n", 1, "generation-invalid"],
    ["error: no profile version older than the current (5) exists\n", 1, "generation-invalid"],
    ["error: cannot delete current version of profile /p/system'\n", 1, "generation-invalid"],
    ["something odd\n", 1, "unknown"],
    ["", 100, "build-failed"],
    // Substitution names the root cause only in a warning.
    ["warning: the substitute for '/nix/store/d4j7-top' from 'file:///c' is not signed by any of the keys in 'trusted-public-keys'\nerror: build of '/nix/store/d4j7-top' failed\n", 1, "signature-untrusted"],
    // A default-substituter DNS warning does not hide a build failure.
    ["warning: unable to download 'https://cache.nixos.org/nix-cache-info': Couldn't resolve host name (6)\nerror: builder for '/nix/store/y.drv' failed with exit code 1\n", 100, "build-failed"],
  ];
  for (const [stderr, exit, code] of cases) {
    test(`${code}: ${stderr.split("\n").find((l) => l.startsWith("error")) ?? JSON.stringify(stderr)}`, () => {
      assert.equal(classifyNixFailure(stderr, exit), code);
    });
  }
  test("every error code has a recorded stderr (or is raised by the adapter itself)", () => {
    const covered = new Set<string>([...cases.map((c) => c[2]), "timeout", "key-exists"]);
    assert.deepEqual(NIX_ERROR_CODES.filter((c) => !covered.has(c)), []);
  });
  test("a timed-out run is a timeout whatever stderr says", () => {
    assert.equal(classifyNixFailure("error: interrupted by the user\n", 1, true), "timeout");
  });
});

describe("decodeVerify", () => {
  test("exit 3: modified and untrusted paths, each attributed", () => {
    const stderr = `checking '${LEAF}'...\npath '${LEAF}' was modified! expected hash 'sha256:08yr', got 'sha256:0l1v'\npath '${LEAF}' is untrusted\nchecking '${MID}'...\n`;
    const r = decodeVerify(3, stderr);
    assert.ok(r);
    assert.equal(r.corrupted && r.untrusted && !r.otherErrors && !r.ok, true);
    assert.deepEqual(r.paths, [
      { path: LEAF, ok: false, untrusted: true, modified: { expected: "sha256:08yr", got: "sha256:0l1v" } },
      { path: MID, ok: true, untrusted: false },
    ]);
  });
  test("exit 4: a missing path is an error on that path", () => {
    const r = decodeVerify(4, `don't know how to build these paths:\n  ${TOP}\nerror: path '${TOP}' is not valid\n`);
    assert.deepEqual(r?.errors, [{ code: "path-invalid", message: `path '${TOP}' is not valid`, path: TOP }]);
    assert.equal(r.paths[0]?.ok, false);
  });
  test("an exit code the lines do not explain means the command failed", () => {
    assert.equal(decodeVerify(1, "error: public key is not valid\n"), null);
    assert.equal(decodeVerify(2, `checking '${LEAF}'...\n`), null);
    assert.equal(decodeVerify(9, ""), null);
    assert.equal(decodeVerify(4, "error: unable to download 'http://x/nix-cache-info': Couldn't connect to server (7)\n"), null);
  });
});

describe("profiles, GC, config, version", () => {
  test("--list-generations: number, local time, current (trailing spaces kept by Nix)", () => {
    const gens = parseGenerations("   1   2026-11-25 23:58:39   \n   2   2026-11-25 23:58:39   \n  10   2026-11-25 23:58:40   (current)\n");
    assert.deepEqual(gens.map((g) => [g.number, g.date, g.current]), [[1, "2026-11-25 23:58:39", false], [2, "2026-11-25 23:58:39", false], [10, "2026-11-25 23:58:40", true]]);
    assert.equal(gens[2]?.createdAt.getTime(), new Date(2026, 10, 25, 23, 58, 40).getTime());
    assert.deepEqual(parseGenerations(""), []);
    assert.throws(() => parseGenerations("garbage\n"), /unexpected line/);
  });
  test("GC roots and collection output", () => {
    assert.deepEqual(parseGcRoots(`/tmp/p/system-5-link -> ${MID}\n/tmp/a -> b/result -> ${TOP}\n`), [
      { link: "/tmp/a -> b/result", path: TOP },
      { link: "/tmp/p/system-5-link", path: MID },
    ]);
    const r = parseGcResult("2 store paths deleted, 1.50 MiB freed\n", `finding garbage collector roots...\ndeleting garbage...\ndeleting '${TOP}'\ndeleting '${MID}'\ndeleting '/nix/store/trash'\ndeleted more than 1 bytes; stopping\n`);
    assert.deepEqual(r, { deleted: [TOP, MID].sort(), deletedCount: 2, freedBytes: 1572864 });
  });
  test("show-config JSON: 2.8's experimental-features ordinals become names", () => {
    const cfg = parseConfigJson(JSON.stringify({
      "experimental-features": { aliases: [], defaultValue: [], description: "…", value: [2, 3] },
      substituters: { aliases: ["binary-caches"], defaultValue: ["https://cache.nixos.org/"], value: [] },
      "require-sigs": { defaultValue: true, value: true },
    }));
    assert.deepEqual(cfg["experimental-features"]?.value, ["flakes", "nix-command"]);
    assert.deepEqual(cfg.substituters, { value: [], defaultValue: ["https://cache.nixos.org/"], aliases: ["binary-caches"] });
    assert.equal(cfg["require-sigs"]?.value, true);
  });
  test("versions of Nix and Lix", () => {
    assert.deepEqual(parseVersion("nix (Nix) 2.8.0\n"), { raw: "nix (Nix) 2.8.0", version: "2.8.0", major: 2, minor: 8, patch: 0 });
    assert.equal(parseVersion("nix (Nix) 2.24.10pre20241024_dirty").minor, 24);
    assert.equal(parseVersion("nix (Lix, like Nix) 2.91.1").version, "2.91.1");
    assert.throws(() => parseVersion("what"));
  });
});
