/**
 * Differential tests against real Nix 2.8: our verdict on a cache's narinfos
 * (trusting key A) must equal what `nix copy --from file://…` decides, our
 * signatures must equal Nix's byte for byte, and keys we generate must be
 * usable by Nix. Fixtures are built from scratch in a chroot store.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  formatPublicKey,
  generateKeyPair,
  parseNarinfo,
  parsePublicKey,
  parseSecretKey,
  publicKeyOf,
  referencePaths,
  signNarinfo,
  verifyNarinfo,
  writeNarinfo,
  writeSecretKeyFile,
  type NarinfoVerdict,
  type PublicKey,
  type SecretKey,
} from "../../src/cache/index.js";
import { mapLimit } from "../harness/nix-oracle.js";
import { FIXTURE_NIX, NIX_STORE_BIN, NixLab, nixLabUnavailable, sandboxPaths } from "./_nix-lab.js";

const NIX = "/usr/bin/nix";
const unavailable = nixLabUnavailable();
if (unavailable) console.log(`# skipping nix-differential: ${unavailable}`);

interface Fixture {
  leaf: string;
  mid: string;
  top: string;
  caR: string;
  caFlat: string;
  topDrv: string;
  midDrv: string;
}

type CacheName = "cache-unsigned" | "cache-a" | "cache-b" | "cache-ab";
type Outcome = "accept" | "lacks" | "hard-error";

interface Case {
  name: string;
  cache: CacheName;
  target: keyof Fixture;
  trust?: Array<"a" | "b">;
  edit?: { path: keyof Fixture; fn: (text: string) => string };
  expect: Outcome;
}

describe("cache trust chain vs real Nix 2.8", { skip: unavailable }, () => {
  let lab: NixLab;
  let p: Fixture;
  const pub: Record<"a" | "b", PublicKey> = {} as Record<"a" | "b", PublicKey>;
  let secretA: SecretKey;
  let leafNarHash: { sri: string; base16: string };

  before(async () => {
    lab = new NixLab(mkdtempSync(join(tmpdir(), "hostplane-nixdiff-")));
    writeFileSync(lab.path("fixtures.nix"), FIXTURE_NIX);
    const built = await lab.ok("/usr/bin/nix-build", ["--store", lab.store, "--option", "sandbox-paths", sandboxPaths(), "--no-out-link", lab.path("fixtures.nix"), "-A", "leaf", "-A", "mid", "-A", "top"]);
    const [leaf, mid, top] = built.trim().split("\n");
    if (!leaf?.endsWith("-hp-leaf") || !mid?.endsWith("-hp-mid") || !top?.endsWith("-hp-top")) throw new Error(`unexpected nix-build output: ${built}`);
    writeFileSync(lab.path("hp-ca.txt"), "a content-addressed fixture\n");
    writeFileSync(lab.path("hp-flat.txt"), "a flat-hashed fixture\n");
    const caR = (await lab.ok(NIX_STORE_BIN, ["--store", lab.store, "--add", lab.path("hp-ca.txt")])).trim();
    const caFlat = (await lab.ok(NIX_STORE_BIN, ["--store", lab.store, "--add-fixed", "sha256", lab.path("hp-flat.txt")])).trim();
    const topDrv = (await lab.ok(NIX_STORE_BIN, ["--store", lab.store, "--query", "--deriver", top])).trim();
    const midDrv = (await lab.ok(NIX_STORE_BIN, ["--store", lab.store, "--query", "--deriver", mid])).trim();
    p = { leaf, mid, top, caR, caFlat, topDrv, midDrv };

    for (const k of ["a", "b"] as const) {
      await lab.ok(NIX_STORE_BIN, ["--generate-binary-cache-key", `hp-${k}-1`, lab.path(`${k}.sec`), lab.path(`${k}.pub`)]);
      pub[k] = parsePublicKey(readFileSync(lab.path(`${k}.pub`), "utf8"), lab.path(`${k}.pub`));
    }
    secretA = parseSecretKey(readFileSync(lab.path("a.sec"), "utf8"), lab.path("a.sec"));

    const unsigned = `file://${lab.path("cache-unsigned")}`;
    await lab.ok(NIX, ["copy", "--store", lab.store, "--to", unsigned, top, caR, caFlat]);
    await lab.ok(NIX, ["copy", "--store", lab.store, "--to", unsigned, "--derivation", topDrv]);
    const sign = async (cache: string, key: string): Promise<void> => {
      await lab.ok(NIX, ["store", "sign", "--store", `file://${lab.path(cache)}`, "--key-file", lab.path(key), leaf, mid, top]);
    };
    lab.cloneCache("cache-unsigned", "cache-a");
    await sign("cache-a", "a.sec");
    lab.cloneCache("cache-unsigned", "cache-b");
    await sign("cache-b", "b.sec");
    lab.cloneCache("cache-unsigned", "cache-ab");
    await sign("cache-ab", "b.sec"); // B first: Nix still writes A's line first (signatures are a sorted set)
    await sign("cache-ab", "a.sec");
    await lab.ok(NIX, ["store", "sign", "--store", lab.store, "--key-file", lab.path("a.sec"), leaf, mid, top]);

    const narHash = parseNarinfo(lab.readNarinfo("cache-unsigned", leaf), "leaf").narHash;
    leafNarHash = {
      sri: (await lab.ok(NIX, ["hash", "to-sri", narHash])).trim(),
      base16: `sha256:${(await lab.ok(NIX, ["hash", "to-base16", narHash])).trim()}`,
    };
  });

  after(() => {
    if (lab) rmSync(lab.dir, { recursive: true, force: true });
  });

  test("Nix's key files parse; the secret's public half equals Nix's public key file", () => {
    assert.deepEqual(publicKeyOf(secretA), pub.a);
    assert.equal(formatPublicKey(pub.a), readFileSync(lab.path("a.pub"), "utf8").trim());
  });

  test("every narinfo Nix wrote round-trips through parse and write byte for byte", () => {
    let count = 0;
    for (const cache of ["cache-unsigned", "cache-a", "cache-ab"]) {
      for (const file of readdirSync(lab.path(cache)).filter((f) => f.endsWith(".narinfo"))) {
        const text = readFileSync(lab.path(cache, file), "utf8");
        assert.equal(writeNarinfo(parseNarinfo(text, lab.path(cache, file))), text, `${cache}/${file}`);
        count++;
      }
    }
    assert.ok(count >= 3 * 8, `only ${count} narinfos`);
    const ab = lab.readNarinfo("cache-ab", p.leaf);
    assert.ok(ab.indexOf("Sig: hp-a-1:") < ab.indexOf("Sig: hp-b-1:"), ab);
  });

  test("signNarinfo with A's secret equals Nix's Sig: line byte for byte (cache and local store)", async () => {
    const info = JSON.parse(await lab.ok(NIX, ["path-info", "--json", "--store", lab.store, p.leaf, p.mid, p.top])) as Array<{ path: string; signatures?: string[] }>;
    for (const path of [p.leaf, p.mid, p.top]) {
      const ours = signNarinfo(parseNarinfo(lab.readNarinfo("cache-unsigned", path), path), secretA);
      assert.ok(lab.readNarinfo("cache-a", path).includes(`\nSig: ${ours}\n`), `${path}: ${ours}`);
      assert.deepEqual(info.find((i) => i.path === path)?.signatures, [ours], path);
    }
  });

  test("our verdict (trusting A) equals nix copy's decision", async () => {
    const swapSig = (t: string): string => t.replace(/^Sig: (hp-a-1:\S*)$/m, (_m, s: string) => `Sig: ${s.replaceAll("+", "-").replaceAll("/", "_")}`);
    const urlSafeTarget = (["leaf", "mid", "top"] as const).find((k) => /^Sig: hp-a-1:.*[+/]/m.test(lab.readNarinfo("cache-a", p[k])));
    const zeroSig = `hp-a-1:${Buffer.alloc(64).toString("base64")}`;
    const leafNar = parseNarinfo(lab.readNarinfo("cache-a", p.leaf), "leaf").narHash;
    const cases: Case[] = [
      { name: "signed by A", cache: "cache-a", target: "top", expect: "accept" },
      { name: "signed by B only", cache: "cache-b", target: "top", expect: "lacks" },
      { name: "signed by B only, trusting A and B", cache: "cache-b", target: "top", trust: ["a", "b"], expect: "accept" },
      { name: "signed by A and B", cache: "cache-ab", target: "top", expect: "accept" },
      { name: "signed by A and B, trusting only B", cache: "cache-ab", target: "top", trust: ["b"], expect: "accept" },
      { name: "unsigned", cache: "cache-unsigned", target: "top", expect: "lacks" },
      { name: "tampered NarHash", cache: "cache-a", target: "leaf", edit: { path: "leaf", fn: (t) => t.replace(/^NarHash: .*$/m, `NarHash: ${parseNarinfo(lab.readNarinfo("cache-a", p.mid), "mid").narHash}`) }, expect: "lacks" },
      { name: "tampered NarSize", cache: "cache-a", target: "leaf", edit: { path: "leaf", fn: (t) => t.replace(/^NarSize: (\d+)$/m, (_m, n: string) => `NarSize: ${Number(n) + 1}`) }, expect: "lacks" },
      { name: "tampered References (dropped)", cache: "cache-a", target: "top", edit: { path: "top", fn: (t) => t.replace(/^References: .*$/m, `References: ${p.leaf.slice(11)}`) }, expect: "lacks" },
      { name: "tampered References (added)", cache: "cache-a", target: "mid", edit: { path: "mid", fn: (t) => t.replace(/^References: (.*)$/m, (_m, r: string) => `References: ${r} ${p.caR.slice(11)}`) }, expect: "lacks" },
      { name: "References reordered", cache: "cache-a", target: "top", edit: { path: "top", fn: (t) => t.replace(/^References: (\S+) (\S+)$/m, "References: $2 $1") }, expect: "accept" },
      { name: "NarHash written as SRI", cache: "cache-a", target: "leaf", edit: { path: "leaf", fn: (t) => t.replace(leafNar, leafNarHash.sri) }, expect: "accept" },
      { name: "NarHash written as base16", cache: "cache-a", target: "leaf", edit: { path: "leaf", fn: (t) => t.replace(leafNar, leafNarHash.base16) }, expect: "accept" },
      { name: "Deriver changed (not signed)", cache: "cache-a", target: "leaf", edit: { path: "leaf", fn: (t) => t.replace(/^Deriver: .*$/m, `Deriver: ${p.midDrv.slice(11)}`) }, expect: "accept" },
      { name: "extra bad sig: A's name, 3 bytes", cache: "cache-a", target: "leaf", edit: { path: "leaf", fn: (t) => `${t}Sig: hp-a-1:AAAA\n` }, expect: "hard-error" },
      { name: "extra bad sig: unknown key, 3 bytes", cache: "cache-a", target: "leaf", edit: { path: "leaf", fn: (t) => `${t}Sig: someone-1:AAAA\n` }, expect: "accept" },
      { name: "extra bad sig: A's name, 64 zero bytes", cache: "cache-a", target: "leaf", edit: { path: "leaf", fn: (t) => `${t}Sig: ${zeroSig}\n` }, expect: "accept" },
      { name: "extra bad sig: no colon", cache: "cache-a", target: "leaf", edit: { path: "leaf", fn: (t) => `${t}Sig: nocolon\n` }, expect: "accept" },
      { name: "only sig: A's name, 64 zero bytes", cache: "cache-unsigned", target: "leaf", edit: { path: "leaf", fn: (t) => `${t}Sig: ${zeroSig}\n` }, expect: "lacks" },
      { name: "only sig: no colon", cache: "cache-unsigned", target: "leaf", edit: { path: "leaf", fn: (t) => `${t}Sig: nocolon\n` }, expect: "lacks" },
      { name: "A's sig without padding", cache: "cache-a", target: "leaf", edit: { path: "leaf", fn: (t) => t.replace(/^(Sig: hp-a-1:\S*?)=+$/m, "$1") }, expect: "accept" },
      { name: "A's sig duplicated", cache: "cache-a", target: "leaf", edit: { path: "leaf", fn: (t) => t + /^Sig: .*\n/m.exec(t)![0] }, expect: "accept" },
      ...(urlSafeTarget ? [{ name: "A's sig in URL-safe base64", cache: "cache-a", target: urlSafeTarget, edit: { path: urlSafeTarget, fn: swapSig }, expect: "hard-error" } satisfies Case] : []),
      { name: "CA fixed:r:sha256, unsigned", cache: "cache-unsigned", target: "caR", expect: "accept" },
      { name: "CA fixed:sha256 (flat), unsigned", cache: "cache-unsigned", target: "caFlat", expect: "accept" },
      { name: "CA text (.drv with references), unsigned", cache: "cache-unsigned", target: "topDrv", expect: "accept" },
      { name: "CA path with A's name, 3 bytes", cache: "cache-unsigned", target: "caR", edit: { path: "caR", fn: (t) => `${t}Sig: hp-a-1:AAAA\n` }, expect: "accept" },
      { name: "CA hash tampered", cache: "cache-unsigned", target: "caR", edit: { path: "caR", fn: (t) => t.replace(/^CA: fixed:r:.*$/m, `CA: fixed:r:${leafNar}`) }, expect: "lacks" },
      { name: "CA .drv with a reference dropped", cache: "cache-unsigned", target: "topDrv", edit: { path: "topDrv", fn: (t) => t.replace(/^References: .*$/m, `References: ${p.midDrv.slice(11)}`) }, expect: "lacks" },
      { name: "forged CA line on an input-addressed path", cache: "cache-unsigned", target: "leaf", edit: { path: "leaf", fn: (t) => `${t}CA: fixed:r:${leafNar}\n` }, expect: "lacks" },
    ];

    const results = await mapLimit(cases, 4, async (c, i = cases.indexOf(c)) => {
      const cache = lab.cloneCache(c.cache, `case-${i}`);
      if (c.edit) lab.editNarinfo(`case-${i}`, p[c.edit.path], c.edit.fn);
      const trusted = (c.trust ?? ["a"]).map((k) => pub[k]);
      const ours = ourVerdicts(cache, p[c.target], trusted);
      const nix = await lab.run(NIX, [
        "copy", "--from", `file://${cache}`, "--to", lab.path(`dst-${i}`),
        "--option", "trusted-public-keys", trusted.map(formatPublicKey).join(" "),
        ...(c.target.endsWith("Drv") ? ["--derivation"] : []), p[c.target],
      ]);
      return { c, ours, nix };
    });

    const problems: string[] = [];
    for (const { c, ours, nix } of results) {
      const outcome = nixOutcome(nix);
      const rejected = [...ours.entries()].filter(([, v]) => !v.accepted);
      const oursAccepts = rejected.length === 0;
      const describe = `${c.name}: nix ${outcome.kind}${outcome.path ? ` (${outcome.path})` : ""}; ours ${oursAccepts ? "accepts" : rejected.map(([path, v]) => `${path.slice(44)}=${v.status}`).join(",")}`;
      if (process.env.HOSTPLANE_DIFF_VERBOSE) console.log(describe);
      if (outcome.kind === "unexplained") problems.push(`${describe}\n    nix stderr: ${nix.stderr.trim().split("\n").at(-1)}`);
      else if (outcome.kind !== c.expect) problems.push(`${describe} — expected nix to ${c.expect}`);
      else if ((outcome.kind === "accept") !== oursAccepts) problems.push(`${describe} — DISAGREE`);
      else if (outcome.kind === "lacks" && !rejected.some(([path, v]) => path === outcome.path && v.invalidSigs.every((s) => s.reason === "mismatch"))) problems.push(`${describe} — nix rejected another path or reason`);
      else if (outcome.kind === "hard-error" && !rejected.some(([, v]) => v.invalidSigs.some((s) => s.reason === "malformed"))) problems.push(`${describe} — we did not see a malformed trusted signature`);
    }
    assert.ok(cases.length >= 29, `${cases.length} cases`);
    assert.deepEqual(problems, []);
  });

  test("keys from generateKeyPair work in Nix, both ways", async () => {
    const ours = generateKeyPair("hp-ours-1");
    const secFile = lab.path("ours.sec");
    await writeSecretKeyFile(secFile, ours.secretKey);
    const paths = [p.leaf, p.mid, p.top];
    // Nix signs with our secret key file; Nix and we accept the result with our public key.
    const cacheN = lab.cloneCache("cache-unsigned", "cache-ours-nix");
    await lab.ok(NIX, ["store", "sign", "--store", `file://${cacheN}`, "--key-file", secFile, ...paths]);
    for (const path of paths) {
      const text = lab.readNarinfo("cache-ours-nix", path);
      const n = parseNarinfo(text, path);
      assert.equal(verifyNarinfo(n, [ours.publicKey]).status, "valid", path);
      assert.ok(text.includes(`\nSig: ${signNarinfo(n, ours.secretKey)}\n`), path);
    }
    const verifyWith = (cache: string, key: PublicKey): Promise<{ code: number }> =>
      lab.run(NIX, ["store", "verify", "--store", `file://${cache}`, "--trusted-public-keys", formatPublicKey(key), ...paths]);
    assert.equal((await verifyWith(cacheN, ours.publicKey)).code, 0);
    assert.equal((await verifyWith(cacheN, pub.a)).code, 2, "a store trusting only A must find these untrusted");
    // We sign; Nix verifies with our public key.
    const cacheT = lab.cloneCache("cache-unsigned", "cache-ours-ts");
    for (const path of paths) {
      lab.editNarinfo("cache-ours-ts", path, (t) => `${t}Sig: ${signNarinfo(parseNarinfo(t, path), ours.secretKey)}\n`);
    }
    assert.equal((await verifyWith(cacheT, ours.publicKey)).code, 0);
    const copied = await lab.run(NIX, ["copy", "--from", `file://${cacheT}`, "--to", lab.path("dst-ours"), "--option", "trusted-public-keys", formatPublicKey(ours.publicKey), p.top]);
    assert.equal(copied.code, 0, copied.stderr);
  });
});

/** Our verdict for every narinfo in the closure of `target` in a file:// cache directory. */
function ourVerdicts(cacheDir: string, target: string, trusted: readonly PublicKey[]): Map<string, NarinfoVerdict> {
  const out = new Map<string, NarinfoVerdict>();
  const queue = [target];
  while (queue.length > 0) {
    const path = queue.pop()!;
    if (out.has(path)) continue;
    const file = join(cacheDir, `${path.slice(11, 43)}.narinfo`);
    const n = parseNarinfo(readFileSync(file, "utf8"), file);
    out.set(path, verifyNarinfo(n, trusted));
    queue.push(...referencePaths(n).filter((r) => r !== path));
  }
  return out;
}

function nixOutcome(r: { code: number; stderr: string }): { kind: Outcome | "unexplained"; path?: string } {
  if (r.code === 0) return { kind: "accept" };
  const lacks = /cannot add path '([^']+)' because it lacks a valid signature/.exec(r.stderr);
  if (lacks) return { kind: "lacks", path: lacks[1]! };
  if (/signature is not valid|invalid character in Base64 string/.test(r.stderr)) return { kind: "hard-error" };
  return { kind: "unexplained" };
}
