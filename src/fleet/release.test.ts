import { test } from "node:test";
import assert from "node:assert/strict";
import { ReleaseManifestSchema, releasePaths, targetFor } from "./release.js";

const HOST = "/nix/store/0c0mx3cxlz8yxkfqbaw1vlcd7xadpkqd-nixos-system-h-26.05";
const WEB3 = "/nix/store/1c0mx3cxlz8yxkfqbaw1vlcd7xadpkqd-nixos-system-web-3-26.05";

test("a manifest with roles and a per-node override; targetFor prefers the node's entry", () => {
  const m = ReleaseManifestSchema.parse({
    schema: "hostplane.release/v1", source: { commit: "0123abcd" },
    roles: { "microvm-host": { path: HOST, closureSize: 1_500_000_000, kernel: "k1" } },
    nodes: { "web-3": { path: WEB3 } },
  });
  assert.equal(targetFor(m, { name: "web-1", role: "microvm-host" })?.path, HOST);
  assert.equal(targetFor(m, { name: "web-3", role: "microvm-host" })?.path, WEB3);
  assert.equal(targetFor(m, { name: "cp-1", role: "control-plane" }), null);
  assert.deepEqual(releasePaths(m), [HOST, WEB3]);
});

test("every problem is reported with its path: bad store path, unknown field, no source, nothing to run", () => {
  const r = ReleaseManifestSchema.safeParse({
    schema: "hostplane.release/v1", source: {},
    roles: { "microvm-host": { path: "/nix/store/not-a-hash-nixos", size: 3 } },
    nodes: { "Web_3": { path: WEB3 } },
  });
  assert.equal(r.success, false);
  const issues = r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  assert.ok(issues.some((i) => i.startsWith("roles.microvm-host.path: must be a store path")), issues.join("\n"));
  assert.ok(issues.some((i) => i.startsWith("roles.microvm-host") && /size/.test(i)), issues.join("\n"));
  assert.ok(issues.some((i) => i.startsWith("source: give source.commit, source.flake or both")), issues.join("\n"));
  assert.ok(issues.some((i) => i.startsWith("nodes.Web_3") || /node name/.test(i)), issues.join("\n"));
  const empty = ReleaseManifestSchema.safeParse({ schema: "hostplane.release/v1", source: { flake: "github:o/r?rev=abc" } });
  assert.deepEqual(empty.error?.issues.map((i) => i.message), ["a release names at least one system, in roles or nodes"]);
  assert.equal(ReleaseManifestSchema.safeParse({ schema: "hostplane.release/v2", source: { commit: "0123abcd" }, nodes: { a: { path: WEB3 } } }).success, false);
});

test("health checks: a command is a path inside the closure (never absolute, never '..'); an HTTP check needs an http(s) URL", () => {
  const base = { schema: "hostplane.release/v1", source: { commit: "0123abcd" } } as const;
  const ok = ReleaseManifestSchema.parse({ ...base, nodes: { a: { path: WEB3, healthChecks: [{ kind: "command", path: "bin/health-check" }, { kind: "http", url: "http://127.0.0.1:8080/healthz" }] } } });
  assert.deepEqual(ok.nodes!["a"]!.healthChecks, [
    { kind: "command", path: "bin/health-check", args: [], timeoutSeconds: 30 },
    { kind: "http", url: "http://127.0.0.1:8080/healthz", timeoutSeconds: 10 },
  ]);
  for (const path of ["/bin/sh", "../x", "bin/../../etc/x", "bin/.."]) {
    const r = ReleaseManifestSchema.safeParse({ ...base, nodes: { a: { path: WEB3, healthChecks: [{ kind: "command", path }] } } });
    assert.equal(r.success, false, path);
    assert.match(r.error.issues[0]!.message, /relative path inside the system closure/, path);
  }
  assert.equal(ReleaseManifestSchema.safeParse({ ...base, nodes: { a: { path: WEB3, healthChecks: [{ kind: "http", url: "file:///etc/passwd" }] } } }).success, false);
});

