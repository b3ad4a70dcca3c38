/** POST /v1/enroll with a credential the agent made itself: accepted and stored hashed, checked for shape, refused when its id is taken. */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { newCredential } from "../../src/server/credentials.js";
import { assertProblem, startTestServer, type TestServer } from "./_harness.js";

describe("enroll with a proposed credential", () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(() => s.close());

  test("the proposed credential is the node's: answered back, stored as its SHA-256 only, and it authenticates", async () => {
    const proposed = newCredential("node").token;
    // hp_node_ (8) + 16 hex id + _ : the secret (base64url, which may itself hold "_") is the rest.
    const id = proposed.slice(8, 24);
    const secret = proposed.slice(25);
    const r = await s.request("POST", "/v1/enroll", { token: await s.bootstrap(), body: { name: "p-1", credential: proposed } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.credential, proposed);
    const stored = await s.repo.getNodeCredential(id);
    assert.ok(stored, "stored under the proposed id");
    assert.equal(stored.nodeId, r.json.node.id);
    assert.equal(stored.secretHash, createHash("sha256").update(secret).digest("hex"));
    assert.ok(!JSON.stringify(stored).includes(secret), "the secret itself is not stored");
    const self = await s.request("GET", "/v1/nodes/p-1", { token: proposed });
    assert.equal(self.status, 200, self.text);
    assert.equal(self.json.id, r.json.node.id);
    assert.ok(!JSON.stringify(s.logs).includes(secret), "the secret is not logged");
  });

  test("without one, the server makes the credential as before", async () => {
    const r = await s.request("POST", "/v1/enroll", { token: await s.bootstrap(), body: { name: "p-2" } });
    assert.equal(r.status, 201, r.text);
    assert.match(r.json.credential, /^hp_node_[0-9a-f]{16}_[\w-]{43}$/);
  });

  test("a credential of the wrong shape is a 400 naming the field, without echoing it, and spends no token use", async () => {
    const token = await s.bootstrap();
    const good = newCredential("node").token;
    const bad = [
      good.slice(0, -1), // 31 bytes of secret
      good + "A", // longer than 32 bytes
      good.replace("hp_node_", "hp_op_"), // another kind
      good.replace(/_([0-9a-f]{16})_/, (_, id: string) => `_${id.toUpperCase()}_`),
      "hp_node_0123456789abcdef_" + "!".repeat(43),
    ];
    for (const credential of bad) {
      const r = await s.request("POST", "/v1/enroll", { token, body: { name: "p-3", credential } });
      assertProblem(r, 400, "invalid-request");
      assert.deepEqual(r.json.errors.map((e: { path: string }) => e.path), ["body.credential"]);
      assert.ok(!r.text.includes(credential.slice(25)), "the proposed secret is not echoed");
    }
    const ok = await s.request("POST", "/v1/enroll", { token, body: { name: "p-3", credential: good } });
    assert.equal(ok.status, 201, "the one-use token was not spent by the refused requests");
  });

  test("a proposed id already in use is a 409 that says what to do; nothing is created and the token is not spent", async () => {
    const taken = newCredential("node").token;
    assert.equal((await s.request("POST", "/v1/enroll", { token: await s.bootstrap(), body: { name: "p-4", credential: taken } })).status, 201);
    const token = await s.bootstrap();
    const id = taken.slice(8, 24);
    const colliding = `hp_node_${id}_${newCredential("node").token.slice(25)}`;
    const r = await s.request("POST", "/v1/enroll", { token, body: { name: "p-5", credential: colliding } });
    assertProblem(r, 409, "already-exists");
    assert.match(r.json.detail, new RegExp(`credential with id ${id} already exists.*pending-enrollment\\.json`));
    assert.equal((await s.request("GET", "/v1/nodes/p-5", { token: s.admin })).status, 404);
    assert.equal((await s.request("POST", "/v1/enroll", { token, body: { name: "p-5" } })).status, 201, "the token still has its use");
  });
});
