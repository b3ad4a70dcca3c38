/**
 * scanClosure: secrets in a closure built by real Nix (chroot store), window
 * boundaries checked against detectSecrets over the whole file (the oracle),
 * threads against one thread, symlinks, refusals and skipped entries.
 * Every fake credential is assembled at run time; none is written in this file.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ScanClosureError, scanClosure, type ClosureFinding, type ScanProgress } from "../../src/cache/index.js";
import { maskSecret } from "../../src/guard/secrets/context.js";
import { detectSecrets } from "../../src/guard/secrets/patterns.js";
import { nix32Encode } from "../../src/nix/index.js";
import { makeLab, type Lab } from "../nix/harness.js";
import { nixLabUnavailable } from "./_nix-lab.js";

const MiB = 1 << 20;
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Deterministic pseudo-random bytes (AES-CTR keystream): binary data that looks compressed. */
function seededBytes(n: number, seed: string): Buffer {
  const key = createHash("sha256").update(seed).digest();
  return createCipheriv("aes-256-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

function seededChars(n: number, seed: string, alphabet = ALNUM): string {
  return Array.from(seededBytes(n, seed), (b) => alphabet[b % alphabet.length]).join("");
}

const fake = {
  pem: (seed: string): string =>
    ["-----BEGIN ", "PRIVATE KEY-----\n", ...Array.from({ length: 20 }, (_x, i) => `${seededChars(64, `${seed}${i}`, `${ALNUM}+/`)}\n`), "-----END ", "PRIVATE KEY-----"].join(""),
  github: (seed: string): string => ["gh", "p_", seededChars(36, seed)].join(""),
  gitlab: (seed: string): string => ["gl", "pat-", seededChars(20, seed)].join(""),
  slack: (seed: string): string => ["xo", "xb-", "1234567890", "-", seededChars(24, seed)].join(""),
  jwt: (seed: string, bodyLength: number): string => ["ey", "J", seededChars(40, `${seed}h`), ".ey", "J", seededChars(bodyLength, `${seed}b`), ".", seededChars(43, `${seed}s`)].join(""),
};

/** Writes `value` into `data` at `at` between newlines, so neighbouring bytes cannot extend the match. */
function plant(data: Buffer, at: number, value: string): void {
  data[at - 1] = 10;
  data.write(value, at, "latin1");
  data[at + value.length] = 10;
}

/** `<dir>/<nix32 hash>-<name>`: a store path name that scanClosure accepts. */
function storePathIn(dir: string, name: string): string {
  return join(dir, `${nix32Encode(createHash("sha256").update(name).digest().subarray(0, 20))}-${name}`);
}

/** The oracle: detectSecrets over the whole file as one latin1 string. */
function oracle(data: Buffer): { ruleId: string; offset: number; masked: string }[] {
  const text = data.toString("latin1");
  return detectSecrets(text).map((m) => ({ ruleId: m.ruleId, offset: m.start, masked: maskSecret(text.slice(m.start, m.end)) }));
}

const strip = (fs: readonly ClosureFinding[]): { ruleId: string; offset: number; masked: string }[] =>
  fs.map((f) => ({ ruleId: f.ruleId, offset: f.offset, masked: f.masked }));

describe("scanClosure on files in a store directory", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hostplane-scan-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a secret across a 4 MiB window boundary is found once, at its byte offset, as in one whole-file scan", async () => {
    const data = seededBytes(17 * MiB + 12345, "boundary");
    const pem = fake.pem("b1");
    const slack = fake.slack("b3");
    const planted = [
      { at: 4 * MiB - 2000, value: slack, ruleId: "secret/slack-token" },
      { at: 4 * MiB - 700, value: pem, ruleId: "secret/private-key" }, // straddles the first boundary
      { at: 8 * MiB - 1 - slack.length, value: fake.slack("b6"), ruleId: "secret/slack-token" }, // last byte of window 1
      { at: 8 * MiB, value: fake.github("b2"), ruleId: "secret/github-token" }, // first byte of window 2
      // the URL's scheme is in window 2, its password (where the finding starts) in window 3
      { at: 12 * MiB - 15, value: ["postgres://app:", "s3cr3t-Pa55w0rd", "@db.internal/app"].join(""), ruleId: "secret/url-password" },
      { at: 16 * MiB - 6000, value: fake.jwt("b4", 12_000), ruleId: "secret/jwt" }, // a 12 KB token read from window 3's tail
      { at: 17 * MiB, value: fake.github("b5"), ruleId: "secret/github-token" },
    ];
    for (const p of planted) plant(data, p.at, p.value);
    const sp = storePathIn(dir, "boundary");
    mkdirSync(sp);
    writeFileSync(join(sp, "blob.bin"), data);

    const r = await scanClosure({ paths: [sp], storeDir: dir, jobs: 1 });
    assert.deepEqual(strip(r.findings), oracle(data));
    assert.equal(r.bytes, data.length);
    assert.equal(r.files, 1);
    for (const p of planted) {
      const offset = p.ruleId === "secret/url-password" ? p.at + "postgres://app:".length : p.at;
      const hits = r.findings.filter((f) => f.offset === offset);
      assert.equal(hits.length, 1, `${p.ruleId} at ${offset}: ${JSON.stringify(r.findings)}`);
      assert.equal(hits[0]!.ruleId, p.ruleId);
      assert.equal(hits[0]!.file, "blob.bin");
    }
    const pemHit = r.findings.find((f) => f.ruleId === "secret/private-key")!;
    assert.equal(pemHit.masked, maskSecret(pem));
    assert.ok(!pemHit.masked.includes(pem.slice(30, 60)), "the value is never reported");
  });

  test("threads report exactly what one thread reports (40 MiB: a big file split into units, many small ones)", async () => {
    const root = join(dir, "threads");
    mkdirSync(root);
    const big = seededBytes(36 * MiB + 777, "big");
    const bigPlanted = [16 * MiB - 20, 20 * MiB + 3, 32 * MiB - 100, 32 * MiB];
    bigPlanted.forEach((at, i) => plant(big, at, fake.github(`big${i}`)));
    const a = storePathIn(root, "big");
    mkdirSync(join(a, "lib"), { recursive: true });
    writeFileSync(join(a, "lib", "libbig.so"), big);
    const b = storePathIn(root, "small");
    let smallBytes = 0;
    for (let i = 0; i < 120; i++) {
      const data = seededBytes(30_000 + i * 100, `small${i}`);
      if (i % 10 === 0) plant(data, 1000 + i, fake.slack(`small${i}`));
      mkdirSync(join(b, `d${i % 7}`), { recursive: true });
      writeFileSync(join(b, `d${i % 7}`, `f${i}.gz`), data);
      smallBytes += data.length;
    }
    const progress: ScanProgress[] = [];
    const one = await scanClosure({ paths: [a, b], storeDir: root, jobs: 1 });
    const two = await scanClosure({ paths: [b, a], storeDir: root, jobs: 2, onProgress: (p) => progress.push(p) });
    assert.deepEqual(two, one);
    assert.equal(one.files, 121);
    assert.equal(one.bytes, big.length + smallBytes);
    for (const at of bigPlanted) assert.equal(one.findings.filter((f) => f.storePath === a && f.offset === at && f.ruleId === "secret/github-token").length, 1, `big file, offset ${at}`);
    assert.equal(one.findings.filter((f) => f.storePath === b && f.ruleId === "secret/slack-token").length, 12);
    assert.deepEqual(progress.at(-1), { files: 121, bytes: one.bytes, totalFiles: 121, totalBytes: one.bytes });
  });

  test("symlinks: a secret in the target string is reported; links are never followed, in or out of the store path", async () => {
    const root = join(dir, "links");
    mkdirSync(root);
    const outside = join(dir, "outside-secret.pem");
    writeFileSync(outside, `\n${fake.pem("outside")}\n`);
    const sp = storePathIn(root, "links");
    mkdirSync(join(sp, "etc"), { recursive: true });
    const inner = `# key\n${fake.pem("inner")}\n`;
    writeFileSync(join(sp, "etc", "key.pem"), inner);
    const token = fake.gitlab("link");
    symlinkSync(`/run/secrets/${token}`, join(sp, "etc", "token"));
    symlinkSync(outside, join(sp, "etc", "outside"));
    symlinkSync("key.pem", join(sp, "etc", "inside"));
    symlinkSync("../../", join(sp, "etc", "up"));
    const linkPath = storePathIn(root, "link-itself");
    symlinkSync(outside, linkPath); // a store path that is itself a symlink

    const r = await scanClosure({ paths: [sp, linkPath], storeDir: root });
    assert.deepEqual(r.findings, [
      { storePath: sp, file: "etc/key.pem", ruleId: "secret/private-key", offset: "# key\n".length, masked: maskSecret(fake.pem("inner")), source: "content" },
      { storePath: sp, file: "etc/token", ruleId: "secret/gitlab-token", offset: "/run/secrets/".length, masked: maskSecret(token), source: "symlink-target" },
    ]);
    assert.equal(r.files, 1);
    assert.equal(r.bytes, inner.length);
    assert.deepEqual(r.skipped, []);
  });

  test("paths outside the store directory, or not store paths, are refused before anything is read", async () => {
    const sp = storePathIn(dir, "fine");
    mkdirSync(sp, { recursive: true });
    for (const bad of ["/etc/passwd", "/nix/store/../etc", join(dir, "not-a-store-path"), `${sp}/sub`]) {
      await assert.rejects(scanClosure({ paths: [sp, bad], storeDir: dir }), (e: unknown) => {
        assert.ok(e instanceof ScanClosureError, String(e));
        assert.ok(e.message.includes(`'${bad}'`), e.message);
        assert.match(e.message, /outside the store directory|not <32-char hash>-<name>/);
        return true;
      });
    }
    await assert.rejects(scanClosure({ paths: [sp], storeDir: dir, maxFileBytes: -1 }), ScanClosureError);
    // A logical /nix/store path maps to the store directory given.
    const logical = `/nix/store/${sp.slice(dir.length + 1)}`;
    writeFileSync(join(sp, "token.txt"), `\n${fake.github("logical")}\n`);
    const r = await scanClosure({ paths: [logical], storeDir: dir });
    assert.deepEqual(r.findings.map((f) => [f.storePath, f.file, f.ruleId]), [[logical, "token.txt", "secret/github-token"]]);
  });

  test("unreadable or odd entries are listed in skipped with a reason; the scan goes on", async (t) => {
    const root = join(dir, "skips");
    mkdirSync(root);
    const sp = storePathIn(root, "odd");
    mkdirSync(join(sp, "share"), { recursive: true });
    writeFileSync(join(sp, "share", "token.txt"), `\n${fake.github("odd")}\n`);
    writeFileSync(join(sp, "share", "huge.bin"), Buffer.alloc(5000));
    execFileSync("/usr/bin/mkfifo", [join(sp, "share", "pipe")]);
    const locked = join(sp, "share", "locked.txt");
    writeFileSync(locked, `\n${fake.github("locked")}\n`);
    chmodSync(locked, 0o000);
    const missing = storePathIn(root, "missing");

    const r = await scanClosure({ paths: [sp, missing], storeDir: root, maxFileBytes: 4096 });
    assert.deepEqual(r.findings.map((f) => f.file).filter((f) => f !== "share/locked.txt"), ["share/token.txt"]);
    const reasons = new Map(r.skipped.map((s) => [s.path, s.reason]));
    assert.match(reasons.get(missing) ?? "", /^cannot read the store path at .*ENOENT/);
    assert.match(reasons.get(`${sp}/share/pipe`) ?? "", /not a regular file, directory or symlink: it is a FIFO/);
    assert.match(reasons.get(`${sp}/share/huge.bin`) ?? "", /larger than maxFileBytes \(5000 > 4096 bytes\)/);
    if (process.getuid?.() === 0) {
      t.diagnostic("running as root: a mode-000 file is still readable, so the EACCES case is not exercised");
      assert.equal(r.files, 2);
    } else {
      assert.match(reasons.get(locked) ?? "", /^cannot open: EACCES/);
      assert.equal(r.files, 1);
    }
  });
});

const unavailable = nixLabUnavailable();
if (unavailable) console.log(`# skipping scan-closure on a real Nix closure: ${unavailable}`);

describe("scanClosure on a closure built by real Nix", { skip: unavailable }, () => {
  let lab: Lab;
  let storeDir: string;
  const secret = { pem: fake.pem("nix"), github: fake.github("nix"), gitlab: fake.gitlab("nix") };
  const pemAt = 1_200_001;
  const githubAt = 700_001;
  let big: Buffer;
  let blob: Buffer;
  let closure: string[];
  let cleanClosure: string[];

  before(async () => {
    lab = await makeLab("scan");
    // A 2 MB text of config lines with the key in the middle, and a gzip-looking binary with a token.
    const lines = Array.from({ length: 60_000 }, (_x, i) => `option-${i}.value = "setting-${(i * 7919) % 10007}";`).join("\n");
    big = Buffer.from(lines.slice(0, 2_000_000), "latin1");
    const cleanBig = Buffer.from(big);
    plant(big, pemAt, secret.pem);
    blob = Buffer.concat([Buffer.from("\x1f\x8b\x08\x00", "latin1"), seededBytes(1_000_000, "blob")]);
    const cleanBlob = Buffer.from(blob);
    plant(blob, githubAt, secret.github);
    // Preconditions: the oracle sees exactly the planted secrets and nothing else in these bytes.
    assert.deepEqual(oracle(big).map((f) => [f.ruleId, f.offset]), [["secret/private-key", pemAt]]);
    assert.deepEqual(oracle(blob).map((f) => [f.ruleId, f.offset]), [["secret/github-token", githubAt]]);
    assert.deepEqual([...oracle(cleanBig), ...oracle(cleanBlob)], []);
    await lab.file("big.txt", big.toString("latin1"));
    writeFileSync(join(lab.dir, "blob.bin"), blob);
    writeFileSync(join(lab.dir, "big-clean.txt"), cleanBig);
    writeFileSync(join(lab.dir, "blob-clean.bin"), cleanBlob);
    writeFileSync(join(lab.dir, "outside.pem"), `\n${fake.pem("outside")}\n`);
    const leaf = (name: string, text: string, bin: string, linkTarget: string): string =>
      `${name} = mk "${name}" ''\n` +
      "    mkdir -p $out/share/doc/app $out/lib $out/etc\n" +
      `    cp \${./${text}} $out/share/doc/app/big.txt\n` +
      `    cp \${./${bin}} $out/lib/data.bin.gz\n` +
      `    ln -s ${linkTarget} $out/etc/token-link\n` +
      `    ln -s ${join(lab.dir, "outside.pem")} $out/etc/outside-link\n` +
      "    ln -s ../share/doc/app/big.txt $out/etc/inside-link\n" +
      "  '';";
    const expr = [
      "let",
      '  mk = name: script: derivation { inherit name; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" script ]; };',
      `  ${leaf("leaf", "big.txt", "blob.bin", `/run/secrets/${secret.gitlab}`)}`,
      `  ${leaf("cleanLeaf", "big-clean.txt", "blob-clean.bin", "/run/secrets/api-token")}`,
      '  mid = mk "mid" "mkdir -p $out/bin; echo ${leaf} > $out/bin/deps; seq 1 50000 > $out/bin/numbers";',
      '  cleanMid = mk "cleanMid" "mkdir -p $out/bin; echo ${cleanLeaf} > $out/bin/deps; seq 1 50000 > $out/bin/numbers";',
      '  top = mk "top" "mkdir $out; echo ${mid} > $out/deps";',
      '  cleanTop = mk "cleanTop" "mkdir $out; echo ${cleanMid} > $out/deps";',
      "in { inherit top cleanTop; }",
      "",
    ].join("\n");
    const file = await lab.file("closure.nix", expr);
    const nix = lab.nix(lab.storePath("store"));
    const [top] = await nix.build(file, { attr: "top" });
    const [cleanTop] = await nix.build(file, { attr: "cleanTop" });
    closure = await nix.closure(top!);
    cleanClosure = await nix.closure(cleanTop!);
    storeDir = join(lab.storePath("store"), "nix", "store");
  });
  after(async () => {
    if (lab) await lab.cleanup();
  });

  test("reports exactly the planted secrets, deep in the closure, masked", async () => {
    assert.equal(closure.length, 3, closure.join(" "));
    const leaf = closure.find((p) => p.endsWith("-leaf"))!;
    const r = await scanClosure({ paths: closure, storeDir });
    assert.deepEqual(r.findings, [
      { storePath: leaf, file: "etc/token-link", ruleId: "secret/gitlab-token", offset: "/run/secrets/".length, masked: maskSecret(secret.gitlab), source: "symlink-target" },
      { storePath: leaf, file: "lib/data.bin.gz", ruleId: "secret/github-token", offset: githubAt, masked: maskSecret(secret.github), source: "content" },
      { storePath: leaf, file: "share/doc/app/big.txt", ruleId: "secret/private-key", offset: pemAt, masked: maskSecret(secret.pem), source: "content" },
    ]);
    assert.deepEqual(r.skipped, []);
    assert.equal(r.files, 5); // big.txt, data.bin.gz, bin/deps, bin/numbers, deps
    const mid = closure.find((p) => p.endsWith("-mid"))!;
    const numbers = statSync(join(storeDir, mid.slice("/nix/store/".length), "bin", "numbers")).size;
    // the two `deps` files hold a store path and a newline each
    assert.equal(r.bytes, big.length + blob.length + numbers + leaf.length + 1 + mid.length + 1);
  });

  test("a clean closure of the same size yields nothing", async () => {
    const r = await scanClosure({ paths: cleanClosure, storeDir });
    assert.equal(cleanClosure.length, 3);
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.skipped, []);
    assert.equal(r.files, 5);
    assert.ok(r.bytes > 3_000_000, `${r.bytes} bytes`);
  });
});
