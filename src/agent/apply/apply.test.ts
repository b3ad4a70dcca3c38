/** The apply protocol's pure parts: space decisions, signature checks, recovery per last step, the journal's torn-line rule, and the operation decoder. */
import assert from "node:assert/strict";
import { mkdtemp, rm, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { formatPublicKey, generateKeyPair } from "../../cache/keys.js";
import { signNarinfo } from "../../cache/signature.js";
import type { HealthCheck } from "../../fleet/release.js";
import { decode } from "../wire.js";
import { Journal, parseJournal } from "./journal.js";
import { decideSpace, MiB, neededBytes, parseKeys, unsignedPaths, type CachePath } from "./preflight.js";
import { recoveryFor } from "./steps.js";

const P = (name: string) => `/nix/store/${"a".repeat(31)}${name.length}-${name}`;
const HASH = "sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s";

test("space: margins of 10%, at least 512 MiB on /nix and 64 MiB on /boot; nothing needed when nothing is written", () => {
  assert.equal(neededBytes(0, 512 * MiB), 0);
  assert.equal(neededBytes(100 * MiB, 512 * MiB), 612 * MiB);
  assert.equal(neededBytes(10_000 * MiB, 512 * MiB), 11_000 * MiB);
  assert.deepEqual(decideSpace({ bytesToFetch: 100 * MiB, bootBytes: 0, freeNix: 700 * MiB, freeBoot: 10 * MiB, deadBytes: null }), { ok: true, needNix: 612 * MiB, needBoot: 0 });
  // Short by 12 MiB: measure dead paths first, then collect just what is missing.
  assert.deepEqual(decideSpace({ bytesToFetch: 100 * MiB, bootBytes: 0, freeNix: 600 * MiB, freeBoot: null, deadBytes: null }), { ok: false, collect: 12 * MiB, needNix: 612 * MiB, needBoot: 0 });
  assert.deepEqual(decideSpace({ bytesToFetch: 100 * MiB, bootBytes: 0, freeNix: 600 * MiB, freeBoot: null, deadBytes: 20 * MiB }), { ok: false, collect: 12 * MiB, needNix: 612 * MiB, needBoot: 0 });
  const short = decideSpace({ bytesToFetch: 100 * MiB, bootBytes: 0, freeNix: 600 * MiB, freeBoot: null, deadBytes: 5 * MiB });
  assert.equal(short.ok, false);
  assert.match("reason" in short ? short.reason : "", /has 629145600 bytes .* needs 641728512 bytes \(612\.0 MiB\).*could free only 5242880 bytes/);
  const boot = decideSpace({ bytesToFetch: 0, bootBytes: 30 * MiB, freeNix: 0, freeBoot: 90 * MiB, deadBytes: null });
  assert.match("reason" in boot ? boot.reason : "", /\/boot has 94371840 bytes .* needs 98566144 bytes/);
});

test("signatures: a closure path without a valid signature by a trusted key is named; a forged or other key's one does not count", () => {
  const fleet = generateKeyPair("fleet-1");
  const other = generateKeyPair("other-1");
  const path = (name: string, key = fleet): CachePath => {
    const p = { storePath: P(name), narHash: HASH, narSize: 100, references: [] };
    return { path: p.storePath, narHash: HASH, narSize: 100, references: [], signatures: [signNarinfo(p, key.secretKey)] };
  };
  const keys = parseKeys([formatPublicKey(fleet.publicKey)]);
  const good = path("good");
  const forged = { ...path("forged"), narSize: 101 };
  assert.deepEqual(unsignedPaths([good, path("rogue", other), forged, { ...path("none"), signatures: [] }], keys), [P("forged"), P("none"), P("rogue")].sort());
  assert.throws(() => parseKeys([]), /names no cache.publicKeys/);
  assert.throws(() => parseKeys(["fleet-1:notbase64!"]), /cache.publicKeys\[0\]/);
});

test("recovery: before activation start over; activated without a decision ask the server; confirmed commit; terminal only report", () => {
  assert.deepEqual(["received", "preflight", "fetched", "activating", "activated", "health", "confirm-requested", "confirmed", "committing", "refused", "confirm-timeout", "rolling-back", "committed", "rolled-back", "failed"].map((s) => recoveryFor(s as never)),
    ["start-over", "start-over", "start-over", "ask-server", "ask-server", "ask-server", "ask-server", "commit", "commit", "rollback", "rollback", "rollback", "report", "report", "report"]);
});

test("journal: appended lines read back; a torn last line is ignored and reported; damage before it is an error", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hp-journal-"));
  try {
    const j = new Journal(dir);
    const op = decode.Operation({ id: "op_1", epoch: 3, kind: "upgrade", target: P("sys"), cache: { url: "file:///c", publicKeys: ["k:x"] }, confirmTimeoutSeconds: 60, healthTimeoutSeconds: 120 });
    await j.append("op_1", { step: "received", at: "2026-11-26T10:00:00.000Z", epoch: 3, ok: true, op });
    await j.append("op_1", { step: "preflight", at: "2026-11-26T10:00:01.000Z", epoch: 3, ok: true });
    await appendFile(j.file("op_1"), '{"step":"fetch');
    const read = await j.read("op_1");
    assert.equal(read?.last.step, "preflight");
    assert.equal(read?.torn, true);
    assert.equal(read?.op.epoch, 3);
    assert.equal(await j.read("op_2"), null);
    assert.deepEqual((await j.list()).journals.map((x) => x.id), ["op_1"]);
    assert.throws(() => parseJournal("x", '{"step":"received"\n{"step":"preflight","at":"t","epoch":1,"ok":true}\n', "x.jsonl"), /x\.jsonl:1 is not JSON/);
    assert.throws(() => j.file("../etc/passwd"), /cannot name a journal file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("operations: health-check commands must be paths inside the closure; a release's checks decode as they are", () => {
  const base = { id: "op_1", epoch: 1, kind: "upgrade", target: P("sys"), cache: { url: "file:///c", publicKeys: [] }, confirmTimeoutSeconds: 60, healthTimeoutSeconds: 120 };
  const checks: HealthCheck[] = [{ kind: "command", path: "bin/health-check", args: ["-v"], timeoutSeconds: 30 }, { kind: "http", url: "http://127.0.0.1:8080/healthz", timeoutSeconds: 10 }];
  assert.deepEqual(decode.Operation({ ...base, healthChecks: checks }).healthChecks, checks);
  for (const path of ["/bin/sh", "../../bin/sh", "bin/../../x"]) {
    assert.throws(() => decode.Operation({ ...base, healthChecks: [{ kind: "command", path }] }), /healthChecks\.0\.path/);
  }
  assert.throws(() => decode.Operation({ ...base, target: "/tmp/x" }), /target: expected a store path/);
  assert.throws(() => decode.Operation({ ...base, epoch: 0 }), /epoch/);
  const desired = { version: 1, state: "Ready", drain: null, decommission: false };
  assert.equal(decode.DesiredState({ ...desired, operation: null }).operation, null);
  assert.equal("operation" in decode.DesiredState(desired), false);
  assert.equal(decode.DesiredState({ ...desired, operation: base }).operation?.id, "op_1");
});
