/**
 * Differential test: the same operations against SQLite and PostgreSQL give
 * byte-identical transcripts (records, orderings, JSON key order, error names
 * and messages).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { openDatabase, type Repository } from "../../src/db/index.js";
import { at, bootstrapToken, facts, newNode, operatorToken, sha256 } from "./_fixtures.js";
import { postgresBackend } from "./_postgres.js";

const pg = await postgresBackend();
after(() => pg.cleanup());

test("SQLite and PostgreSQL answer the same operations identically", { skip: pg.skip }, async () => {
  const sqlite = await openDatabase(":memory:", { migrate: true });
  const postgres = await openDatabase(await pg.freshUrl(), { migrate: true });
  try {
    const [a, b] = [await transcript(sqlite), await transcript(postgres)];
    assert.ok(a.length > 30);
    assert.deepEqual(b, a);
  } finally {
    await sqlite.close();
    await postgres.close();
  }
});

async function transcript(repo: Repository): Promise<string[]> {
  const out: string[] = [];
  const step = async (label: string, op: () => Promise<unknown>): Promise<void> => {
    try {
      out.push(`${label} → ${JSON.stringify(await op()) ?? "undefined"}`);
    } catch (e) {
      out.push(`${label} ✗ ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  };
  const h = sha256("x");
  const weird = { "b": "1", "a": "2", "aa": "3", "10": "4", "2": "5", "Z": "6", "é": "7", "🙂": "8", "": "9" };
  for (const name of ["web-b", "Web-a", "web-a", "ωmega", "web-10", "web-9", "x🙂"]) await step(`create ${name}`, () => repo.createNode(newNode(name, { labels: weird })));
  await step("create taken name", () => repo.createNode(newNode("web-a", { id: "other" })));
  await step("create taken id", () => repo.createNode(newNode("other", { id: "id-web-a" })));
  await step("list", () => repo.listNodes());
  await step("heartbeat", () => repo.recordHeartbeat("id-web-a", { at: "2025-03-01T13:00:00+01:00", facts: facts("web-a"), factsHash: h, contract: { ok: false, failing: ["b", "a"], evaluatedAt: at(1) } }));
  await step("heartbeat unknown", () => repo.recordHeartbeat("nope", { at: at(1), factsHash: h, contract: null }));
  await step("get", () => repo.getNode("id-web-a"));
  await step("update", () => repo.updateNode("id-web-a", 1, { state: "Draining", drain: { startedAt: at(2), deadline: at(9), force: true, evictions: { b: { attempts: 1, nextAttemptAt: null, status: "pending" }, a: { attempts: 0, nextAttemptAt: at(3), status: "error", error: "429" } } } }, at(2)));
  await step("update stale", () => repo.updateNode("id-web-a", 1, { state: "Ready" }, at(3)));
  await step("update unknown", () => repo.updateNode("nope", 1, { state: "Ready" }, at(3)));
  await step("update bad time", () => repo.updateNode("id-web-a", 2, { state: "Ready" }, "yesterday"));
  await step("list draining", () => repo.listNodes({ states: ["Draining", "Drained"] }));
  await step("credential", () => repo.createNodeCredential({ id: "c1", nodeId: "id-web-a", secretHash: h, createdAt: at(1) }));
  await step("credential again", () => repo.createNodeCredential({ id: "c1", nodeId: "id-web-a", secretHash: h, createdAt: at(1) }));
  await step("credential of nobody", () => repo.createNodeCredential({ id: "c2", nodeId: "nope", secretHash: h, createdAt: at(1) }));
  await step("revoke credentials", () => repo.revokeNodeCredentials("id-web-a", at(5)));
  await step("get credential", () => repo.getNodeCredential("c1"));
  for (const id of ["t2", "t1", "t3"]) await step(`token ${id}`, () => repo.createOperatorToken(operatorToken(id, id === "t3" ? at(0) : at(1), h)));
  await step("token bad hash", () => repo.createOperatorToken(operatorToken("t4", at(1), "not-a-hash")));
  await step("revoke token", () => repo.revokeOperatorToken("t1", at(6)));
  await step("list tokens", () => repo.listOperatorTokens());
  await step("bootstrap", () => repo.createBootstrapToken(bootstrapToken("b1", h, { usesLeft: 2, labels: weird })));
  for (let i = 0; i < 3; i++) await step(`consume ${i}`, () => repo.consumeBootstrapToken("b1", at(10)));
  await step("consume expired", () => repo.consumeBootstrapToken("b1", at(99999)));
  for (let i = 0; i < 4; i++) {
    await step(`audit ${i}`, () => repo.appendAudit({ at: at(i), actor: "operator:alice", action: "node.update", target: `node:${i % 2}`, before: i === 0 ? undefined : weird, after: { list: [i, weird, null], n: -0, f: 0.1 + 0.2, big: 2 ** 53 - 1, tiny: 5e-324 } }));
  }
  await step("audit page", () => repo.listAudit({ target: "node:1", afterId: 1, limit: 5 }));
  await step("audit all", () => repo.listAudit());
  await step("nested rollback", () => repo.transaction(async (tx) => {
    await tx.transaction(async (inner) => { await inner.createNode(newNode("tmp")); throw new Error("inner"); }).catch((e: Error) => e.message);
    return tx.listNodes({ states: ["Registered"] });
  }));
  return out;
}
