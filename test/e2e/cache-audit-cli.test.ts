/**
 * `hostplane cache audit` and `revoke` end to end with real Nix: a closure
 * built in a chroot store, signed with a key made by `cache key generate`,
 * copied into a file:// binary cache.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostplane } from "../harness/cli.js";
import { closureFixture, makeLab, NIX_SKIP } from "../nix/harness.js";

const NIXOS_KEY = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

test("audit passes a signed closure; revoke reports exactly the paths only the revoked key signed", { skip: NIX_SKIP ?? false }, async () => {
  const lab = await makeLab("cli-audit");
  try {
    const env = lab.env;
    const k1 = hostplane(["cache", "key", "generate", "--name", "fleet", "--out-dir", lab.dir], lab.dir, env).stdout.trim();
    const k2 = hostplane(["cache", "key", "generate", "--name", "fleet", "--out-dir", lab.dir], lab.dir, env).stdout.trim();
    writeFileSync(join(lab.dir, "hostplane-trust.yaml"), [
      "substituters:", "  - url: https://cache.fleet.example", "    keys: [fleet-1, fleet-2]",
      "keys:", `  - publicKey: ${NIXOS_KEY}`, `  - publicKey: ${k1}`, `  - publicKey: ${k2}`, "signer: fleet-2", "",
    ].join("\n"));

    const store = lab.storePath("store");
    const nix = lab.nix(store);
    const [top] = await nix.build({ expr: `(import ${await lab.file("f.nix", closureFixture("audit-cli"))}).top` });
    const closure = await nix.closure(top!);
    assert.equal(closure.length, 3);
    // Every path signed by fleet-1; only `top` also by fleet-2.
    assert.equal(hostplane(["cache", "sign", "--store", store, "--key", join(lab.dir, "fleet-1.sec"), "--recursive", top!], lab.dir, env).code, 0);
    assert.equal(hostplane(["cache", "sign", "--store", store, "--key", join(lab.dir, "fleet-2.sec"), top!], lab.dir, env).code, 0);
    const cacheUrl = `file://${join(lab.dir, "cache")}`;
    await nix.copy({ to: cacheUrl, paths: [top!] });

    const ok = hostplane(["cache", "audit", "--cache", cacheUrl, top!], lab.dir, env);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /3\/3 paths pass/);

    writeFileSync(join(lab.dir, "release.json"), JSON.stringify({ nodes: { "web-1": { system: top } } }));
    const revoke = hostplane(["cache", "revoke", "--key", "fleet-1", "--reason", "test compromise", "--cache", cacheUrl, "--manifest", "release.json", "--json"], lab.dir, env);
    assert.equal(revoke.code, 1, revoke.stdout + revoke.stderr);
    const result = JSON.parse(revoke.stdout) as { impact: { report: { total: number; problems: { path: string }[] }; manifests: Record<string, string[]> } };
    const only1 = closure.filter((p) => p !== top).sort();
    assert.deepEqual(result.impact.report.problems.map((p) => p.path).sort(), only1);
    assert.deepEqual(result.impact.manifests["release.json"]?.sort(), only1);
    const policy = readFileSync(join(lab.dir, "hostplane-trust.yaml"), "utf8");
    assert.match(policy, /status: revoked/);
    assert.match(policy, /reason: test compromise/);

    // After revocation the audit fails on exactly those paths, as revoked-only.
    const after = hostplane(["cache", "audit", "--cache", cacheUrl, "--manifest", "release.json", "--json"], lab.dir, env);
    assert.equal(after.code, 1);
    const report = JSON.parse(after.stdout) as { problems: { path: string; kind: string }[] };
    assert.deepEqual(report.problems.map((p) => `${p.kind} ${p.path}`).sort(), only1.map((p) => `revoked-only ${p}`));

    // The signer cannot be revoked, and a missing cache is a clear error.
    const signer = hostplane(["cache", "revoke", "--key", "fleet-2"], lab.dir, env);
    assert.equal(signer.code, 2);
    assert.match(signer.stderr, /fleet-2 is the policy's signer/);
    const gone = hostplane(["cache", "audit", "--cache", "http://127.0.0.1:9/", top!], lab.dir, env);
    assert.equal(gone.code, 3);
    assert.match(gone.stderr, /127\.0\.0\.1:9/);
  } finally {
    await lab.cleanup();
  }
});

test("scan-closure finds a key planted deep in a built closure, never prints it, and is silent on a clean one", { skip: NIX_SKIP ?? false }, async () => {
  const lab = await makeLab("cli-scan");
  try {
    // A fake PEM key assembled at run time; the shell script writes it into the leaf of the closure.
    const body = Array.from({ length: 6 }, (_, i) => "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + String(i).repeat(32)).join("\\n");
    const pem = "-----BEGIN " + "PRIVATE KEY-----\\n" + body + "\\n-----END " + "PRIVATE KEY-----";
    const expr = (leak: boolean): string => `let mk = name: script: derivation { inherit name; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" script ]; };
      leaf = mk "leaf" "mkdir -p $out/etc; printf '%s\\\\n' 'config = 1' ${leak ? `'${pem}'` : "'nothing here'"} > $out/etc/app.conf";
      top = mk "top" "mkdir $out; echo \${leaf} > $out/ref";
    in top`;
    const store = lab.storePath("store");
    const nix = lab.nix(store);
    const [leaky] = await nix.build({ expr: expr(true) });
    const [clean] = await nix.build({ expr: expr(false) });
    const found = hostplane(["cache", "scan-closure", "--store", store, leaky!, "--json"], lab.dir, lab.env);
    assert.equal(found.code, 1, found.stderr);
    const result = JSON.parse(found.stdout) as { paths: number; findings: { ruleId: string; file: string; storePath: string }[] };
    assert.equal(result.paths, 2);
    assert.deepEqual(result.findings.map((f) => [f.ruleId, f.file]), [["secret/private-key", "etc/app.conf"]]);
    assert.match(result.findings[0]!.storePath, /-leaf$/);
    assert.ok(!found.stdout.includes("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), "the key material must not be printed");
    const none = hostplane(["cache", "scan-closure", "--store", store, clean!], lab.dir, lab.env);
    assert.equal(none.code, 0, none.stdout);
    assert.match(none.stdout, /no credentials found/);
  } finally {
    await lab.cleanup();
  }
});

test("rotate status: the double-sign stage holds only once every path verifies by the new key", { skip: NIX_SKIP ?? false }, async () => {
  const lab = await makeLab("cli-rotate");
  try {
    const env = lab.env;
    const run = (...args: string[]): ReturnType<typeof hostplane> => hostplane(args, lab.dir, env);
    const k1 = run("cache", "key", "generate", "--name", "fleet", "--out-dir", lab.dir).stdout.trim();
    writeFileSync(join(lab.dir, "hostplane-trust.yaml"), [
      "substituters:", "  - url: https://cache.fleet.example", "    keys: [fleet-1]",
      "keys:", `  - publicKey: ${NIXOS_KEY}`, `  - publicKey: ${k1}`, "signer: fleet-1", "",
    ].join("\n"));
    const k2 = run("cache", "key", "generate", "--name", "fleet", "--out-dir", lab.dir, "--add-to-policy").stdout.trim();
    writeFileSync(join(lab.dir, "host.conf"), `trusted-public-keys = ${NIXOS_KEY} ${k1} ${k2}\n`);
    const store = lab.storePath("store");
    const nix = lab.nix(store);
    const [top] = await nix.build({ expr: `(import ${await lab.file("f.nix", closureFixture("rotate-cli"))}).top` });
    assert.equal(run("cache", "sign", "--store", store, "--key", join(lab.dir, "fleet-1.sec"), "--recursive", top!).code, 0);
    const cacheUrl = `file://${join(lab.dir, "cache")}`;
    await nix.copy({ to: cacheUrl, paths: [top!] });
    const status = (): { next: { id: string } | null; stages: { id: string; state: string; detail: string }[] } =>
      JSON.parse(run("cache", "rotate", "status", "--name", "fleet", "--hosts", "host.conf", "--cache", cacheUrl, top!, "--json").stdout) as never;

    let s = status();
    assert.equal(s.next?.id, "double-sign");
    assert.match(s.stages[2]!.detail, /3\/3 paths do not verify by fleet-2 alone/);
    // Sign the whole closure with the new key, in the cache itself.
    assert.equal(run("cache", "sign", "--store", cacheUrl, "--key", join(lab.dir, "fleet-2.sec"), "--recursive", top!).code, 0);
    s = status();
    assert.equal(s.stages[2]!.state, "done", s.stages[2]!.detail);
    assert.equal(s.next?.id, "switch-signer");
  } finally {
    await lab.cleanup();
  }
});
