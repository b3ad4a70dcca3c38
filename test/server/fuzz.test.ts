/**
 * API fuzzing: thousands of malformed, oversized and random requests — random
 * methods, paths, queries, credentials, content types and bodies, plus
 * near-valid bodies with one field broken — against the in-process app over a
 * real SQLite repository. Never a 5xx, every error is problem+json, and the
 * database is consistent afterwards.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { factsHash } from "../../src/fleet/facts-hash.js";
import { NODE_STATES } from "../../src/fleet/node.js";
import { NodeFactsSchema, NodeNameSchema } from "../../src/server/schemas.js";
import { sampleFacts, startTestServer } from "./_harness.js";

const RUNS = 3000;
/** Fixed, so a failure reproduces; HOSTPLANE_FUZZ_SEED explores other runs. */
const SEED = Number(process.env["HOSTPLANE_FUZZ_SEED"] ?? 20_261_120);

test(`${RUNS} random requests: no 5xx, problem+json for every error, database consistent`, { timeout: 600_000 }, async (t) => {
  const s = await startTestServer({ authFailures: { burst: 10, perMinute: 3 } });
  try {
    const a = await s.enroll("fuzz-a");
    const b = await s.enroll("fuzz-b");
    await s.heartbeat(a);
    const boot = await s.bootstrap({ uses: 100, ttlSeconds: 86_400 });
    const factsA = sampleFacts("fuzz-a");

    const hex = (n: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: n, maxLength: n });
    const junk = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 20 }), fc.constantFrom("..", "%2e%2e", "%00", "%ff", "%", "n_", "a".repeat(300), "web-1.", "-x", "UPPER", "x_y"));
    const nodeRef = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(a.id, b.id, "fuzz-a", "fuzz-b", "n_0000000000000000") }, { weight: 1, arbitrary: junk });
    const tokenId = fc.oneof(hex(16), junk);
    const ref = (r: string) => encodeURIComponent(r);
    // Mostly real routes with their own method (so requests get past routing to auth and validation), some anything at all.
    const routed = fc.oneof(
      fc.constantFrom<[string, string]>(["GET", "/v1/health"], ["GET", "/metrics"], ["GET", "/v1/openapi.json"], ["GET", "/v1/nodes"], ["GET", "/v1/tokens"], ["POST", "/v1/tokens"], ["POST", "/v1/bootstrap-tokens"], ["GET", "/v1/audit"], ["POST", "/v1/enroll"]),
      nodeRef.map((r): [string, string] => ["GET", `/v1/nodes/${ref(r)}`]),
      fc.tuple(nodeRef, fc.constantFrom("heartbeat", "cordon", "uncordon", "drain", "decommission")).map(([r, act]): [string, string] => ["POST", `/v1/nodes/${ref(r)}/${act}`]),
      nodeRef.map((r): [string, string] => ["GET", `/v1/nodes/${ref(r)}/desired`]),
      tokenId.map((id): [string, string] => ["DELETE", `/v1/tokens/${ref(id)}`]),
    );
    const anything = fc.tuple(
      fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"),
      fc.oneof(
        fc.constantFrom("/", "/v2/nodes", "/v1", "/v1/", "/v1/nodes/", "/v1//nodes", "/V1/NODES"),
        fc.tuple(nodeRef, fc.constantFrom("admit", "x", "heartbeat/x", "")).map(([r, act]) => `/v1/nodes/${ref(r)}/${act}`),
        fc.array(junk, { maxLength: 5 }).map((parts) => "/" + parts.map(ref).join("/")),
      ),
    );
    const target = fc.oneof({ weight: 4, arbitrary: routed }, { weight: 1, arbitrary: anything });
    // Never a valid positive `wait`: a real long-poll would hold the run for a minute.
    const queryValue = fc.oneof(fc.constantFrom("0", "-1", "61", "1e3", "", " 1", "0x10", "9".repeat(30), "node:fuzz-a", "null"), junk);
    const query = fc.array(fc.tuple(fc.constantFrom("since", "wait", "limit", "after", "target", "x"), queryValue), { maxLength: 4 })
      .map((q) => (q.length === 0 ? "" : "?" + q.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")));
    const credential = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(s.admin, s.operator, s.viewer, a.credential, b.credential, boot) },
      { weight: 1, arbitrary: fc.constantFrom(undefined, "", "hp_op_", "Bearer", s.admin + "x", s.admin.slice(0, -1)) },
      { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 80 }).map((t) => `hp_node_${t}`), junk) },
    );
    const validish = fc.oneof(
      fc.record({ name: fc.oneof(fc.constantFrom("fuzz-new", "fuzz-a"), junk), role: fc.oneof(fc.constantFrom("microvm-host", "control-plane"), junk), facts: fc.oneof(fc.constant(factsA), fc.jsonValue()) }, { requiredKeys: [] }),
      fc.record({ factsHash: fc.oneof(fc.constant(factsHash(factsA)), hex(64), junk), facts: fc.oneof(fc.constant(factsA), fc.jsonValue()), contract: fc.oneof(fc.record({ ok: fc.boolean(), failing: fc.array(junk), evaluatedAt: fc.oneof(fc.constant("2026-11-20T10:00:00Z"), junk) }), fc.jsonValue()) }, { requiredKeys: [] }),
      fc.record({ deadlineSeconds: fc.oneof(fc.integer(), fc.double(), junk), force: fc.oneof(fc.boolean(), junk) }, { requiredKeys: [] }),
      fc.record({ name: junk, role: fc.oneof(fc.constantFrom("viewer", "operator", "admin"), junk), expiresInSeconds: fc.oneof(fc.integer(), junk) }, { requiredKeys: [] }),
      fc.record({ ttlSeconds: fc.oneof(fc.integer({ min: 60, max: 100_000 }), fc.integer()), uses: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer()), labels: fc.dictionary(junk, junk), role: junk }, { requiredKeys: [] }),
    ).map((v) => JSON.stringify(v));
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 4, arbitrary: validish },
      { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
      { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
      { weight: 1, arbitrary: fc.constantFrom("{", "[", "\"", "{\"a\":}", "\u0000", "{\"name\":\"\\ud800\"}", "{\"__proto__\":{\"x\":1}}", "1e400", "[".repeat(5000)) },
      { weight: 1, arbitrary: fc.constantFrom("{", "[", "\"", "{\"a\":}") },
      { weight: 1, arbitrary: fc.oneof({ weight: 1, arbitrary: fc.integer({ min: (1 << 20) - 64, max: (1 << 20) + 4096 }) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 4096 }) }).map((n) => JSON.stringify({ name: "x".repeat(n) })) },
    );
    const contentType = fc.constantFrom(undefined, "application/json", "application/json", "application/json", "application/json; charset=utf-8", "text/plain", "application/problem+json", "multipart/form-data", "application/x-www-form-urlencoded", "application/jsonx", "");
    const ip = fc.constantFrom("192.0.2.1", "192.0.2.2", "2001:db8::1", undefined);

    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(target, query, credential, contentType, body, ip, async ([m, p], q, cred, ct, b, addr) => {
        s.clock.advance(1000); // time passes: failure buckets refill, leases age
        const headers: Record<string, string> = {};
        // What a socket would deliver: the header's UTF-8 bytes read as Latin-1, without the bytes HTTP forbids there.
        const onTheWire = (v: string) => Buffer.from(v, "utf8").toString("latin1").replace(/[\0\r\n]/g, "");
        if (cred !== undefined) headers.authorization = onTheWire(cred.startsWith("hp_") ? `Bearer ${cred}` : cred);
        if (ct !== undefined) headers["content-type"] = ct;
        const withBody = b !== undefined && m !== "GET" && m !== "HEAD";
        const res = await s.app.request(p + q, { method: m, headers, ...(withBody ? { body: b } : {}) }, addr === undefined ? {} : { remoteAddress: addr });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(res.status < 500, `${m} ${p}${q} → ${res.status}: ${text.slice(0, 300)}`);
        if (res.status >= 400 && m !== "HEAD") {
          assert.equal(res.headers.get("content-type"), "application/problem+json", `${m} ${p}${q} → ${res.status}`);
          const problem = JSON.parse(text) as { status: number; code: string; detail: string };
          assert.equal(problem.status, res.status);
          assert.doesNotMatch(text, /\bat [\w.<>]+ \(|node_modules|file:\/\//, "no stack traces");
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    t.diagnostic(`seed ${SEED}; answers by status: ${JSON.stringify(Object.fromEntries([...statuses].sort(([x], [y]) => x - y)))}`);
    // The run reached past authentication and validation, not only 401s.
    for (const status of [200, 400, 401, 403, 404, 409, 413, 429]) assert.ok((statuses.get(status) ?? 0) > 5, `status ${status}: ${JSON.stringify([...statuses])}`);

    // The database afterwards: every node well-formed, facts matching their hash, audit ids increasing.
    const nodes = await s.repo.listNodes();
    assert.ok(nodes.length >= 2);
    for (const n of nodes) {
      assert.ok((NODE_STATES as readonly string[]).includes(n.state), n.state);
      assert.ok(NodeNameSchema.safeParse(n.name).success, n.name);
      assert.ok(Number.isInteger(n.version) && n.version >= 1);
      if (n.facts !== null) {
        assert.ok(NodeFactsSchema.safeParse(n.facts).success, `facts of ${n.name}`);
        assert.equal(n.factsHash, factsHash(n.facts));
      }
      assert.equal((await s.repo.getNodeByName(n.name))?.id, n.id);
    }
    const audit = await s.repo.listAudit({});
    for (let i = 1; i < audit.length; i++) assert.ok(audit[i]!.id > audit[i - 1]!.id);
    const versions = new Map<string, number>();
    for (const e of audit.filter((x) => x.action.startsWith("node.") && x.action !== "node.enroll" && x.action !== "node.condition")) {
      const before = e.before as { version: number };
      const after = e.after as { version: number };
      assert.equal(after.version, before.version + 1, `${e.action} on ${e.target}`);
      const last = versions.get(e.target);
      if (last !== undefined) assert.ok(before.version >= last, `${e.target}: audit versions go forward`);
      versions.set(e.target, after.version);
    }
    assert.equal((await s.request("GET", "/v1/health")).status, 200);
  } finally {
    await s.close();
  }
});
