/**
 * Who may do what: the role matrix, node credentials confined to their own
 * node, revoked/expired/malformed tokens, bootstrap token limits, the
 * failed-authentication limiter (fake clock), and no secret in any log line.
 */
// Answers are read as loose JSON here; their shapes are checked against the OpenAPI schemas in api.test.ts.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertProblem, startTestServer, type TestServer } from "./_harness.js";

describe("authorization matrix", () => {
  let s: TestServer;
  let a: { id: string; credential: string };
  let b: { id: string; credential: string };
  before(async () => {
    s = await startTestServer();
    a = await s.enroll("node-a");
    b = await s.enroll("node-b");
    await s.heartbeat(a);
    await s.heartbeat(b);
  });
  after(() => s.close());

  test("node A cannot read or change node B, by id or by name", async () => {
    for (const ref of [b.id, "node-b"]) {
      assertProblem(await s.request("GET", `/v1/nodes/${ref}`, { token: a.credential }), 403, "forbidden");
      assertProblem(await s.request("GET", `/v1/nodes/${ref}/desired`, { token: a.credential }), 403, "forbidden");
      assertProblem(await s.request("POST", `/v1/nodes/${ref}/heartbeat`, { token: a.credential, body: { factsHash: "0".repeat(64) } }), 403, "forbidden");
      assertProblem(await s.request("POST", `/v1/nodes/${ref}/cordon`, { token: a.credential }), 403, "forbidden");
    }
    // Not even whether a node exists: an unknown name gives the same 403.
    assertProblem(await s.request("GET", "/v1/nodes/no-such-node", { token: a.credential }), 403, "forbidden");
    const bAfter = await s.request("GET", `/v1/nodes/${b.id}`, { token: s.admin });
    assert.equal(bAfter.json.state, "Ready");
  });

  test("a node reads itself, by id and by name, and nothing operator-wide", async () => {
    assert.equal((await s.request("GET", `/v1/nodes/${a.id}`, { token: a.credential })).json.name, "node-a");
    assert.equal((await s.request("GET", "/v1/nodes/node-a", { token: a.credential })).json.id, a.id);
    assertProblem(await s.request("POST", `/v1/nodes/${a.id}/cordon`, { token: a.credential }), 403, "forbidden");
    assertProblem(await s.request("GET", "/v1/nodes", { token: a.credential }), 403, "forbidden");
    assertProblem(await s.request("GET", "/v1/tokens", { token: a.credential }), 403, "forbidden");
    assertProblem(await s.request("POST", "/v1/enroll", { token: a.credential, body: { name: "x" } }), 403, "forbidden");
  });

  test("viewer < operator < admin", async () => {
    const cases: [string, string, unknown, { viewer: number; operator: number; admin: number }][] = [
      ["GET", "/v1/nodes", undefined, { viewer: 200, operator: 200, admin: 200 }],
      ["GET", `/v1/nodes/${a.id}`, undefined, { viewer: 200, operator: 200, admin: 200 }],
      ["GET", `/v1/nodes/${a.id}/desired`, undefined, { viewer: 200, operator: 200, admin: 200 }],
      ["POST", `/v1/nodes/${a.id}/cordon`, undefined, { viewer: 403, operator: 200, admin: 409 }],
      ["POST", `/v1/nodes/${a.id}/uncordon`, undefined, { viewer: 403, operator: 200, admin: 409 }],
      ["GET", "/v1/tokens", undefined, { viewer: 403, operator: 403, admin: 200 }],
      ["POST", "/v1/tokens", { name: "ci", role: "viewer" }, { viewer: 403, operator: 403, admin: 201 }],
      ["POST", "/v1/bootstrap-tokens", {}, { viewer: 403, operator: 403, admin: 201 }],
      ["GET", "/v1/audit", undefined, { viewer: 403, operator: 403, admin: 200 }],
      ["POST", "/v1/enroll", { name: "nope" }, { viewer: 403, operator: 403, admin: 403 }],
      ["POST", `/v1/nodes/${a.id}/heartbeat`, { factsHash: "0".repeat(64) }, { viewer: 403, operator: 403, admin: 403 }],
    ];
    for (const [method, path, body, want] of cases) {
      for (const role of ["viewer", "operator", "admin"] as const) {
        const r = await s.request(method, path, { token: s[role], ...(body !== undefined ? { body } : {}) });
        assert.equal(r.status, want[role], `${role} ${method} ${path}: ${r.text}`);
        if (r.status === 403) assertProblem(r, 403, "forbidden");
      }
    }
  });

  test("a viewer cannot cordon, and the node stays as it was", async () => {
    const r = await s.request("POST", "/v1/nodes/node-b/cordon", { token: s.viewer });
    assertProblem(r, 403, "forbidden");
    assert.match(r.json.detail, /role operator or higher; token victor has role viewer/);
    assert.equal((await s.request("GET", "/v1/nodes/node-b", { token: s.viewer })).json.state, "Ready");
  });
});

describe("credentials that do not authenticate", () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(() => s.close());

  test("missing, malformed, unknown, wrong-secret, revoked and expired tokens all get the same 401", async () => {
    const created = await s.request("POST", "/v1/tokens", { token: s.admin, body: { name: "short", role: "admin", expiresInSeconds: 60 } });
    const revoked = await s.request("POST", "/v1/tokens", { token: s.admin, body: { name: "gone", role: "admin" } });
    assert.equal((await s.request("DELETE", `/v1/tokens/${revoked.json.id}`, { token: s.admin })).status, 200);
    assert.equal((await s.request("GET", "/v1/nodes", { token: created.json.token })).status, 200);
    s.clock.advance(61_000);
    const wrongSecret = s.admin.slice(0, -4) + (s.admin.endsWith("AAAA") ? "BBBB" : "AAAA");
    const bad = [
      undefined, "", "hp_op_", "Basic dXNlcjpwYXNz", "hp_op_0123456789abcdef_short", "hp_xx_0123456789abcdef_" + "A".repeat(43),
      "hp_op_0123456789abcdef_" + "A".repeat(43), wrongSecret, revoked.json.token, created.json.token, "x".repeat(5000),
    ];
    let first: unknown;
    for (const token of bad) {
      const r = await s.request("GET", "/v1/nodes", token === undefined ? {} : { token, ip: "198.51.100.7" });
      assertProblem(r, 401, "unauthenticated");
      assert.equal(r.headers.get("www-authenticate"), 'Bearer realm="hostplane"');
      first ??= r.json;
      assert.deepEqual(r.json, first, "every failure answers the same problem");
    }
  });

  test("bootstrap tokens: use limits, expiry, and the same answer for unknown and expired", async () => {
    const twice = await s.bootstrap({ uses: 2 });
    assert.equal((await s.request("POST", "/v1/enroll", { token: twice, body: { name: "one" } })).status, 201);
    assert.equal((await s.request("POST", "/v1/enroll", { token: twice, body: { name: "two" } })).status, 201);
    const usedUp = await s.request("POST", "/v1/enroll", { token: twice, body: { name: "three" } });
    assertProblem(usedUp, 401, "unauthenticated");

    const shortLived = await s.bootstrap({ ttlSeconds: 60 });
    s.clock.advance(60_000);
    const expired = await s.request("POST", "/v1/enroll", { token: shortLived, body: { name: "late" } });
    const unknown = await s.request("POST", "/v1/enroll", { token: "hp_boot_00000000000000ff_" + "Q".repeat(43), body: { name: "late" } });
    assertProblem(expired, 401, "unauthenticated");
    assert.deepEqual(expired.json, unknown.json);
    assert.deepEqual(usedUp.json, unknown.json);
    assert.equal((await s.request("GET", "/v1/nodes/late", { token: s.admin })).status, 404, "nothing enrolled");
  });

  test("a name conflict does not consume a use of the bootstrap token", async () => {
    const once = await s.bootstrap({ uses: 1 });
    assertProblem(await s.request("POST", "/v1/enroll", { token: once, body: { name: "one" } }), 409, "name-taken");
    assert.equal((await s.request("POST", "/v1/enroll", { token: once, body: { name: "fresh" } })).status, 201);
  });

  test("a bootstrap token enrolls only its role", async () => {
    const cp = await s.bootstrap({ role: "control-plane", labels: { rack: "r1" } });
    assertProblem(await s.request("POST", "/v1/enroll", { token: cp, body: { name: "cp-1", role: "microvm-host" } }), 403, "forbidden");
    const r = await s.request("POST", "/v1/enroll", { token: cp, body: { name: "cp-1" } });
    assert.equal(r.status, 201);
    const node = await s.request("GET", "/v1/nodes/cp-1", { token: s.admin });
    assert.equal(node.json.role, "control-plane");
    assert.deepEqual(node.json.labels, { rack: "r1" });
  });

  test("a decommissioned node's revoked credential is refused", async () => {
    const n = await s.enroll("retiring");
    assert.equal((await s.request("GET", `/v1/nodes/${n.id}`, { token: n.credential })).status, 200);
    assert.equal(await s.repo.revokeNodeCredentials(n.id, new Date(s.clock.now()).toISOString()), 1);
    assertProblem(await s.request("GET", `/v1/nodes/${n.id}`, { token: n.credential }), 401, "unauthenticated");
  });
});

describe("failed authentication is rate limited per address", () => {
  test("10 failures a minute, then 429 with Retry-After, even for a valid token; other addresses unaffected; refills with time", async () => {
    const s = await startTestServer({ authFailures: { burst: 10, perMinute: 10 } });
    try {
      const bad = "hp_op_0123456789abcdef_" + "A".repeat(43);
      for (let i = 0; i < 10; i++) assertProblem(await s.request("GET", "/v1/nodes", { token: bad, ip: "203.0.113.9" }), 401, "unauthenticated");
      const limited = await s.request("GET", "/v1/nodes", { token: bad, ip: "203.0.113.9" });
      assertProblem(limited, 429, "too-many-auth-failures");
      assert.equal(limited.headers.get("retry-after"), "6");
      assertProblem(await s.request("GET", "/v1/nodes", { token: s.admin, ip: "203.0.113.9" }), 429, "too-many-auth-failures");
      assert.equal((await s.request("GET", "/v1/nodes", { token: s.admin, ip: "203.0.113.10" })).status, 200);
      // Successes from an address never count.
      for (let i = 0; i < 30; i++) assert.equal((await s.request("GET", "/v1/nodes", { token: s.viewer, ip: "203.0.113.11" })).status, 200);
      s.clock.advance(5_999);
      assert.equal((await s.request("GET", "/v1/nodes", { token: s.admin, ip: "203.0.113.9" })).status, 429);
      s.clock.advance(1);
      assert.equal((await s.request("GET", "/v1/nodes", { token: s.admin, ip: "203.0.113.9" })).status, 200);
      // One token back: one more failure empties the bucket again.
      assert.equal((await s.request("GET", "/v1/nodes", { token: bad, ip: "203.0.113.9" })).status, 401);
      assert.equal((await s.request("GET", "/v1/nodes", { token: bad, ip: "203.0.113.9" })).status, 429);
      const metrics = (await s.request("GET", "/metrics")).text;
      assert.match(metrics, /hostplane_auth_failures_total\{kind="op",reason="unknown-or-wrong-secret"\} 11/);
      assert.match(metrics, /hostplane_auth_failures_total\{kind="any",reason="rate_limited"\} 4/);
    } finally {
      await s.close();
    }
  });
});

describe("logs", () => {
  test("no issued secret appears in any log record; failures log kind and id only", async () => {
    const s = await startTestServer();
    try {
      const n = await s.enroll("logged");
      await s.heartbeat(n);
      await s.request("POST", "/v1/tokens", { token: s.admin, body: { name: "ci", role: "operator" } });
      await s.request("POST", "/v1/nodes/logged/cordon", { token: s.operator });
      const wrong = s.admin.slice(0, -6) + "ZZZZZZ";
      await s.request("GET", "/v1/nodes", { token: wrong });
      await s.request("GET", "/v1/nodes", { token: "hp_node_garbage" });
      await s.request("GET", "/v1/nodes", { token: n.credential + "x" });
      s.secrets.push(wrong, n.credential + "x");
      const text = s.logs.map((r) => JSON.stringify(r)).join("\n");
      assert.ok(s.secrets.length >= 8, `tracked ${s.secrets.length} secrets`);
      for (const secret of s.secrets) {
        // hp_<kind>_<id>_<secret>: the secret is everything after the third '_' (base64url, so it may hold '_' itself).
        const part = secret.split("_").slice(3).join("_").slice(0, 19);
        assert.ok(!text.includes(secret), `token ${secret.slice(0, 24)}… in the logs`);
        assert.ok(!text.includes(part), `secret part of ${secret.slice(0, 24)}… in the logs`);
      }
      assert.doesNotMatch(text, /authorization|bearer/i);
      const failures = s.logs.filter((r) => r.msg === "authentication failed");
      assert.deepEqual(failures.map((f) => [f.kind, f.credentialId === null ? null : typeof f.credentialId, f.reason]), [
        ["op", "string", "unknown-or-wrong-secret"], ["malformed", null, "malformed"], ["malformed", null, "malformed"],
      ]);
      const requests = s.logs.filter((r) => r.msg === "request");
      assert.ok(requests.every((r) => typeof r.time === "string" && typeof r.durationMs === "number" && typeof r.route === "string" && typeof r.status === "number"));
      assert.ok(requests.some((r) => r.actor === "operator:oscar" && r.route === "/v1/nodes/:id/cordon" && r.level === "info"));
      // Routine agent successes are debug (production logs info and up); failures stay visible.
      assert.deepEqual(requests.filter((r) => r.route === "/v1/nodes/:id/heartbeat").map((r) => [r.status, r.level]), [[200, "debug"]]);
      assert.ok(requests.filter((r) => r.status === 401).every((r) => r.level === "info"));
    } finally {
      await s.close();
    }
  });
});
