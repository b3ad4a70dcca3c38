/**
 * `hostplane release` as a process against a server with a real signed
 * file:// cache: manifest problems found before anything is sent, the
 * server's closure check answered path by path, list/show/--json, and the
 * manifest's published JSON Schema.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { releaseManifestJsonSchema } from "../../src/cli/release/manifest-file.js";
import { REPO_ROOT } from "../harness/cli.js";
import { cliFleet } from "./_cli-fleet.js";
import { manifest, SYSTEMS } from "./_rollouts.js";

test("release create: an invalid manifest lists every problem with its JSON path and exits 2; nothing is sent or stored", async (t) => {
  const f = await cliFleet();
  t.after(() => f.close());
  const bad = f.file("bad.json", {
    schema: "hostplane.release/v2", source: {}, extra: 1,
    roles: { "microvm-host": { path: "/usr/bin/evil", healthChecks: [{ kind: "command", path: "/bin/sh" }] } },
  });
  const r = await f.cli(["release", "create", bad]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^hostplane: release manifest bad\.json is not valid, nothing was sent: \d+ problems\n/);
  for (const path of ["schema", "source", "(top level)", "roles.microvm-host.path", "roles.microvm-host.healthChecks.0.path"]) {
    assert.ok(r.stderr.includes(`\n  ${path}: `), `${path} in:\n${r.stderr}`);
  }
  assert.match(r.stderr, /roles\.microvm-host\.path: must be a store path/);
  assert.match(r.stderr, /hostplane release schema/);
  // Checked before the server is even looked for: no server needed to be told.
  const offline = await f.cli(["release", "create", bad], { HOSTPLANE_SERVER: "", HOSTPLANE_TOKEN: "" });
  assert.equal(offline.code, 2);
  assert.equal(offline.stderr, r.stderr);
  const broken = await f.cli(["release", "create", f.file("broken.json", '{\n  "schema": "hostplane.release/v1",\n  "name": oops\n}\n')]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /broken\.json is not valid JSON \(line 3, column \d+\)/);
  const missing = await f.cli(["release", "create", "nope.json"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read release manifest nope\.json: ENOENT/);
  assert.equal((await f.s.repo.listReleases()).length, 0);
  assert.ok(!f.s.logs.some((l) => l.msg === "request" && String(l.route).startsWith("/v1/releases")), "no request reached the server");
});

test("release create against the signed cache: closures missing or signed by an untrusted key are listed by path (exit 2, nothing stored); a good one is stored, listed and shown", async (t) => {
  const f = await cliFleet();
  t.after(() => f.close());
  const rejected = await f.cli(["release", "create", f.file("rejected.json", manifest({ nodes: { "web-3": { path: SYSTEMS.unsigned }, "web-4": { path: SYSTEMS.missing } } }))]);
  assert.equal(rejected.code, 2, rejected.stderr);
  assert.match(rejected.stderr, /^hostplane: the server refused release manifest rejected\.json, nothing was stored \(HTTP 422 release-rejected\): 2 problems\n/);
  assert.match(rejected.stderr, /\n {2}nodes\.web-3\.path: .*(untrusted|stranger-1)/);
  assert.match(rejected.stderr, /\n {2}nodes\.web-4\.path: .*missing/);
  assert.match(rejected.stderr, /hostplane cache audit/);
  assert.equal((await f.s.repo.listReleases()).length, 0);

  const created = await f.cli(["release", "create", f.file("release.json", manifest())]);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^release 2026-11-26\.1 \(rel_\w+\) stored: 1 system, every closure signed by a trusted key\n/);
  assert.match(created.stdout, /hostplane rollout start 2026-11-26\.1/);
  const again = await f.cli(["release", "create", "release.json"]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /a release named 2026-11-26\.1 already exists.*\(HTTP 409 already-exists\)/);

  const list = await f.cli(["release", "list"]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^NAME\s+ID\s+SYSTEMS\s+CREATED\s+BY\n2026-11-26\.1\s+rel_\w+\s+1\s+2026-11-20T10:00:00\.000Z\s+operator:oscar\n$/);
  const show = await f.cli(["release", "show", "2026-11-26.1"]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^source: {2}commit 4b1e0c2$/m);
  assert.ok(show.stdout.includes(`microvm-host: ${SYSTEMS.new}`));
  assert.match(show.stdout, /closure size: 1\.5 GB/);
  assert.match(show.stdout, /health check: bin\/health-check \(timeout 30s\)/);
  const asJson = JSON.parse((await f.cli(["release", "show", "2026-11-26.1", "--json"])).stdout) as { manifest: unknown; paths: string[] };
  assert.deepEqual(asJson.paths, [SYSTEMS.new]);
  assert.equal((asJson.manifest as { roles: Record<string, { path: string }> }).roles["microvm-host"]!.path, SYSTEMS.new);
  const listJson = JSON.parse((await f.cli(["release", "list", "--json"])).stdout) as { releases: { name: string }[] };
  assert.deepEqual(listJson.releases.map((r) => r.name), ["2026-11-26.1"]);
  const unknown = await f.cli(["release", "show", "nope"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no release with id or name "nope".*\(HTTP 404 not-found\)/);
  const usage = await f.cli(["release", "create"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /release create takes one MANIFEST\.json \(see hostplane release --help\)/);
});

test("release schema prints the published schema/release.schema.json (regenerated by npm run docs), which accepts what the CLI accepts", async (t) => {
  const f = await cliFleet();
  t.after(() => f.close());
  const printed = await f.cli(["release", "schema"]);
  assert.equal(printed.code, 0, printed.stderr);
  const schema = JSON.parse(printed.stdout) as Record<string, unknown>;
  assert.deepEqual(schema, releaseManifestJsonSchema());
  const published = JSON.parse(readFileSync(join(REPO_ROOT, "schema/release.schema.json"), "utf8")) as unknown;
  assert.deepEqual(published, schema, "stale schema/release.schema.json: run `npm run docs`");
  assert.equal(schema.title, "hostplane release manifest");
  const validate = new Ajv2020({ strict: false, allErrors: true, validateFormats: false, logger: false }).compile(schema);
  assert.ok(validate(manifest()), JSON.stringify(validate.errors));
  assert.ok(validate(manifest({ nodes: { "web-3": { path: SYSTEMS.other, kernel: "k" } } })), JSON.stringify(validate.errors));
  for (const bad of [manifest({ schema: "hostplane.release/v2" }), manifest({ extra: 1 }), manifest({ roles: { "microvm-host": { path: "/usr/bin/evil" } } })]) {
    assert.equal(validate(bad), false, JSON.stringify(bad));
  }
});
