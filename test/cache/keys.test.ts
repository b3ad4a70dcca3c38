import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import {
  KeyError,
  formatPublicKey,
  generateKeyPair,
  nextKeyName,
  parsePublicKey,
  parseSecretKey,
  publicKeyOf,
  splitKeyName,
  writeSecretKeyFile,
} from "../../src/cache/index.js";
import { RECORDED_FLEET1_PUB } from "./_fixtures.js";

function throwsKeyError(fn: () => unknown, source: string, reason: RegExp, mustNotContain: string[] = []): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof KeyError, String(err));
    assert.equal(err.source, source);
    assert.ok(err.message.startsWith(`${source}: `), err.message);
    assert.match(err.reason, reason);
    for (const secret of mustNotContain) assert.ok(!err.message.includes(secret), `error echoes secret material: ${err.message}`);
    return true;
  });
}

test("public keys: Nix's format parses and formats back", () => {
  const key = parsePublicKey(`${RECORDED_FLEET1_PUB}\n`, "pub");
  assert.equal(key.name, "fleet-1");
  assert.equal(key.key.length, 32);
  assert.equal(formatPublicKey(key), RECORDED_FLEET1_PUB);
});

test("public keys: clear errors", () => {
  throwsKeyError(() => parsePublicKey("GF2QKrMWODZfezt3", "trusted-public-keys"), "trusted-public-keys", /no ':' found/);
  throwsKeyError(() => parsePublicKey(":GF2QKrMWODZfezt3", "k"), "k", /empty name/);
  throwsKeyError(() => parsePublicKey("my key:GF2Q", "k"), "k", /contains spaces/);
  throwsKeyError(() => parsePublicKey("fleet-1:AAAA", "k"), "k", /expected 32 bytes, got 3/);
  throwsKeyError(() => parsePublicKey("fleet-1:notbase64!!", "k"), "k", /"notbase64!!" is not valid base64/);
  // URL-safe base64 is not Nix's alphabet (Node's decoder would accept it).
  throwsKeyError(() => parsePublicKey(RECORDED_FLEET1_PUB.replace("/", "_"), "k"), "k", /not valid base64/);
  const { secretKey } = generateKeyPair("fleet-9");
  const secretText = secretKey.revealNixFormat();
  throwsKeyError(() => parsePublicKey(secretText, "k"), "k", /looks like a SECRET key/, [secretText.slice(8), secretText.slice(8, 30)]);
});

test("secret keys: generate, reveal, parse back; the public half matches node's derivation", () => {
  const { secretKey, publicKey } = generateKeyPair("fleet-2");
  const text = secretKey.revealNixFormat();
  assert.match(text, /^fleet-2:[A-Za-z0-9+/]{86}==$/);
  const again = parseSecretKey(`${text}\n`, "/etc/nix/secret");
  assert.equal(again.name, "fleet-2");
  assert.deepEqual(publicKeyOf(again), publicKey);
  assert.equal(formatPublicKey(publicKey).length, "fleet-2:".length + 44);
  // A signature made with the secret verifies with an independently built node key.
  const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), publicKey.key]);
  const sig = again.sign("hello");
  assert.ok(verify(null, Buffer.from("hello"), createPublicKey({ key: spki, format: "der", type: "spki" }), sig));
  assert.notDeepEqual(generateKeyPair("fleet-2").publicKey.key, publicKey.key);
});

test("secret keys: errors never echo key material", () => {
  const { secretKey, publicKey } = generateKeyPair("fleet-3");
  const text = secretKey.revealNixFormat();
  const body = text.slice("fleet-3:".length);
  const raw = Buffer.from(body, "base64");
  throwsKeyError(() => parseSecretKey(formatPublicKey(publicKey), "sec"), "sec", /expected 64 bytes .* got 32; is this a public key\?/);
  throwsKeyError(() => parseSecretKey(body, "sec"), "sec", /no ':' found/, [body, body.slice(0, 20)]);
  throwsKeyError(() => parseSecretKey(`fleet-3:${body.slice(0, 40)}!${body.slice(41)}`, "sec"), "sec", /not valid base64/, [body.slice(0, 20)]);
  throwsKeyError(() => parseSecretKey(`fleet-3:${body.slice(0, 60)}`, "sec"), "sec", /expected 64 bytes/, [body.slice(0, 20)]);
  const corrupt = Buffer.from(raw);
  corrupt[40]! ^= 1;
  throwsKeyError(() => parseSecretKey(`fleet-3:${corrupt.toString("base64")}`, "sec"), "sec", /is corrupt: its public half does not match its seed/, [body.slice(0, 20), corrupt.toString("base64").slice(0, 20)]);
});

test("secret keys are redacted from JSON, inspection and string conversion", () => {
  const { secretKey } = generateKeyPair("fleet-4");
  const body = secretKey.revealNixFormat().slice("fleet-4:".length);
  const seedB64 = Buffer.from(body, "base64").subarray(0, 32).toString("base64").slice(0, 40);
  for (const shown of [JSON.stringify({ secretKey }), inspect(secretKey), inspect({ deep: { secretKey } }), String(secretKey), [secretKey].join("")]) {
    assert.ok(!shown.includes(body.slice(0, 40)) && !shown.includes(seedB64), shown);
    assert.match(shown, /redacted/);
  }
});

test("key names: invalid names are refused at generation", () => {
  assert.throws(() => generateKeyPair("has space"), /invalid key name/);
  assert.throws(() => generateKeyPair("a:b"), /invalid key name/);
  assert.throws(() => generateKeyPair(""), /invalid key name/);
});

test("splitKeyName and nextKeyName", () => {
  assert.deepEqual(splitKeyName("fleet-3"), { base: "fleet", generation: 3 });
  assert.deepEqual(splitKeyName("cache.nixos.org-1"), { base: "cache.nixos.org", generation: 1 });
  assert.deepEqual(splitKeyName("a-b-12"), { base: "a-b", generation: 12 });
  for (const name of ["fleet", "fleet-", "-3", "fleet-03", "fleet-x", "fleet-1e3"]) assert.equal(splitKeyName(name), null, name);
  assert.equal(nextKeyName("fleet", []), "fleet-1");
  assert.equal(nextKeyName("fleet", ["fleet-1", "fleet-3", "fleet-x", "other-9", "fleetx-7"]), "fleet-4");
  assert.equal(nextKeyName("fleet-2", ["fleet-2", "fleet-2-1"]), "fleet-2-2");
  assert.throws(() => nextKeyName("bad name", []), /invalid key name base/);
});

test("writeSecretKeyFile: mode 0600 regardless of umask, refuses to overwrite, leaves no temp files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hostplane-keys-"));
  const oldUmask = process.umask(0);
  try {
    const path = join(dir, "fleet-1.sec");
    const first = generateKeyPair("fleet-1").secretKey;
    await writeSecretKeyFile(path, first);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, "utf8"), first.revealNixFormat());
    assert.equal(parseSecretKey(readFileSync(path, "utf8"), path).name, "fleet-1");

    const second = generateKeyPair("fleet-1").secretKey;
    await assert.rejects(writeSecretKeyFile(path, second), (err: unknown) => {
      assert.ok(err instanceof KeyError);
      assert.equal(err.source, path);
      assert.match(err.message, /already exists; refusing to overwrite/);
      assert.ok(!err.message.includes(second.revealNixFormat().slice(8, 30)));
      return true;
    });
    assert.equal(readFileSync(path, "utf8"), first.revealNixFormat(), "the existing key must be untouched");

    await writeSecretKeyFile(path, second, { overwrite: true });
    assert.equal(readFileSync(path, "utf8"), second.revealNixFormat());
    assert.equal(statSync(path).mode & 0o777, 0o600);

    writeFileSync(join(dir, "other"), "x", { mode: 0o644 });
    await writeSecretKeyFile(join(dir, "other"), second, { overwrite: true });
    assert.equal(statSync(join(dir, "other")).mode & 0o777, 0o600, "replacing a 0644 file yields 0600");

    await assert.rejects(writeSecretKeyFile(join(dir, "missing", "k.sec"), second), (err: unknown) => err instanceof KeyError && /cannot write secret key fleet-1: ENOENT/.test(err.message));
    assert.deepEqual(readdirSync(dir).sort(), ["fleet-1.sec", "other"]);
  } finally {
    process.umask(oldUmask);
    rmSync(dir, { recursive: true, force: true });
  }
});
