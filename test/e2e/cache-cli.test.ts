/** `hostplane cache` end to end: keys, the trust policy file, trust audits and rotation status. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostplane, scratchTree } from "../harness/cli.js";

const NIXOS_KEY = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
const policyText = (fleetKey: string): string => [
  "# the fleet's trust policy: comments survive edits",
  "substituters:",
  "  - url: https://cache.nixos.org",
  "    keys: [cache.nixos.org-1]",
  "  - url: https://cache.fleet.example",
  "    keys: [fleet-1]",
  "keys:",
  `  - publicKey: ${NIXOS_KEY}`,
  `  - publicKey: ${fleetKey}`,
  "signer: fleet-1",
  "",
].join("\n");

test("key generate: next free generation, secret 0600 and never printed, policy updated in place", () => {
  const dir = scratchTree({});
  try {
    const first = hostplane(["cache", "key", "generate", "--name", "fleet"], dir);
    assert.equal(first.code, 0, first.stderr);
    const pub1 = first.stdout.trim();
    assert.match(pub1, /^fleet-1:[A-Za-z0-9+/]{43}=$/);
    assert.equal(statSync(join(dir, "fleet-1.sec")).mode & 0o777, 0o600);
    const secret = readFileSync(join(dir, "fleet-1.sec"), "utf8").trim();
    assert.ok(!first.stdout.includes(secret.slice(8)) && !first.stderr.includes(secret.slice(8)));
    writeFileSync(join(dir, "hostplane-trust.yaml"), policyText(pub1));
    const second = hostplane(["cache", "key", "generate", "--name", "fleet", "--add-to-policy"], dir);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^fleet-2:/);
    const policy = readFileSync(join(dir, "hostplane-trust.yaml"), "utf8");
    assert.match(policy, /# the fleet's trust policy: comments survive edits/);
    assert.ok(policy.includes(second.stdout.trim()));
    // Bad names are refused before anything is written.
    const bad = hostplane(["cache", "key", "generate", "--name", "fleet-9"], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /without a trailing -N/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a malformed trust policy is a clear error naming the file, key and line", () => {
  const dir = scratchTree({
    "hostplane-trust.yaml": "substituters:\n  - url: https://c.example\n    keys: [nope-1]\nkeys:\n  - publicKey: not-a-key\nsigner: ghost\n",
  });
  try {
    const r = hostplane(["cache", "rotate", "status", "--name", "fleet"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid trust policy hostplane-trust\.yaml/);
    assert.match(r.stderr, /keys\.0\.publicKey \(line 5\): expected a Nix public key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("trust-audit: conforming and non-conforming nix.conf files, revoked keys called out", () => {
  const dir = scratchTree({});
  try {
    const pub1 = hostplane(["cache", "key", "generate", "--name", "fleet"], dir).stdout.trim();
    const pub2 = hostplane(["cache", "key", "generate", "--name", "fleet"], dir).stdout.trim();
    writeFileSync(join(dir, "hostplane-trust.yaml"), policyText(pub1).replace("signer: fleet-1", `  - publicKey: ${pub2}\n    status: revoked\n    reason: laptop lost\nsigner: fleet-1`));
    writeFileSync(join(dir, "good.conf"), `substituters = https://cache.nixos.org https://cache.fleet.example\ntrusted-public-keys = ${NIXOS_KEY} ${pub1}\nrequire-sigs = true\n`);
    writeFileSync(join(dir, "bad.conf"), `substituters = https://cache.nixos.org http://cache.fleet.example\ntrusted-public-keys = ${NIXOS_KEY} ${pub1} ${pub2}\nrequire-sigs = false\n`);
    const ok = hostplane(["cache", "trust-audit", "good.conf"], dir);
    assert.equal(ok.code, 0, ok.stdout);
    const bad = hostplane(["cache", "trust-audit", "good.conf", "bad.conf", "--json"], dir);
    assert.equal(bad.code, 1);
    const report = JSON.parse(bad.stdout) as { sources: { source: string; problems: { ruleId: string; where: string }[] }[] };
    assert.deepEqual(report.sources[0]!.problems, []);
    const ids = report.sources[1]!.problems.map((p) => `${p.where} ${p.ruleId}`).sort();
    assert.deepEqual(ids, [
      // The allowlisted cache over plain HTTP: insecure, but the same cache.
      "bad.conf:1 cache-trust/insecure-substituter",
      "bad.conf:2 cache-trust/revoked-key-trusted",
      "bad.conf:3 cache-trust/require-sigs-disabled",
    ]);
    assert.match(bad.stdout, /laptop lost/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("rotate status reads hosts' nix.conf files and exits 1 until the rotation is complete", () => {
  const dir = scratchTree({});
  try {
    const pub1 = hostplane(["cache", "key", "generate", "--name", "fleet"], dir).stdout.trim();
    writeFileSync(join(dir, "hostplane-trust.yaml"), policyText(pub1));
    const pub2 = hostplane(["cache", "key", "generate", "--name", "fleet", "--add-to-policy"], dir).stdout.trim();
    writeFileSync(join(dir, "h1.conf"), `trusted-public-keys = ${NIXOS_KEY} ${pub1} ${pub2}\n`);
    writeFileSync(join(dir, "h2.conf"), `trusted-public-keys = ${NIXOS_KEY} ${pub1}\nextra-trusted-public-keys = ${pub2}\n`);
    const r = hostplane(["cache", "rotate", "status", "--name", "fleet", "--hosts", "h1.conf", "--hosts", "h2.conf", "--json"], dir);
    assert.equal(r.code, 1);
    const status = JSON.parse(r.stdout) as { from: string; to: string; next: { id: string }; stages: { id: string; state: string }[] };
    assert.deepEqual([status.from, status.to, status.next.id], ["fleet-1", "fleet-2", "double-sign"]);
    assert.deepEqual(status.stages.map((s) => s.state), ["done", "done", "unknown", "pending", "pending"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
