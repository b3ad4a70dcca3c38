/**
 * The repository contract, as one suite both backends run (test/db/sqlite.test.ts,
 * test/db/postgres.test.ts). Each test gets a fresh, migrated database from the
 * backend and closes what it opened.
 */
/* eslint-disable @typescript-eslint/no-floating-promises -- node:test's test() returns a promise the runner awaits itself (as in *.test.ts) */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, test } from "node:test";
import {
  AlreadyExistsError, InvalidValueError, NotFoundError, openDatabase, SCHEMA_VERSION, SchemaTooNewError, VersionConflictError,
  type Repository,
} from "../../src/db/index.js";
import type { DrainProgress } from "../../src/fleet/node.js";
import type { NewOperation, NewRollout, ReleaseRecord } from "../../src/db/rollout-store.js";
import { RolloutPolicySchema } from "../../src/fleet/rollout-policy.js";
import { at, bootstrapToken, facts, newNode, operatorToken, secret, sha256 } from "./_fixtures.js";

export interface Backend {
  name: string;
  /** Why the suite cannot run here, or false. */
  skip: string | false;
  /** The URL of a fresh, empty database of its own. */
  freshUrl(): Promise<string>;
  /** Raw SQL against the database at `url` (to play a newer release, or read the bookkeeping). */
  query(url: string, sql: string): Promise<Record<string, unknown>[]>;
  /** Everything the database at `url` holds, as text, to scan for secrets. */
  dump(url: string): Promise<string>;
  /** Drop what the backend made; the test file calls it once, after all its tests. */
  cleanup(): Promise<void>;
}

export function repositorySuite(backend: Backend): void {
  describe(`repository on ${backend.name}`, { skip: backend.skip }, () => {
    /** A fresh migrated database for `fn`, closed afterwards. */
    async function withRepo(fn: (repo: Repository, url: string) => Promise<void>): Promise<void> {
      const url = await backend.freshUrl();
      const repo = await openDatabase(url, { migrate: true });
      try {
        await fn(repo, url);
      } finally {
        await repo.close();
      }
    }

    test("createNode gives a Registered node at version 1 that get, getByName and list read back", () => withRepo(async (repo) => {
      const created = await repo.createNode(newNode("web-1"));
      assert.deepEqual(created, {
        id: "id-web-1", name: "web-1", state: "Registered", role: "microvm-host", labels: { rack: "r1", zone: "a" },
        enrolledAt: at(0), lastHeartbeatAt: null, contract: null, facts: null, factsHash: null, drain: null, version: 1, updatedAt: at(0),
      });
      assert.deepEqual(await repo.getNode("id-web-1"), created);
      assert.deepEqual(await repo.getNodeByName("web-1"), created);
      assert.deepEqual(await repo.listNodes(), [created]);
      assert.equal(await repo.getNode("nope"), null);
      assert.equal(await repo.getNodeByName("nope"), null);
    }));

    test("listNodes orders by name in code point order and filters by state", () => withRepo(async (repo) => {
      for (const name of ["web-9", "Zeta", "web-10", "alpha", "élan"]) await repo.createNode(newNode(name));
      const alpha = (await repo.getNodeByName("alpha"))!;
      await repo.updateNode(alpha.id, 1, { state: "Ready" }, at(5));
      const web9 = (await repo.getNodeByName("web-9"))!;
      await repo.updateNode(web9.id, 1, { state: "Cordoned" }, at(5));
      assert.deepEqual((await repo.listNodes()).map((n) => n.name), ["Zeta", "alpha", "web-10", "web-9", "élan"]);
      assert.deepEqual((await repo.listNodes({ states: ["Ready", "Cordoned"] })).map((n) => n.name), ["alpha", "web-9"]);
      assert.deepEqual((await repo.listNodes({ states: ["Registered"] })).map((n) => n.name), ["Zeta", "web-10", "élan"]);
      assert.deepEqual(await repo.listNodes({ states: [] }), []);
    }));

    test("a taken name or id is AlreadyExistsError naming it, and the first node is untouched", () => withRepo(async (repo) => {
      const first = await repo.createNode(newNode("web-3"));
      await assert.rejects(repo.createNode(newNode("web-3", { id: "other-id", labels: {} })), (e: Error) => {
        assert.ok(e instanceof AlreadyExistsError);
        assert.match(e.message, /^node name "web-3" is already enrolled/);
        return true;
      });
      await assert.rejects(repo.createNode(newNode("web-4", { id: "id-web-3" })), (e: Error) => {
        assert.ok(e instanceof AlreadyExistsError);
        assert.match(e.message, /^node id "id-web-3" is already taken/);
        return true;
      });
      assert.deepEqual(await repo.listNodes(), [first]);
    }));

    test("updateNode compares and sets: version + 1, updatedAt, only the given fields; drain null clears it", () => withRepo(async (repo) => {
      await repo.createNode(newNode("web-1"));
      const drain: DrainProgress = {
        startedAt: at(10), deadline: at(3610), force: false,
        evictions: { "vm-2": { attempts: 2, nextAttemptAt: at(20), status: "pending" }, "vm-1": { attempts: 1, nextAttemptAt: null, status: "error", error: "HTTP 500" } },
      };
      const v2 = await repo.updateNode("id-web-1", 1, { state: "Draining", drain }, at(10));
      assert.equal(v2.version, 2);
      assert.equal(v2.updatedAt, at(10));
      assert.equal(v2.state, "Draining");
      assert.deepEqual(v2.drain, drain);
      assert.deepEqual(v2.labels, { rack: "r1", zone: "a" }, "labels were not given: kept");
      const v3 = await repo.updateNode("id-web-1", 2, { labels: { zone: "b" } }, at(11));
      assert.deepEqual([v3.version, v3.state, v3.labels, v3.drain], [3, "Draining", { zone: "b" }, drain]);
      const v4 = await repo.updateNode("id-web-1", 3, { state: "Ready", drain: null }, at(12));
      assert.deepEqual([v4.version, v4.state, v4.drain], [4, "Ready", null]);
      const v5 = await repo.updateNode("id-web-1", 4, {}, at(13));
      assert.equal(v5.version, 5, "an empty update still bumps the version (it fences concurrent writers)");
      assert.deepEqual(await repo.getNode("id-web-1"), v5);
    }));

    test("updateNode from a stale version is VersionConflictError; of an unknown node NotFoundError", () => withRepo(async (repo) => {
      await repo.createNode(newNode("web-1"));
      await repo.updateNode("id-web-1", 1, { state: "Ready" }, at(1));
      await assert.rejects(repo.updateNode("id-web-1", 1, { state: "Cordoned" }, at(2)), (e: Error) => {
        assert.ok(e instanceof VersionConflictError);
        assert.match(e.message, /node web-1 \(id-web-1\) changed since it was read: expected version 1, it is now 2/);
        return true;
      });
      await assert.rejects(repo.updateNode("ghost", 1, { state: "Ready" }, at(2)), (e: Error) => e instanceof NotFoundError && /node ghost not found/.test(e.message));
      assert.equal((await repo.getNode("id-web-1"))!.state, "Ready");
    }));

    test("two concurrent updates from the same version: exactly one wins", () => withRepo(async (repo) => {
      await repo.createNode(newNode("web-1"));
      for (let round = 1; round <= 5; round++) {
        const results = await Promise.allSettled([
          repo.updateNode("id-web-1", round, { state: "Cordoned" }, at(round)),
          repo.updateNode("id-web-1", round, { state: "Draining" }, at(round)),
        ]);
        const won = results.filter((r) => r.status === "fulfilled");
        const lost = results.filter((r) => r.status === "rejected");
        assert.equal(won.length, 1, `round ${round}: exactly one update wins`);
        assert.ok(lost[0]!.reason instanceof VersionConflictError);
        const node = (await repo.getNode("id-web-1"))!;
        assert.equal(node.version, round + 1);
        assert.equal(node.state, won[0]!.value.state);
      }
    }));

    test("an update racing a transaction that changed the node waits for it, then loses", () => withRepo(async (repo) => {
      await repo.createNode(newNode("web-1"));
      let updated!: () => void;
      const inside = new Promise<void>((resolve) => { updated = resolve; });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      const first = repo.transaction(async (tx) => {
        const node = await tx.updateNode("id-web-1", 1, { state: "Cordoned" }, at(1));
        updated();
        await gate;
        return node;
      });
      await inside;
      let settled = false;
      const second = repo.updateNode("id-web-1", 1, { state: "Draining" }, at(2)).finally(() => { settled = true; });
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(settled, false, "the second writer waits while the transaction holds the node");
      release();
      const [a, b] = await Promise.allSettled([first, second]);
      assert.equal(a.status, "fulfilled");
      assert.ok(b.status === "rejected" && b.reason instanceof VersionConflictError);
      assert.deepEqual([(await repo.getNode("id-web-1"))!.state, (await repo.getNode("id-web-1"))!.version], ["Cordoned", 2]);
    }));

    test("recordHeartbeat: no version bump, facts kept when omitted and replaced when sent; unknown node NotFoundError", () => withRepo(async (repo) => {
      await repo.createNode(newNode("web-1"));
      const f1 = facts("web-1");
      const contract = { ok: true, failing: [], evaluatedAt: at(1) };
      await repo.recordHeartbeat("id-web-1", { at: at(1), facts: f1, factsHash: sha256("f1"), contract });
      let node = (await repo.getNode("id-web-1"))!;
      assert.deepEqual([node.version, node.updatedAt, node.lastHeartbeatAt, node.factsHash], [1, at(0), at(1), sha256("f1")]);
      assert.deepEqual(node.facts, f1);
      assert.deepEqual(node.contract, contract);

      const failing = { ok: false, failing: ["kvm.present"], evaluatedAt: at(11) };
      await repo.recordHeartbeat("id-web-1", { at: at(11), factsHash: sha256("f1"), contract: failing });
      node = (await repo.getNode("id-web-1"))!;
      assert.deepEqual([node.version, node.lastHeartbeatAt, node.factsHash], [1, at(11), sha256("f1")]);
      assert.deepEqual(node.facts, f1, "facts omitted: kept");
      assert.deepEqual(node.contract, failing);

      // A new hash without facts changes neither: the stored hash always describes the stored facts.
      await repo.recordHeartbeat("id-web-1", { at: at(21), factsHash: sha256("f2"), contract: null });
      node = (await repo.getNode("id-web-1"))!;
      assert.deepEqual([node.lastHeartbeatAt, node.factsHash, node.contract], [at(21), sha256("f1"), null]);
      assert.deepEqual(node.facts, f1);

      const f2 = facts("web-1", { kernel: "6.6.31", workloads: [] });
      await repo.recordHeartbeat("id-web-1", { at: at(31), facts: f2, factsHash: sha256("f2"), contract: null });
      node = (await repo.getNode("id-web-1"))!;
      assert.deepEqual([node.version, node.factsHash], [1, sha256("f2")]);
      assert.deepEqual(node.facts, f2);
      // The lifecycle's CAS is untouched by heartbeats in between.
      assert.equal((await repo.updateNode("id-web-1", 1, { state: "Ready" }, at(32))).version, 2);

      await assert.rejects(repo.recordHeartbeat("ghost", { at: at(1), factsHash: sha256("x"), contract: null }), NotFoundError);
      await assert.rejects(repo.recordHeartbeat("ghost", { at: at(1), facts: f1, factsHash: sha256("x"), contract: null }), NotFoundError);
    }));

    test("bootstrap token with 3 uses and 10 concurrent enrollments: exactly 3 succeed; expired and unknown give null", () => withRepo(async (repo) => {
      const { hash } = secret();
      const token = bootstrapToken("boot-1", hash);
      await repo.createBootstrapToken(token);
      assert.deepEqual(await repo.getBootstrapToken("boot-1"), token);
      const results = await Promise.all(Array.from({ length: 10 }, () => repo.consumeBootstrapToken("boot-1", at(60))));
      const used = results.filter((r) => r !== null);
      assert.equal(used.length, 3);
      assert.deepEqual(used.map((t) => t.usesLeft).sort(), [0, 1, 2]);
      assert.deepEqual(used[0], { ...token, usesLeft: used[0]!.usesLeft });
      assert.equal((await repo.getBootstrapToken("boot-1"))!.usesLeft, 0);
      assert.equal(await repo.consumeBootstrapToken("boot-1", at(61)), null);

      await repo.createBootstrapToken(bootstrapToken("boot-2", hash, { usesLeft: 5 }));
      assert.equal(await repo.consumeBootstrapToken("boot-2", at(3600)), null, "at its expiry it is expired");
      assert.equal(await repo.consumeBootstrapToken("boot-2", at(7200)), null);
      // The same instant written with an offset is the same instant.
      assert.equal((await repo.consumeBootstrapToken("boot-2", "2025-03-01T14:59:59.999+02:00"))!.usesLeft, 4);
      assert.equal(await repo.consumeBootstrapToken("boot-2", "2025-03-01T15:00:00+02:00"), null);
      assert.equal(await repo.consumeBootstrapToken("nope", at(1)), null);
      await assert.rejects(repo.createBootstrapToken(bootstrapToken("boot-2", hash)), (e: Error) => e instanceof AlreadyExistsError && !e.message.includes(hash));
    }));

    test("node credentials: stored, read, revoked (counting only live ones); unknown node and taken id refused", () => withRepo(async (repo) => {
      await repo.createNode(newNode("web-1"));
      await repo.createNode(newNode("web-2"));
      const [a, b, c] = [secret(), secret(), secret()];
      await repo.createNodeCredential({ id: "cred-a", nodeId: "id-web-1", secretHash: a.hash, createdAt: at(1) });
      await repo.createNodeCredential({ id: "cred-b", nodeId: "id-web-1", secretHash: b.hash, createdAt: at(2) });
      await repo.createNodeCredential({ id: "cred-c", nodeId: "id-web-2", secretHash: c.hash, createdAt: at(3) });
      assert.deepEqual(await repo.getNodeCredential("cred-a"), { id: "cred-a", nodeId: "id-web-1", secretHash: a.hash, createdAt: at(1), revokedAt: null });
      assert.equal(await repo.getNodeCredential("nope"), null);
      assert.equal(await repo.revokeNodeCredentials("id-web-1", at(10)), 2);
      assert.equal(await repo.revokeNodeCredentials("id-web-1", at(11)), 0, "already revoked");
      assert.equal((await repo.getNodeCredential("cred-b"))!.revokedAt, at(10));
      assert.equal((await repo.getNodeCredential("cred-c"))!.revokedAt, null, "another node's credential is untouched");
      assert.equal(await repo.revokeNodeCredentials("ghost", at(10)), 0);
      await assert.rejects(repo.createNodeCredential({ id: "cred-d", nodeId: "ghost", secretHash: a.hash, createdAt: at(1) }), (e: Error) =>
        e instanceof NotFoundError && /node ghost not found/.test(e.message));
      await assert.rejects(repo.createNodeCredential({ id: "cred-a", nodeId: "id-web-2", secretHash: c.hash, createdAt: at(1) }), (e: Error) =>
        e instanceof AlreadyExistsError && /"cred-a"/.test(e.message) && !e.message.includes(c.hash));
    }));

    test("getNodeCredentialWithNode: the credential and its node without facts, in one lookup; revoked still found; unknown null", () => withRepo(async (repo) => {
      await repo.createNode(newNode("web-1"));
      await repo.createNode(newNode("web-2"));
      const [a, b] = [secret(), secret()];
      await repo.createNodeCredential({ id: "cred-a", nodeId: "id-web-1", secretHash: a.hash, createdAt: at(1) });
      await repo.createNodeCredential({ id: "cred-b", nodeId: "id-web-2", secretHash: b.hash, createdAt: at(2) });
      const contract = { ok: false, failing: ["kvm.present"], evaluatedAt: at(3) };
      await repo.recordHeartbeat("id-web-1", { at: at(3), facts: facts("web-1"), factsHash: sha256("f1"), contract });
      const drain: DrainProgress = { startedAt: at(4), deadline: at(64), force: false, evictions: {} };
      await repo.updateNode("id-web-1", 1, { state: "Draining", drain }, at(4));
      const full = (await repo.getNode("id-web-1"))!;
      assert.deepEqual(full.facts, facts("web-1"));
      const header: Partial<typeof full> = { ...full };
      delete header.facts;
      assert.deepEqual(await repo.getNodeCredentialWithNode("cred-a"), {
        credential: { id: "cred-a", nodeId: "id-web-1", secretHash: a.hash, createdAt: at(1), revokedAt: null },
        node: header,
      });
      assert.deepEqual(header, {
        id: "id-web-1", name: "web-1", state: "Draining", role: "microvm-host", labels: { rack: "r1", zone: "a" }, enrolledAt: at(0),
        lastHeartbeatAt: at(3), contract, factsHash: sha256("f1"), drain, version: 2, updatedAt: at(4),
      });
      // A node that never sent facts: no facts row, a null hash.
      const other = (await repo.getNodeCredentialWithNode("cred-b"))!;
      assert.deepEqual([other.credential.nodeId, other.node.name, other.node.factsHash, "facts" in other.node], ["id-web-2", "web-2", null, false]);
      await repo.revokeNodeCredentials("id-web-2", at(5));
      assert.equal((await repo.getNodeCredentialWithNode("cred-b"))!.credential.revokedAt, at(5));
      assert.equal(await repo.getNodeCredentialWithNode("nope"), null);
      // Inside a transaction it sees the transaction's writes.
      await repo.transaction(async (tx) => {
        await tx.updateNode("id-web-2", 1, { state: "Ready" }, at(6));
        assert.equal((await tx.getNodeCredentialWithNode("cred-b"))!.node.state, "Ready");
      });
    }));

    test("listNodeStatuses: every node's id, name, state, role, last heartbeat, contract, drain and systems (from its latest facts), ordered by id", () => withRepo(async (repo) => {
      assert.deepEqual(await repo.listNodeStatuses(), []);
      for (const name of ["web-2", "web-1", "web-3", "web-4"]) await repo.createNode(newNode(name));
      const contract = { ok: false, failing: ["kvm.present"], evaluatedAt: at(3) };
      await repo.recordHeartbeat("id-web-2", { at: at(3), facts: facts("web-2"), factsHash: sha256("f"), contract });
      const boot = { current: { kernel: "/nix/store/k2", initrd: "/nix/store/i2" }, booted: { kernel: "/nix/store/k1", initrd: null } };
      await repo.recordHeartbeat("id-web-4", { at: at(3), facts: facts("web-4", { bootedSystem: "/nix/store/b-booted", boot }), factsHash: sha256("g"), contract: null });
      // Facts replaced: the systems follow them.
      await repo.recordHeartbeat("id-web-4", { at: at(4), facts: facts("web-4", { currentSystem: "/nix/store/c-new", bootedSystem: "/nix/store/b-booted", boot }), factsHash: sha256("h"), contract: null });
      await repo.updateNode("id-web-3", 1, { state: "Cordoned" }, at(4));
      const drain = { startedAt: at(5), deadline: at(3605), force: false, evictions: { "vm-1": { attempts: 1, nextAttemptAt: null, status: "evicted" as const } } };
      await repo.updateNode("id-web-1", 1, { state: "Draining", drain }, at(5));
      const role = newNode("x").role;
      assert.deepEqual(await repo.listNodeStatuses(), [
        { id: "id-web-1", name: "web-1", state: "Draining", role, lastHeartbeatAt: null, contract: null, drain, systems: null },
        { id: "id-web-2", name: "web-2", state: "Registered", role, lastHeartbeatAt: at(3), contract, drain: null, systems: { currentSystem: facts("web-2").currentSystem, bootedSystem: null, boot: null } },
        { id: "id-web-3", name: "web-3", state: "Cordoned", role, lastHeartbeatAt: null, contract: null, drain: null, systems: null },
        { id: "id-web-4", name: "web-4", state: "Registered", role, lastHeartbeatAt: at(4), contract: null, drain: null, systems: { currentSystem: "/nix/store/c-new", bootedSystem: "/nix/store/b-booted", boot } },
      ]);
    }));

    test("operator tokens: listed by creation, revoked once (true, then false), unknown false; taken id refused", () => withRepo(async (repo) => {
      const [s1, s2, s3] = [secret(), secret(), secret()];
      await repo.createOperatorToken(operatorToken("tok-b", at(2), s2.hash));
      await repo.createOperatorToken({ ...operatorToken("tok-a", at(1), s1.hash), role: "admin", expiresAt: at(86400) });
      await repo.createOperatorToken({ ...operatorToken("tok-c", at(2), s3.hash), role: "viewer" });
      assert.deepEqual((await repo.listOperatorTokens()).map((t) => t.id), ["tok-a", "tok-b", "tok-c"]);
      assert.deepEqual(await repo.getOperatorToken("tok-a"), {
        id: "tok-a", name: "token-tok-a", role: "admin", secretHash: s1.hash, createdAt: at(1), expiresAt: at(86400), revokedAt: null,
      });
      assert.equal(await repo.revokeOperatorToken("tok-b", at(5)), true);
      assert.equal(await repo.revokeOperatorToken("tok-b", at(6)), false);
      assert.equal(await repo.revokeOperatorToken("nope", at(6)), false);
      assert.deepEqual((await repo.listOperatorTokens()).map((t) => [t.id, t.revokedAt]), [["tok-a", null], ["tok-b", at(5)], ["tok-c", null]]);
      await assert.rejects(repo.createOperatorToken(operatorToken("tok-a", at(9), s2.hash)), (e: Error) =>
        e instanceof AlreadyExistsError && /operator token id "tok-a"/.test(e.message) && !e.message.includes(s2.hash));
    }));

    test("audit log: increasing ids, oldest first, filtered by target, paged by afterId and limit", () => withRepo(async (repo) => {
      const appended = [];
      for (let i = 0; i < 6; i++) {
        appended.push(await repo.appendAudit({
          at: at(i), actor: "operator:alice", action: i % 2 === 0 ? "node.cordon" : "node.uncordon", target: `node:web-${i % 3}`,
          before: i === 0 ? undefined : { state: "Ready", n: i }, after: { state: "Cordoned", nested: { list: [i, { deep: true }] } },
        }));
      }
      const ids = appended.map((e) => e.id);
      assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), `ids increase: ${ids.join(",")}`);
      assert.equal(appended[0]!.before, null, "undefined is stored as null");
      assert.deepEqual(appended[1], {
        id: ids[1], at: at(1), actor: "operator:alice", action: "node.uncordon", target: "node:web-1",
        before: { n: 1, state: "Ready" }, after: { nested: { list: [1, { deep: true }] }, state: "Cordoned" },
      });
      assert.deepEqual(await repo.listAudit(), appended);
      assert.deepEqual(await repo.listAudit({ target: "node:web-1" }), [appended[1], appended[4]]);
      assert.deepEqual(await repo.listAudit({ afterId: ids[3]! }), appended.slice(4));
      assert.deepEqual(await repo.listAudit({ limit: 2 }), appended.slice(0, 2));
      assert.deepEqual(await repo.listAudit({ target: "node:web-0", afterId: ids[0]!, limit: 1 }), [appended[3]]);
      assert.deepEqual(await repo.listAudit({ target: "node:none" }), []);
      await assert.rejects(repo.listAudit({ limit: 0 }), InvalidValueError);
    }));

    test("a transaction that throws leaves nothing behind", () => withRepo(async (repo) => {
      const { hash } = secret();
      await repo.createNode(newNode("old"));
      await repo.recordHeartbeat("id-old", { at: at(1), facts: facts("old"), factsHash: sha256("old"), contract: null });
      const old = await repo.getNode("id-old");
      await assert.rejects(repo.transaction(async (tx) => {
        await tx.recordHeartbeat("id-old", { at: at(2), facts: facts("new"), factsHash: sha256("new"), contract: null });
        await tx.updateNode("id-old", 1, { state: "Ready" }, at(2));
        await tx.createNode(newNode("web-1"));
        await tx.createNodeCredential({ id: "cred-1", nodeId: "id-web-1", secretHash: hash, createdAt: at(1) });
        await tx.appendAudit({ at: at(1), actor: "system:test", action: "node.enroll", target: "node:web-1", before: null, after: { ok: 1 } });
        await tx.createOperatorToken(operatorToken("tok-1", at(1), hash));
        assert.equal((await tx.listNodes()).length, 2, "the transaction sees its own writes");
        throw new Error("boom");
      }), /boom/);
      assert.deepEqual(await repo.listNodes(), [old]);
      assert.equal(await repo.getNodeCredential("cred-1"), null);
      assert.deepEqual(await repo.listAudit(), []);
      assert.deepEqual(await repo.listOperatorTokens(), []);
      // And the repository goes on working.
      await repo.createNode(newNode("web-1"));
    }));

    test("a transaction commits; a nested one that throws undoes only its own writes, even after an AlreadyExistsError", () => withRepo(async (repo) => {
      const result = await repo.transaction(async (tx) => {
        await tx.createNode(newNode("web-1"));
        await assert.rejects(tx.transaction(async (inner) => {
          await inner.createNode(newNode("web-2"));
          await inner.createNode(newNode("web-1", { id: "x" }));
        }), AlreadyExistsError);
        // After a failed statement PostgreSQL refuses everything until the savepoint is rolled back: this proves it was.
        await tx.createNode(newNode("web-3"));
        const inner = await tx.transaction(async (t) => (await t.createNode(newNode("web-4"))).name);
        return inner;
      });
      assert.equal(result, "web-4");
      assert.deepEqual((await repo.listNodes()).map((n) => n.name), ["web-1", "web-3", "web-4"]);
    }));

    test("inside a transaction the outer repository is refused, and the transaction's is unusable once it ends", () => withRepo(async (repo) => {
      let escaped: Repository | undefined;
      await assert.rejects(repo.transaction(async (tx) => {
        escaped = tx;
        await repo.getNode("x");
      }), /called inside its own transaction/);
      await assert.rejects(escaped!.getNode("x"), /transaction has ended/);
      await assert.rejects(repo.transaction(async (tx) => {
        await tx.transaction(async () => { await tx.getNode("x"); });
      }), /nested transaction is open/);
      assert.deepEqual(await repo.listNodes(), []);
    }));

    test("concurrent read-modify-write transactions each commit or lose the CAS; no update is lost", () => withRepo(async (repo) => {
      await repo.createNode(newNode("web-1"));
      // Read-modify-write in a transaction; with 8 at once, every one must see its predecessor's commit or conflict.
      const bump = (i: number) => repo.transaction(async (tx) => {
        const node = (await tx.getNode("id-web-1"))!;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return tx.updateNode(node.id, node.version, { labels: { last: String(i) } }, at(i));
      });
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => bump(i)));
      const won = results.filter((r) => r.status === "fulfilled").length;
      const lost = results.filter((r) => r.status === "rejected" && r.reason instanceof VersionConflictError).length;
      assert.equal(won + lost, 8, "every transaction either commits or loses the CAS");
      assert.ok(won >= 1);
      assert.equal((await repo.getNode("id-web-1"))!.version, 1 + won);
    }));

    test("migrate() again is a no-op: one bookkeeping row per migration, data kept", () => withRepo(async (repo, url) => {
      await repo.createNode(newNode("web-1"));
      await repo.migrate();
      await repo.migrate();
      const rows = await backend.query(url, "SELECT version FROM schema_migrations ORDER BY version");
      assert.deepEqual(rows.map((r) => Number(r["version"])), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
      assert.equal((await repo.listNodes()).length, 1);
    }));

    test("migration 3 fills the systems columns from facts stored before it", async () => {
      const url = await backend.freshUrl();
      const boot = { current: { kernel: "/nix/store/k2", initrd: "/nix/store/i2" }, booted: null };
      const repo = await openDatabase(url, { migrate: true });
      try {
        for (const name of ["web-1", "web-2"]) await repo.createNode(newNode(name));
        await repo.recordHeartbeat("id-web-1", { at: at(3), facts: facts("web-1", { bootedSystem: "/nix/store/b-1", boot }), factsHash: sha256("f"), contract: null });
        await repo.recordHeartbeat("id-web-2", { at: at(3), facts: facts("web-2"), factsHash: sha256("g"), contract: null });
      } finally {
        await repo.close();
      }
      // Back to a database as migration 2 left it: no such columns, migration 3 not recorded.
      for (const column of ["current_system", "booted_system", "boot"]) await backend.query(url, `ALTER TABLE node_facts DROP COLUMN ${column}`);
      await backend.query(url, "DELETE FROM schema_migrations WHERE version = 3");
      const migrated = await openDatabase(url, { migrate: true });
      try {
        assert.deepEqual((await migrated.listNodeStatuses()).map((n) => n.systems), [
          { currentSystem: facts("web-1").currentSystem, bootedSystem: "/nix/store/b-1", boot },
          { currentSystem: facts("web-2").currentSystem, bootedSystem: null, boot: null },
        ]);
      } finally {
        await migrated.close();
      }
    });

    test("two servers migrating a fresh database at once both succeed, and each migration runs once", async () => {
      const url = await backend.freshUrl();
      // Two processes, as two servers would be (in one process, SQLite's busy wait would block the other connection's commit).
      const results = await Promise.all([migrateInChild(url), migrateInChild(url)]);
      assert.deepEqual(results.map((r) => [r.code, r.stderr]), [[0, ""], [0, ""]]);
      const rows = await backend.query(url, "SELECT version FROM schema_migrations ORDER BY version");
      assert.deepEqual(rows.map((r) => Number(r["version"])), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
      const [a, b] = [await openDatabase(url), await openDatabase(url)];
      try {
        await a.createNode(newNode("web-1"));
        assert.equal((await b.getNode("id-web-1"))!.name, "web-1");
      } finally {
        await a.close();
        await b.close();
      }
    });

    test("a database migrated by a newer release is refused, naming both versions", async () => {
      const url = await backend.freshUrl();
      const repo = await openDatabase(url, { migrate: true });
      await repo.close();
      const future = SCHEMA_VERSION + 7;
      await backend.query(url, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${future}, 'from the future', '2030-01-01T00:00:00.000Z')`);
      await assert.rejects(openDatabase(url, { migrate: true }), (e: Error) => {
        assert.ok(e instanceof SchemaTooNewError);
        assert.equal(e.databaseVersion, future);
        assert.equal(e.codeVersion, SCHEMA_VERSION);
        assert.match(e.message, new RegExp(`schema version ${future}, newer than this hostplane knows \\(${SCHEMA_VERSION}\\)`));
        return true;
      });
      // Opening without migrating is allowed (read-only tools), but migrate() refuses.
      const again = await openDatabase(url);
      try {
        await assert.rejects(again.migrate(), SchemaTooNewError);
      } finally {
        await again.close();
      }
    });

    test("closing and reopening keeps every record (a server restart)", async () => {
      const url = await backend.freshUrl();
      const { hash } = secret();
      const repo = await openDatabase(url, { migrate: true });
      let snapshot: unknown;
      try {
        await repo.createNode(newNode("web-1"));
        await repo.updateNode("id-web-1", 1, { state: "Ready", labels: { a: "1" } }, at(3));
        await repo.recordHeartbeat("id-web-1", { at: at(4), facts: facts("web-1"), factsHash: sha256("f"), contract: { ok: true, failing: [], evaluatedAt: at(4) } });
        await repo.createNodeCredential({ id: "cred-1", nodeId: "id-web-1", secretHash: hash, createdAt: at(1) });
        await repo.createOperatorToken(operatorToken("tok-1", at(1), hash));
        await repo.createBootstrapToken(bootstrapToken("boot-1", hash));
        await repo.consumeBootstrapToken("boot-1", at(2));
        await repo.appendAudit({ at: at(5), actor: "operator:alice", action: "node.admit", target: "node:web-1", before: { state: "Registered" }, after: { state: "Ready" } });
        snapshot = await everything(repo);
      } finally {
        await repo.close();
      }
      const reopened = await openDatabase(url, { migrate: true });
      try {
        assert.deepEqual(await everything(reopened), snapshot);
        assert.equal((await reopened.appendAudit({ at: at(6), actor: "a", action: "b", target: "c", before: null, after: null })).id > 1, true, "ids go on after a restart");
      } finally {
        await reopened.close();
      }
    });

    test("JSON comes back as it went in, with keys in one order whatever the backend keeps", () => withRepo(async (repo) => {
      const labels = { "z-last": "1", "a-first": "2", "é": "3", "10": "ten", "9": "nine", "": "empty" };
      const f = facts("web-1");
      const created = await repo.createNode(newNode("web-1", { labels }));
      await repo.recordHeartbeat("id-web-1", { at: at(1), facts: f, factsHash: sha256("f"), contract: null });
      const node = (await repo.getNode("id-web-1"))!;
      assert.deepEqual(node.labels, labels);
      assert.deepEqual(node.facts, f);
      assert.deepEqual(created.labels, labels);
      // The serialisation is the oracle both backends must match: keys sorted by code unit (integer-like keys first, as JS orders them).
      assert.equal(JSON.stringify(node.labels), JSON.stringify({ 9: "nine", 10: "ten", "": "empty", "a-first": "2", "z-last": "1", "é": "3" }));
      assert.equal(JSON.stringify(node.facts), JSON.stringify(sortKeys(f)));
      const entry = await repo.appendAudit({ at: at(2), actor: "a", action: "b", target: "c", before: f, after: [labels, 1, "s", true, null] });
      assert.equal(JSON.stringify((await repo.listAudit())[0]), JSON.stringify({ ...entry, before: sortKeys(f), after: [sortKeys(labels), 1, "s", true, null] }));
    }));

    test("values the store cannot hold are InvalidValueError, and nothing is written", () => withRepo(async (repo) => {
      const { secret: s, hash } = secret();
      const bad: [string, () => Promise<unknown>][] = [
        ["NUL in a name", () => repo.createNode(newNode("web\u00001"))],
        ["unpaired surrogate in a label", () => repo.createNode(newNode("web-1", { labels: { k: "\ud800" } }))],
        ["NUL in facts", () => repo.createNode(newNode("web-1")).then(() => repo.recordHeartbeat("id-web-1", { at: at(1), facts: facts("x\u0000"), factsHash: hash, contract: null }))],
        ["time without a zone", () => repo.createNode(newNode("web-2", { enrolledAt: "2025-03-01T12:00:00" }))],
        ["30 February", () => repo.createNode(newNode("web-2", { enrolledAt: "2025-02-30T12:00:00Z" }))],
        ["a secret instead of its hash", () => repo.createOperatorToken(operatorToken("tok-1", at(1), s))],
        ["uses beyond a 32-bit integer", () => repo.createBootstrapToken(bootstrapToken("boot-1", hash, { usesLeft: 2 ** 31 }))],
        ["fractional version", () => repo.updateNode("id-web-1", 1.5, {}, at(1))],
      ];
      for (const [what, attempt] of bad) {
        await assert.rejects(attempt(), (e: Error) => {
          assert.ok(e instanceof InvalidValueError, `${what}: ${e.name}: ${e.message}`);
          assert.ok(!e.message.includes(s), `${what}: the message holds no secret`);
          return true;
        });
      }
      assert.deepEqual((await repo.listNodes()).map((n) => [n.name, n.facts]), [["web-1", null]]);
      assert.deepEqual(await repo.listOperatorTokens(), []);
      assert.equal(await repo.getBootstrapToken("boot-1"), null);
      // Normalised, not refused: other zones and fewer digits.
      const node = await repo.createNode(newNode("web-3", { enrolledAt: "2025-03-01T14:00+02:00" }));
      assert.equal(node.enrolledAt, at(0));
    }));

    test("no secret is stored in clear: the whole database holds the hashes and none of the secrets", () => withRepo(async (repo, url) => {
      const op = secret();
      const boot = secret();
      const cred = secret();
      await repo.createOperatorToken(operatorToken("tok-1", at(1), op.hash));
      await repo.createBootstrapToken(bootstrapToken("boot-1", boot.hash));
      await repo.createNode(newNode("web-1"));
      await repo.createNodeCredential({ id: "cred-1", nodeId: "id-web-1", secretHash: cred.hash, createdAt: at(1) });
      await repo.appendAudit({ at: at(1), actor: "operator:tok-1", action: "token.create", target: "token:tok-1", before: null, after: { id: "tok-1" } });
      await repo.revokeOperatorToken("tok-1", at(2));
      const dump = await backend.dump(url);
      for (const { secret: s, hash } of [op, boot, cred]) {
        assert.ok(dump.includes(hash), "the dump is complete: it holds the hash");
        assert.ok(!dump.includes(s), "the secret itself is nowhere");
      }
    }));

    rolloutStoreSuite(withRepo);
  });
}

const DB_MODULE = new URL("../../src/db/index.js", import.meta.url).href;

/** `openDatabase(url, { migrate: true })` in a child process. */
function migrateInChild(url: string): Promise<{ code: number | null; stderr: string }> {
  const script = `const { openDatabase } = await import(${JSON.stringify(DB_MODULE)}); const r = await openDatabase(process.argv[1], { migrate: true }); await r.close();`;
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ["--input-type=module", "-e", script, url], { timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : (child.exitCode ?? -1), stderr });
    });
    child.on("error", reject);
  });
}

/** Every record the repository holds, for before/after comparisons. */
async function everything(repo: Repository): Promise<unknown> {
  return {
    nodes: await repo.listNodes(),
    credential: await repo.getNodeCredential("cred-1"),
    tokens: await repo.listOperatorTokens(),
    boot: await repo.getBootstrapToken("boot-1"),
    audit: await repo.listAudit(),
  };
}

/** The oracle of stored JSON: every object's keys sorted by code unit. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

// Releases, rollouts and operations (src/db/rollout-store.ts).

const SYS = (c: string, name: string) => `/nix/store/${c.repeat(32)}-${name}`;

function release(id: string, name: string, createdAt: string): ReleaseRecord {
  return {
    id, name, createdBy: "operator:oscar", createdAt,
    manifest: { schema: "hostplane.release/v1", name, source: { commit: "4b1e0c2" }, roles: { "microvm-host": { path: SYS("a", "sys-a"), healthChecks: [{ kind: "command", path: "bin/check", args: [], timeoutSeconds: 30 }] } } },
  };
}

function rollout(id: string, releaseId: string, createdAt: string): NewRollout {
  return {
    id, release: releaseId, createdBy: "operator:oscar", createdAt, status: "running", policy: RolloutPolicySchema.parse({}),
    targets: { "web-1": { path: SYS("a", "sys-a"), drain: false }, "web-2": { path: SYS("a", "sys-a"), drain: true } },
    waves: [["web-1"], ["web-2"]], canaryWave: true, wave: 0, bakeUntil: null, skipped: {}, failed: {}, drained: [], abortReason: null,
  };
}

function operation(id: string, node: string, rolloutId: string | null, kind: "upgrade" | "rollback", createdAt: string): NewOperation {
  return {
    id, nodeId: `id-${node}`, node, rollout: rolloutId, kind, target: SYS("b", "sys-b"), previous: SYS("a", "sys-a"), createdAt,
    spec: { closureSize: 1_480_000_000, healthChecks: [], confirmTimeoutSeconds: 60, healthTimeoutSeconds: 120 },
  };
}

function rolloutStoreSuite(withRepo: (fn: (repo: Repository, url: string) => Promise<void>) => Promise<void>): void {
  test("releases: stored whole, read by id and by name, listed newest first; a taken id or name is AlreadyExistsError", () => withRepo(async (repo) => {
    const r1 = release("rel_1", "2026-11-26.1", at(1));
    const r2 = release("rel_2", "2026-11-26.2", at(2));
    await repo.createRelease(r1);
    await repo.createRelease(r2);
    assert.deepEqual(await repo.getRelease("rel_1"), r1);
    assert.deepEqual(await repo.getReleaseByName("2026-11-26.2"), r2);
    assert.equal(await repo.getRelease("nope"), null);
    assert.deepEqual((await repo.listReleases()).map((r) => r.id), ["rel_2", "rel_1"]);
    assert.deepEqual((await repo.listReleases({ limit: 1 })).map((r) => r.id), ["rel_2"]);
    await assert.rejects(repo.createRelease({ ...r1, id: "rel_3" }), (e: Error) => e instanceof AlreadyExistsError && /a release named "2026-11-26.1" already exists/.test(e.message));
    await assert.rejects(repo.createRelease({ ...r1, name: "other" }), (e: Error) => e instanceof AlreadyExistsError && /release id "rel_1" is already taken/.test(e.message));
    assert.equal((await repo.listReleases()).length, 2);
  }));

  test("rollouts: created at version 1, updated with compare-and-set, listed by status newest first", () => withRepo(async (repo) => {
    await repo.createRelease(release("rel_1", "r1", at(0)));
    const created = await repo.createRollout(rollout("ro_1", "rel_1", at(1)));
    assert.deepEqual(created, { ...rollout("ro_1", "rel_1", at(1)), updatedAt: at(1), version: 1 });
    assert.deepEqual(await repo.getRollout("ro_1"), created);
    await repo.createRollout(rollout("ro_2", "rel_1", at(2)));
    const { status, policy, wave, abortReason } = created;
    const next = { status, policy: { ...policy, rollbackOnAbort: false }, wave: wave + 1, bakeUntil: at(300), skipped: { "web-2": "node is Cordoned" }, failed: { "web-1": "drain missed" }, drained: ["web-2"], abortReason };
    const v2 = await repo.updateRollout("ro_1", 1, next, at(5));
    assert.deepEqual(v2, { ...created, ...next, updatedAt: at(5), version: 2 });
    await assert.rejects(repo.updateRollout("ro_1", 1, { ...next, status: "paused" }, at(6)), (e: Error) => e instanceof VersionConflictError && /rollout ro_1 changed since it was read: expected version 1, it is now 2/.test(e.message));
    await assert.rejects(repo.updateRollout("ro_9", 1, next, at(6)), NotFoundError);
    await repo.updateRollout("ro_2", 1, { ...next, status: "succeeded" }, at(7));
    assert.deepEqual((await repo.listRollouts()).map((r) => r.id), ["ro_2", "ro_1"]);
    assert.deepEqual((await repo.listRollouts({ statuses: ["running", "paused", "aborting"] })).map((r) => r.id), ["ro_1"]);
    assert.deepEqual(await repo.listRollouts({ statuses: [] }), []);
    await assert.rejects(repo.createRollout(rollout("ro_1", "rel_1", at(8))), (e: Error) => e instanceof AlreadyExistsError && /rollout id "ro_1"/.test(e.message));
    await assert.rejects(repo.createRollout(rollout("ro_3", "rel_9", at(8))), (e: Error) => e instanceof NotFoundError && /release rel_9 not found/.test(e.message));
  }));

  test("rollout events: numbered increasingly across rollouts, read per rollout after a seq", () => withRepo(async (repo) => {
    await repo.createRelease(release("rel_1", "r1", at(0)));
    await repo.createRollout(rollout("ro_1", "rel_1", at(1)));
    await repo.createRollout(rollout("ro_2", "rel_1", at(1)));
    const a = await repo.appendRolloutEvent({ rollout: "ro_1", at: at(2), type: "wave-started", node: null, detail: "wave 0 (canaries): web-1", data: { wave: 0 } });
    const b = await repo.appendRolloutEvent({ rollout: "ro_2", at: at(3), type: "wave-started", node: null, detail: "other", data: null });
    const c = await repo.appendRolloutEvent({ rollout: "ro_1", at: at(4), type: "node-started", node: "web-1", detail: "op_1", data: { epoch: 1 } });
    assert.ok(a.seq < b.seq && b.seq < c.seq);
    assert.deepEqual(a, { seq: a.seq, rollout: "ro_1", at: at(2), type: "wave-started", node: null, detail: "wave 0 (canaries): web-1", data: { wave: 0 } });
    assert.deepEqual((await repo.listRolloutEvents("ro_1")).map((e) => e.seq), [a.seq, c.seq]);
    assert.deepEqual((await repo.listRolloutEvents("ro_1", { after: a.seq })).map((e) => e.type), ["node-started"]);
    assert.deepEqual((await repo.listRolloutEvents("ro_1", { limit: 1 })).map((e) => e.seq), [a.seq]);
    assert.deepEqual(await repo.listRolloutEvents("ro_1", { after: c.seq }), []);
  }));

  test("operations take the node's next epoch; at most one upgrade per node and rollout, and one unfinished operation per node, whatever the caller", () => withRepo(async (repo) => {
    await repo.createNode(newNode("web-1"));
    await repo.createNode(newNode("web-2"));
    await repo.createRelease(release("rel_1", "r1", at(0)));
    await repo.createRollout(rollout("ro_1", "rel_1", at(1)));
    assert.equal(await repo.getNodeSystem("id-web-1"), null);
    const op1 = await repo.createOperation(operation("op_1", "web-1", "ro_1", "upgrade", at(2)));
    assert.deepEqual(op1, {
      ...operation("op_1", "web-1", "ro_1", "upgrade", at(2)), epoch: 1, status: "pending", updatedAt: at(2), error: null, decision: null,
      decisionReason: null, healthy: null, checks: null, withdrawn: false, version: 1,
    });
    assert.equal((await repo.getNodeSystem("id-web-1"))!.operationEpoch, 1);
    assert.equal((await repo.createOperation(operation("op_2", "web-2", "ro_1", "upgrade", at(2)))).epoch, 1, "epochs are per node");
    // Unfinished: no second operation of any kind on web-1.
    await assert.rejects(repo.createOperation(operation("op_3", "web-1", null, "rollback", at(3))), (e: Error) => e instanceof AlreadyExistsError && /unfinished operation \(op_1\)/.test(e.message));
    const done = await repo.updateOperation("op_1", 1, { status: "succeeded" }, at(4));
    // Finished: still never a second upgrade in the same rollout.
    await assert.rejects(repo.createOperation(operation("op_4", "web-1", "ro_1", "upgrade", at(5))), (e: Error) => e instanceof AlreadyExistsError && /already has an upgrade operation \(op_1\) in rollout ro_1/.test(e.message));
    assert.equal((await repo.getNodeSystem("id-web-1"))!.operationEpoch, 1, "a refused operation takes no epoch");
    const back = await repo.createOperation(operation("op_5", "web-1", "ro_1", "rollback", at(6)));
    assert.equal(back.epoch, 2);
    await assert.rejects(repo.createOperation(operation("op_5", "web-2", null, "rollback", at(6))), (e: Error) => e instanceof AlreadyExistsError);
    await assert.rejects(repo.createOperation(operation("op_6", "ghost", null, "rollback", at(6))), (e: Error) => e instanceof NotFoundError && /node id-ghost not found/.test(e.message));
    assert.deepEqual((await repo.listRolloutOperations("ro_1")).map((o) => o.id), ["op_1", "op_2", "op_5"]);
    assert.deepEqual((await repo.listNodeOperations("id-web-1")).map((o) => [o.id, o.epoch]), [["op_5", 2], ["op_1", 1]]);
    assert.deepEqual((await repo.listNodeOperations("id-web-1", { beforeEpoch: 2 })).map((o) => o.id), ["op_1"]);
    assert.deepEqual((await repo.listNodeOperations("id-web-1", { limit: 1 })).map((o) => o.id), ["op_5"]);
    assert.deepEqual((await repo.listOpenOperations()).map((o) => o.id), ["op_5", "op_2"], "by node id");
    assert.deepEqual(await repo.getOperation("op_1"), done);
  }));

  test("two concurrent upgrades of one node in one rollout: exactly one is stored", () => withRepo(async (repo) => {
    await repo.createNode(newNode("web-1"));
    await repo.createRelease(release("rel_1", "r1", at(0)));
    await repo.createRollout(rollout("ro_1", "rel_1", at(1)));
    const results = await Promise.allSettled(["op_a", "op_b", "op_c"].map((id) => repo.createOperation(operation(id, "web-1", "ro_1", "upgrade", at(2)))));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    assert.ok(results.filter((r) => r.status === "rejected").every((r) => r.reason instanceof AlreadyExistsError));
    assert.equal((await repo.listRolloutOperations("ro_1")).length, 1);
  }));

  test("updateOperation sets only the given fields, compares and sets the version", () => withRepo(async (repo) => {
    await repo.createNode(newNode("web-1"));
    await repo.createOperation(operation("op_1", "web-1", null, "rollback", at(1)));
    const checks = [{ name: "bin/check", ok: false, detail: "exit 1" }];
    const v2 = await repo.updateOperation("op_1", 1, { status: "confirming", healthy: false, checks }, at(2));
    assert.deepEqual([v2.status, v2.healthy, v2.checks, v2.decision, v2.error, v2.version, v2.updatedAt], ["confirming", false, checks, null, null, 2, at(2)]);
    const v3 = await repo.updateOperation("op_1", 2, { decision: "refused", decisionReason: "health checks did not pass" }, at(3));
    assert.deepEqual([v3.status, v3.healthy, v3.decision, v3.decisionReason], ["confirming", false, "refused", "health checks did not pass"]);
    const v4 = await repo.updateOperation("op_1", 3, { status: "failed", error: "withdrawn", withdrawn: true, healthy: null }, at(4));
    assert.deepEqual([v4.status, v4.error, v4.withdrawn, v4.healthy, v4.checks], ["failed", "withdrawn", true, null, checks]);
    await assert.rejects(repo.updateOperation("op_1", 3, { status: "running" }, at(5)), (e: Error) => e instanceof VersionConflictError && /operation op_1 changed since it was read: expected version 3, it is now 4/.test(e.message));
    await assert.rejects(repo.updateOperation("op_9", 1, { status: "running" }, at(5)), NotFoundError);
    assert.deepEqual(await repo.listOpenOperations(), []);
  }));

  test("operation events are numbered 1, 2, … per operation and read back with their data", () => withRepo(async (repo) => {
    await repo.createNode(newNode("web-1"));
    await repo.createNode(newNode("web-2"));
    await repo.createOperation(operation("op_1", "web-1", null, "rollback", at(1)));
    await repo.createOperation(operation("op_2", "web-2", null, "rollback", at(1)));
    const e1 = await repo.appendOperationEvent({ operation: "op_1", step: "received", ok: true, at: at(2), receivedAt: at(3), detail: null, data: null });
    await repo.appendOperationEvent({ operation: "op_2", step: "received", ok: true, at: at(2), receivedAt: at(3), detail: null, data: null });
    const e2 = await repo.appendOperationEvent({ operation: "op_1", step: "preflight", ok: false, at: at(4), receivedAt: at(4), detail: "short of space on /nix", data: { freeBytes: 1e9, needBytes: 2e9 } });
    assert.deepEqual([e1.seq, e2.seq], [1, 2]);
    assert.deepEqual(e2, { operation: "op_1", seq: 2, step: "preflight", ok: false, at: at(4), receivedAt: at(4), detail: "short of space on /nix", data: { freeBytes: 1e9, needBytes: 2e9 } });
    assert.deepEqual((await repo.listOperationEvents(["op_1", "op_2"])).map((e) => `${e.operation}/${e.seq}/${e.step}`), ["op_1/1/received", "op_1/2/preflight", "op_2/1/received"]);
    assert.deepEqual(await repo.listOperationEvents([]), []);
    await assert.rejects(repo.appendOperationEvent({ operation: "op_9", step: "received", ok: true, at: at(2), receivedAt: at(2), detail: null, data: null }), NotFoundError);
  }));

  test("desired systems: adopted once from the first facts, then set only by commits; listed with the epochs", () => withRepo(async (repo) => {
    await repo.createNode(newNode("web-1"));
    await repo.createNode(newNode("web-2"));
    assert.equal(await repo.setDesiredSystem("id-web-1", SYS("a", "sys-a"), at(1), { onlyIfUnset: true }), true);
    assert.equal(await repo.setDesiredSystem("id-web-1", SYS("c", "by-hand"), at(2), { onlyIfUnset: true }), false, "adoption never overwrites");
    assert.deepEqual(await repo.getNodeSystem("id-web-1"), { nodeId: "id-web-1", operationEpoch: 0, desiredSystem: SYS("a", "sys-a"), updatedAt: at(1) });
    await repo.createOperation(operation("op_1", "web-1", null, "rollback", at(3)));
    assert.equal(await repo.setDesiredSystem("id-web-1", SYS("b", "sys-b"), at(4)), true);
    assert.equal(await repo.setDesiredSystem("id-web-1", SYS("b", "sys-b"), at(5)), false, "unchanged");
    assert.equal(await repo.setDesiredSystem("id-ghost", SYS("b", "sys-b"), at(5)), false, "no such node");
    await repo.createOperation(operation("op_2", "web-2", null, "rollback", at(3)));
    assert.deepEqual(await repo.listNodeSystems(), [
      { nodeId: "id-web-1", operationEpoch: 1, desiredSystem: SYS("b", "sys-b"), updatedAt: at(4) },
      { nodeId: "id-web-2", operationEpoch: 1, desiredSystem: null, updatedAt: at(3) },
    ]);
  }));

  test("a rollout action's writes land together or not at all", () => withRepo(async (repo) => {
    await repo.createNode(newNode("web-1"));
    await repo.createRelease(release("rel_1", "r1", at(0)));
    const r = await repo.createRollout(rollout("ro_1", "rel_1", at(1)));
    await assert.rejects(repo.transaction(async (tx) => {
      await tx.updateRollout("ro_1", r.version, { ...r, wave: 1 }, at(2));
      await tx.createOperation(operation("op_1", "web-1", "ro_1", "upgrade", at(2)));
      await tx.appendRolloutEvent({ rollout: "ro_1", at: at(2), type: "node-started", node: "web-1", detail: "op_1", data: null });
      throw new Error("crash before commit");
    }), /crash before commit/);
    assert.equal((await repo.getRollout("ro_1"))!.version, 1);
    assert.deepEqual(await repo.listRolloutOperations("ro_1"), []);
    assert.deepEqual(await repo.listRolloutEvents("ro_1"), []);
    assert.equal(await repo.getNodeSystem("id-web-1"), null, "the epoch was not taken");
    // Inside a transaction a refused operation undoes only itself.
    await repo.transaction(async (tx) => {
      await tx.createOperation(operation("op_1", "web-1", "ro_1", "upgrade", at(3)));
      await assert.rejects(tx.createOperation(operation("op_2", "web-1", "ro_1", "upgrade", at(3))), AlreadyExistsError);
      await tx.appendRolloutEvent({ rollout: "ro_1", at: at(3), type: "node-started", node: "web-1", detail: "op_1", data: null });
    });
    assert.deepEqual((await repo.listRolloutOperations("ro_1")).map((o) => [o.id, o.epoch]), [["op_1", 1]]);
  }));
}
