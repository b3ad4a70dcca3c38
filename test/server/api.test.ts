/**
 * The API's outer contract: problem+json for every error status, the body
 * limit, health and metrics, and the OpenAPI document — complete, valid JSON
 * Schema, and true: real answers validate against the schemas it publishes.
 */
// Answers are read as loose JSON here; their shapes are checked against the OpenAPI schemas in api.test.ts.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { openApiDocument } from "../../src/server/index.js";
import { assertProblem, sampleFacts, startTestServer, type Answer, type TestServer } from "./_harness.js";

describe("problem+json answers", () => {
  let s: TestServer;
  let n: { id: string; credential: string };
  before(async () => {
    s = await startTestServer({ authFailures: { burst: 1, perMinute: 1 } });
    n = await s.enroll("p-1");
  });
  after(() => s.close());

  test("400: schema violations list every issue with its location", async () => {
    const r = await s.request("POST", "/v1/tokens", { token: s.admin, body: { name: "", role: "root", extra: true } });
    assertProblem(r, 400, "invalid-request");
    const paths = [...new Set(r.json.errors.map((e: { path: string }) => e.path))].sort();
    assert.deepEqual(paths, ["body", "body.name", "body.role"]);
    assert.match(r.json.detail, /body\.role/);
  });

  test("400: malformed JSON, and text the store cannot hold", async () => {
    assertProblem(await s.request("POST", "/v1/tokens", { token: s.admin, raw: "{\"name\":" }), 400, "malformed-json");
    const nul = await s.request("POST", "/v1/bootstrap-tokens", { token: s.admin, body: { labels: { a: "x\u0000y" } } });
    assertProblem(nul, 400, "invalid-request");
    assert.equal(nul.json.errors[0].path, "body.labels.a");
    const facts = JSON.stringify(sampleFacts("p-1")).replace('"hostname":"p-1"', '"hostname":"\\ud800"');
    const surrogate = await s.request("POST", `/v1/nodes/${n.id}/heartbeat`, { token: n.credential, raw: `{"factsHash":"${"0".repeat(64)}","facts":${facts}}` });
    assertProblem(surrogate, 400, "invalid-request");
    assert.deepEqual(surrogate.json.errors.map((e: { path: string }) => e.path), ["body.facts.hostname"]);
  });

  test("401, 403, 404 (unknown endpoint and unknown node), 409, 415", async () => {
    assertProblem(await s.request("GET", "/v1/nodes"), 401, "unauthenticated");
    assertProblem(await s.request("GET", "/v1/tokens", { token: s.viewer }), 403, "forbidden");
    assertProblem(await s.request("GET", "/v1/nope", { token: s.admin }), 404, "not-found");
    assertProblem(await s.request("DELETE", "/v1/nodes", { token: s.admin }), 404, "not-found");
    assertProblem(await s.request("GET", "/v1/nodes/ghost", { token: s.admin }), 404, "not-found");
    assertProblem(await s.request("DELETE", "/v1/tokens/00000000000000aa", { token: s.admin }), 404, "not-found");
    assertProblem(await s.request("POST", "/v1/nodes/p-1/uncordon", { token: s.admin }), 409, "illegal-transition");
    assertProblem(await s.request("POST", "/v1/tokens", { token: s.admin, raw: "name=x", contentType: "application/x-www-form-urlencoded" }), 415, "unsupported-media-type");
  });

  test("413 beyond 1 MiB, whether declared or streamed", async () => {
    const big = JSON.stringify({ name: "x".repeat(1 << 20) });
    assertProblem(await s.request("POST", "/v1/tokens", { token: s.admin, raw: big }), 413, "payload-too-large");
    const stream = new ReadableStream({
      start(c) { for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode("x".repeat(100_000))); c.close(); },
    });
    const res = await s.app.request("/v1/tokens", { method: "POST", body: stream, headers: { authorization: `Bearer ${s.admin}`, "content-type": "application/json" }, duplex: "half" }, { remoteAddress: "192.0.2.1" });
    const text = await res.text();
    assertProblem({ status: res.status, headers: res.headers, text, json: JSON.parse(text) }, 413, "payload-too-large");
    // A declared length over the limit is refused from the header alone (a socket delivers no more than it declares).
    const declared = await s.request("POST", "/v1/tokens", { token: s.admin, raw: "{}", headers: { "content-length": String((1 << 20) + 1) } });
    assertProblem(declared, 413, "payload-too-large");
    const body = { name: "fits", role: "viewer" };
    const fits = await s.request("POST", "/v1/tokens", { token: s.admin, body, headers: { "content-length": String(Buffer.byteLength(JSON.stringify(body))) } });
    assert.equal(fits.status, 201, fits.text);
  });

  test("every answer, JSON or problem, carries x-content-type-options: nosniff", async () => {
    const n = await s.enroll("sniff-1");
    for (const r of [await s.heartbeat(n), await s.request("GET", "/v1/nodes", { token: s.viewer }), await s.request("GET", "/v1/nope"), await s.request("GET", "/metrics")]) {
      assert.equal(r.headers.get("x-content-type-options"), "nosniff", `${r.status} ${r.text.slice(0, 80)}`);
    }
  });

  test("429 once an address has used up its failures", async () => {
    assertProblem(await s.request("GET", "/v1/nodes", { token: "hp_op_x", ip: "198.51.100.1" }), 401, "unauthenticated");
    const r = await s.request("GET", "/v1/nodes", { token: "hp_op_x", ip: "198.51.100.1" });
    assertProblem(r, 429, "too-many-auth-failures");
    assert.equal(r.headers.get("retry-after"), "60");
  });

  test("500: an internal failure is logged, and answered without internals", async () => {
    const broken = await startTestServer();
    await broken.repo.close();
    try {
      const r = await broken.request("GET", "/v1/nodes", { token: broken.admin });
      assertProblem(r, 500, "internal");
      assert.equal(r.json.detail, "the server failed to answer this request; the error is in the server log");
      assert.ok(broken.logs.some((l) => l.level === "error" && typeof l.stack === "string"));
      const health = await broken.request("GET", "/v1/health");
      assertProblem(health, 503, "database-unavailable");
    } finally {
      await broken.close().catch(() => {});
    }
  });
});

describe("health and metrics", () => {
  test("health answers ok; metrics parse as Prometheus text and count", async () => {
    const s = await startTestServer();
    try {
      assert.deepEqual((await s.request("GET", "/v1/health")).json, { status: "ok", database: "ok" });
      const a = await s.enroll("m-1");
      const b = await s.enroll("m-2");
      await s.heartbeat(a);
      await s.heartbeat(b, { ok: false });
      await s.request("POST", "/v1/nodes/m-1/cordon", { token: s.operator });
      await s.request("GET", "/v1/nodes/doesnt-exist", { token: s.viewer });
      await s.request("GET", "/v1/random/path/123");
      const res = await s.request("GET", "/metrics");
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const samples = new Map<string, number>();
      for (const line of res.text.split("\n")) {
        if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
        const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (-?[\d.e+-]+|NaN|[+-]Inf)$/.exec(line);
        assert.ok(m, `not a Prometheus sample line: ${line}`);
        samples.set(m[1]!, Number(m[2]));
      }
      assert.equal(samples.get('hostplane_nodes{state="Cordoned"}'), 1);
      assert.equal(samples.get('hostplane_nodes{state="Registered"}'), 1);
      assert.equal(samples.get('hostplane_nodes{state="Ready"}'), 0);
      assert.equal(samples.get('hostplane_node_conditions{condition="ContractFailing"}'), 1);
      assert.equal(samples.get('hostplane_http_requests_total{method="POST",route="/v1/enroll",status="201"}'), 2);
      assert.equal(samples.get('hostplane_http_requests_total{method="POST",route="/v1/nodes/:id/heartbeat",status="200"}'), 2);
      assert.equal(samples.get('hostplane_http_requests_total{method="GET",route="/v1/nodes/:id",status="404"}'), 1);
      assert.equal(samples.get('hostplane_http_requests_total{method="GET",route="unmatched",status="404"}'), 1);
      assert.equal(samples.get("hostplane_heartbeat_duration_seconds_count"), 2);
      // Another app in the same process starts from zero: registries are per app.
      const other = await startTestServer();
      assert.doesNotMatch((await other.request("GET", "/metrics")).text, /route="\/v1\/enroll"/);
      await other.close();
    } finally {
      await s.close();
    }
  });
});

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }>; security?: unknown[] }>>;
  components: { schemas: Record<string, object>; securitySchemes: Record<string, unknown> };
};

describe("the OpenAPI document", () => {
  const doc = JSON.parse(JSON.stringify(openApiDocument())) as Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false, logger: false });
  ajv.addSchema({ $id: "openapi", components: doc.components });
  const validator = (path: string, method: string, status: number) => {
    const content = doc.paths[path]?.[method]?.responses[String(status)]?.content;
    const schema = (content?.["application/json"] ?? content?.["application/problem+json"])?.schema;
    assert.ok(schema, `${method.toUpperCase()} ${path} documents no ${status} JSON answer`);
    const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as object;
    return ajv.compile(rewritten);
  };

  test("is OpenAPI 3.1 with every route, each with problem answers and bearer security where authenticated", () => {
    assert.equal(doc.openapi, "3.1.0");
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    assert.deepEqual(routes, [
      "DELETE /v1/tokens/{id}", "GET /metrics", "GET /v1/audit", "GET /v1/drift", "GET /v1/health", "GET /v1/nodes", "GET /v1/nodes/{id}", "GET /v1/nodes/{id}/desired",
      "GET /v1/nodes/{id}/operations", "GET /v1/nodes/{id}/operations/{op}", "GET /v1/releases", "GET /v1/releases/{id}", "GET /v1/rollouts",
      "GET /v1/rollouts/{id}", "GET /v1/rollouts/{id}/events",
      "GET /v1/tokens", "POST /v1/bootstrap-tokens", "POST /v1/enroll", "POST /v1/nodes/{id}/cordon", "POST /v1/nodes/{id}/decommission",
      "POST /v1/nodes/{id}/drain", "POST /v1/nodes/{id}/heartbeat", "POST /v1/nodes/{id}/operations/{op}/confirm", "POST /v1/nodes/{id}/operations/{op}/events",
      "POST /v1/nodes/{id}/uncordon", "POST /v1/releases", "POST /v1/rollouts", "POST /v1/rollouts/{id}/abort", "POST /v1/rollouts/{id}/pause",
      "POST /v1/rollouts/{id}/resume", "POST /v1/tokens",
    ]);
    assert.deepEqual(Object.keys(doc.components.securitySchemes), ["bearer"]);
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops)) {
        if (p === "/metrics" || p === "/v1/health") continue;
        assert.deepEqual(op.security, [{ bearer: [] }], `${m} ${p}`);
        for (const status of ["401", "403", "429"]) assert.ok(op.responses[status]?.content?.["application/problem+json"], `${m} ${p} ${status}`);
      }
    }
  });

  test("every component schema compiles as JSON Schema 2020-12 and every $ref resolves", () => {
    for (const name of Object.keys(doc.components.schemas)) assert.ok(ajv.getSchema(`openapi#/components/schemas/${name}`), `component ${name} does not compile`);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    assert.ok(refs.length > 10);
    for (const r of refs) assert.ok(doc.components.schemas[r], `dangling $ref ${r}`);
  });

  test("the server serves the same document, and real answers match it", async () => {
    const s = await startTestServer();
    try {
      const served = await s.request("GET", "/v1/openapi.json");
      assert.deepEqual(served.json, doc);
      const check = (r: Answer, path: string, method: string) => {
        const v = validator(path, method, r.status);
        assert.ok(v(r.json), `${method.toUpperCase()} ${path} ${r.status}: ${JSON.stringify(v.errors)}\n${r.text}`);
      };
      const boot = await s.request("POST", "/v1/bootstrap-tokens", { token: s.admin, body: { uses: 3, labels: { zone: "a" } } });
      check(boot, "/v1/bootstrap-tokens", "post");
      const enrolled = await s.request("POST", "/v1/enroll", { token: boot.json.token, body: { name: "doc-1" } });
      check(enrolled, "/v1/enroll", "post");
      const n = { id: enrolled.json.node.id as string, credential: enrolled.json.credential as string };
      check(await s.heartbeat(n), "/v1/nodes/{id}/heartbeat", "post");
      check(await s.request("GET", "/v1/nodes", { token: s.viewer }), "/v1/nodes", "get");
      check(await s.request("GET", "/v1/nodes/doc-1", { token: s.viewer }), "/v1/nodes/{id}", "get");
      check(await s.request("GET", `/v1/nodes/${n.id}/desired`, { token: n.credential }), "/v1/nodes/{id}/desired", "get");
      check(await s.request("POST", "/v1/nodes/doc-1/drain", { token: s.operator, body: { force: true } }), "/v1/nodes/{id}/drain", "post");
      check(await s.request("POST", "/v1/nodes/doc-1/cordon", { token: s.operator }), "/v1/nodes/{id}/cordon", "post");
      const tok = await s.request("POST", "/v1/tokens", { token: s.admin, body: { name: "doc", role: "viewer", expiresInSeconds: 3600 } });
      check(tok, "/v1/tokens", "post");
      check(await s.request("GET", "/v1/tokens", { token: s.admin }), "/v1/tokens", "get");
      check(await s.request("DELETE", `/v1/tokens/${tok.json.id}`, { token: s.admin }), "/v1/tokens/{id}", "delete");
      check(await s.request("GET", "/v1/audit", { token: s.admin }), "/v1/audit", "get");
      check(await s.request("GET", "/v1/health"), "/v1/health", "get");
      check(await s.request("POST", "/v1/tokens", { token: s.admin, body: {} }), "/v1/tokens", "post");
    } finally {
      await s.close();
    }
  });
});
