/**
 * The repository in one SQLite file through better-sqlite3: WAL, synchronous
 * NORMAL (a crash loses at most the last commits, never consistency),
 * foreign keys on, a busy timeout for other processes' locks. The driver is
 * synchronous and fast; methods are async only to share the interface. One
 * connection means one transaction at a time: while one is open, every other
 * caller waits for it (so it never joins it by accident).
 */
import { closeSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import type { NodeRecord, NodeState } from "../fleet/node.js";
import type {
  AuditEntry, BootstrapToken, CredentialedNode, Heartbeat, NewNode, NodeCredential, NodeStatus, NodeUpdate, OperatorToken, Repository,
} from "./repository.js";
import { credentialNodeNotFound, nodeNotFound, nodeTaken, taken, versionConflict } from "./_errors.js";
import { pendingMigrations, SCHEMA_MIGRATIONS_TABLE } from "./migrations.js";
import type {
  NewOperation, NewOperationEvent, NewRollout, NewRolloutEvent, NodeSystem, OperationEvent, OperationRecord, OperationUpdate, ReleaseRecord,
  RolloutEvent, RolloutState, StoredRollout,
} from "./rollout-store.js";
import type { RolloutStatus } from "../fleet/rollout-plan.js";
import * as rr from "./_rollout-rows.js";
import { notFound, operationRefused, releaseTaken, rolloutTaken, staleVersion } from "./_rollout-errors.js";
import { SQLITE_ROLLOUT_SQL } from "./_rollout-sql.js";
import * as rows from "./_rows.js";
import { refuseInsideTransaction, runNested, runTransaction, type TxFrame } from "./_transaction.js";
import { parseJson, timestamp } from "./_values.js";

export interface SqliteOptions {
  /** How long a statement waits for another process's lock, in ms (default 5000). */
  busyTimeoutMs?: number;
}

const NODE = "SELECT n.*, f.facts, f.facts_hash FROM nodes n LEFT JOIN node_facts f ON f.node_id = n.id";

/** A credential and its node without facts (see rows.CredentialedNodeRow). */
const CREDENTIALED_NODE =
  "SELECT n.id, n.name, n.state, n.role, n.labels, n.enrolled_at, n.last_heartbeat_at, n.contract, n.drain, n.version, n.updated_at, f.facts_hash, " +
  "c.id AS credential_id, c.secret_hash AS credential_secret_hash, c.created_at AS credential_created_at, c.revoked_at AS credential_revoked_at " +
  "FROM node_credentials c JOIN nodes n ON n.id = c.node_id LEFT JOIN node_facts f ON f.node_id = n.id";

const SQL = {
  insertNode:
    "INSERT INTO nodes (id, name, state, role, labels, enrolled_at, version, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) " +
    "ON CONFLICT DO NOTHING RETURNING *, NULL AS facts, NULL AS facts_hash",
  nodeById: `${NODE} WHERE n.id = ?`,
  nodeByName: `${NODE} WHERE n.name = ?`,
  nodeVersion: "SELECT id, name, version FROM nodes WHERE id = ?",
  nodes: `${NODE} ORDER BY n.name`,
  nodesInStates: `${NODE} WHERE n.state IN (SELECT value FROM json_each(?)) ORDER BY n.name`,
  nodeStatuses:
    "SELECT n.id, n.name, n.state, n.role, n.last_heartbeat_at, n.contract, n.drain, f.node_id IS NOT NULL AS has_facts, f.current_system, f.booted_system, f.boot " +
    "FROM nodes n LEFT JOIN node_facts f ON f.node_id = n.id ORDER BY n.id",
  updateNode:
    "UPDATE nodes SET state = coalesce(?, state), labels = coalesce(?, labels), drain = CASE WHEN ? = 1 THEN ? ELSE drain END, " +
    "updated_at = ?, version = version + 1 WHERE id = ? AND version = ? RETURNING id",
  heartbeat: "UPDATE nodes SET last_heartbeat_at = ?, contract = ? WHERE id = ?",
  storeFacts:
    "INSERT INTO node_facts (node_id, facts, facts_hash, current_system, booted_system, boot) VALUES (?, ?, ?, ?, ?, ?) " +
    "ON CONFLICT (node_id) DO UPDATE SET facts = excluded.facts, facts_hash = excluded.facts_hash, " +
    "current_system = excluded.current_system, booted_system = excluded.booted_system, boot = excluded.boot",
  insertCredential:
    "INSERT INTO node_credentials (id, node_id, secret_hash, created_at) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM nodes WHERE id = ?) ON CONFLICT DO NOTHING",
  credentialById: "SELECT * FROM node_credentials WHERE id = ?",
  credentialWithNode: `${CREDENTIALED_NODE} WHERE c.id = ?`,
  revokeCredentials: "UPDATE node_credentials SET revoked_at = ? WHERE node_id = ? AND revoked_at IS NULL",
  insertOperatorToken:
    "INSERT INTO operator_tokens (id, name, role, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
  operatorTokenById: "SELECT * FROM operator_tokens WHERE id = ?",
  operatorTokens: "SELECT * FROM operator_tokens ORDER BY created_at, id",
  revokeOperatorToken: "UPDATE operator_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
  insertBootstrapToken:
    "INSERT INTO bootstrap_tokens (id, secret_hash, created_at, created_by, expires_at, uses_left, labels, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
  bootstrapTokenById: "SELECT * FROM bootstrap_tokens WHERE id = ?",
  consumeBootstrapToken: "UPDATE bootstrap_tokens SET uses_left = uses_left - 1 WHERE id = ? AND uses_left > 0 AND expires_at > ? RETURNING *",
  insertAudit: "INSERT INTO audit_log (at, actor, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
  // -1: no limit.
  audit: "SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?",
  auditOfTarget: "SELECT * FROM audit_log WHERE target = ? AND id > ? ORDER BY id LIMIT ?",
  appliedMigrations: "SELECT version FROM schema_migrations",
  recordMigration: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
  ...SQLITE_ROLLOUT_SQL,
} as const;

/**
 * Switch to WAL. On a fresh file another process (a second server starting
 * at once) may be doing the same; SQLite then answers SQLITE_BUSY at once
 * without calling the busy handler, so wait and retry until the busy timeout.
 */
function setWalMode(db: Database.Database, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      const busy = error instanceof Database.SqliteError && error.code.startsWith("SQLITE_BUSY");
      if (!busy || Date.now() + pause > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

type Param = string | number | null;

interface Shared {
  readonly db: Database.Database;
  readonly where: string;
  readonly statements: Map<string, Database.Statement<Param[]>>;
  /** Settles when the open transaction ends; null while none is open. */
  busy: Promise<void> | null;
}

export class SqliteRepository implements Repository {
  readonly #s: Shared;
  /** The transaction (or savepoint) this object runs in; null for the outer repository. */
  readonly #frame: TxFrame | null;

  private constructor(shared: Shared, frame: TxFrame | null) {
    this.#s = shared;
    this.#frame = frame;
  }

  /** Open (creating it, 0600, when missing) the database at `path`, or `:memory:`. Does not migrate. */
  static open(path: string, options: SqliteOptions = {}): SqliteRepository {
    // The file holds hashes, not secrets, but still nothing other users need: create it private.
    if (path !== ":memory:") closeSync(openSync(path, "a", 0o600));
    const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
    const db = new Database(path, { timeout: busyTimeoutMs });
    try {
      setWalMode(db, busyTimeoutMs);
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      // Truncate the WAL back to 64 MiB after checkpoints instead of keeping its high-water mark.
      db.pragma("journal_size_limit = 67108864");
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteRepository({ db, where: path, statements: new Map(), busy: null }, null);
  }

  migrate(): Promise<void> {
    return this.#transaction((tx) =>
      tx.#run(() => {
        const { db } = this.#s;
        db.exec(SCHEMA_MIGRATIONS_TABLE);
        const applied = tx.#all<{ version: number }>(SQL.appliedMigrations, []).map((r) => r.version);
        for (const m of pendingMigrations(applied, this.#s.where)) {
          db.exec(m.sql.sqlite);
          tx.#change(SQL.recordMigration, [m.version, m.name, new Date().toISOString()]);
        }
      }),
    );
  }

  async close(): Promise<void> {
    if (this.#frame !== null) throw new Error("close() the repository itself, not the one passed to a transaction");
    refuseInsideTransaction(this.#s);
    while (this.#s.busy !== null) await this.#s.busy;
    if (this.#s.db.open) this.#s.db.close();
  }

  transaction<T>(fn: (tx: Repository) => Promise<T>): Promise<T> {
    return this.#transaction(fn);
  }

  createNode(node: NewNode): Promise<NodeRecord> {
    return this.#run(() => {
      const row = this.#get<rows.NodeRow>(SQL.insertNode, rows.newNodeParams(node));
      if (row !== undefined) return rows.nodeFromRow(row, parseJson);
      throw nodeTaken(node, this.#get(SQL.nodeById, [node.id]) !== undefined);
    });
  }

  getNode(id: string): Promise<NodeRecord | null> {
    return this.#run(() => this.#node(SQL.nodeById, id));
  }

  getNodeByName(name: string): Promise<NodeRecord | null> {
    return this.#run(() => this.#node(SQL.nodeByName, name));
  }

  listNodes(filter: { states?: readonly NodeState[] } = {}): Promise<NodeRecord[]> {
    return this.#run(() => {
      const found = filter.states === undefined
        ? this.#all<rows.NodeRow>(SQL.nodes, [])
        : this.#all<rows.NodeRow>(SQL.nodesInStates, [JSON.stringify(filter.states)]);
      return found.map((r) => rows.nodeFromRow(r, parseJson));
    });
  }

  listNodeStatuses(): Promise<NodeStatus[]> {
    return this.#run(() => this.#all<rows.NodeStatusRow>(SQL.nodeStatuses, []).map((r) => rows.nodeStatusFromRow(r, parseJson)));
  }

  updateNode(id: string, expectedVersion: number, update: NodeUpdate, at: string): Promise<NodeRecord> {
    return this.#run(() => {
      if (this.#get(SQL.updateNode, rows.nodeUpdateParams(id, expectedVersion, update, at)) !== undefined) return this.#node(SQL.nodeById, id)!;
      const current = this.#get<{ id: string; name: string; version: number }>(SQL.nodeVersion, [id]);
      throw current === undefined ? nodeNotFound(id) : versionConflict(current, expectedVersion);
    });
  }

  recordHeartbeat(id: string, heartbeat: Heartbeat): Promise<void> {
    return this.#run(() => {
      const { node, facts } = rows.heartbeatParams(id, heartbeat);
      // better-sqlite3's transaction() is a savepoint inside an open transaction.
      const write = (): void => {
        if (this.#change(SQL.heartbeat, [...node, id]) === 0) throw nodeNotFound(id);
        if (facts !== null) this.#change(SQL.storeFacts, [id, ...facts]);
      };
      if (facts === null) write();
      else this.#s.db.transaction(write)();
    });
  }

  createNodeCredential(credential: Omit<NodeCredential, "revokedAt">): Promise<void> {
    return this.#run(() => {
      const params = rows.credentialParams(credential);
      if (this.#change(SQL.insertCredential, [...params, credential.nodeId]) === 1) return;
      throw this.#get(SQL.credentialById, [credential.id]) !== undefined
        ? taken("node credential", credential.id)
        : credentialNodeNotFound(credential.id, credential.nodeId);
    });
  }

  getNodeCredential(id: string): Promise<NodeCredential | null> {
    return this.#run(() => {
      const row = this.#get<rows.CredentialRow>(SQL.credentialById, [id]);
      return row === undefined ? null : rows.credentialFromRow(row);
    });
  }

  getNodeCredentialWithNode(id: string): Promise<CredentialedNode | null> {
    return this.#run(() => {
      const row = this.#get<rows.CredentialedNodeRow>(SQL.credentialWithNode, [id]);
      return row === undefined ? null : rows.credentialedNodeFromRow(row, parseJson);
    });
  }

  revokeNodeCredentials(nodeId: string, at: string): Promise<number> {
    return this.#run(() => this.#change(SQL.revokeCredentials, [timestamp(at, `revocation time of node ${nodeId}'s credentials`), nodeId]));
  }

  createOperatorToken(token: Omit<OperatorToken, "revokedAt">): Promise<void> {
    return this.#run(() => {
      if (this.#change(SQL.insertOperatorToken, rows.operatorTokenParams(token)) === 0) throw taken("operator token", token.id);
    });
  }

  getOperatorToken(id: string): Promise<OperatorToken | null> {
    return this.#run(() => {
      const row = this.#get<rows.OperatorTokenRow>(SQL.operatorTokenById, [id]);
      return row === undefined ? null : rows.operatorTokenFromRow(row);
    });
  }

  listOperatorTokens(): Promise<OperatorToken[]> {
    return this.#run(() => this.#all<rows.OperatorTokenRow>(SQL.operatorTokens, []).map(rows.operatorTokenFromRow));
  }

  revokeOperatorToken(id: string, at: string): Promise<boolean> {
    return this.#run(() => this.#change(SQL.revokeOperatorToken, [timestamp(at, `revocation time of operator token ${id}`), id]) === 1);
  }

  createBootstrapToken(token: BootstrapToken): Promise<void> {
    return this.#run(() => {
      if (this.#change(SQL.insertBootstrapToken, rows.bootstrapTokenParams(token)) === 0) throw taken("bootstrap token", token.id);
    });
  }

  getBootstrapToken(id: string): Promise<BootstrapToken | null> {
    return this.#run(() => this.#bootstrapToken(SQL.bootstrapTokenById, [id]));
  }

  consumeBootstrapToken(id: string, now: string): Promise<BootstrapToken | null> {
    return this.#run(() => this.#bootstrapToken(SQL.consumeBootstrapToken, [id, timestamp(now, "time of enrollment")]));
  }

  appendAudit(entry: Omit<AuditEntry, "id">): Promise<AuditEntry> {
    return this.#run(() => rows.auditFromRow(this.#get<rows.AuditRow>(SQL.insertAudit, rows.auditParams(entry))!, parseJson));
  }

  listAudit(filter: { target?: string; afterId?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    return this.#run(() => {
      const { afterId, limit } = rows.auditPage(filter);
      const found = filter.target === undefined
        ? this.#all<rows.AuditRow>(SQL.audit, [afterId, limit ?? -1])
        : this.#all<rows.AuditRow>(SQL.auditOfTarget, [filter.target, afterId, limit ?? -1]);
      return found.map((r) => rows.auditFromRow(r, parseJson));
    });
  }

  // Releases, rollouts and operations (rollout-store.ts).

  createRelease(release: ReleaseRecord): Promise<void> {
    return this.#run(() => {
      if (this.#change(SQL.insertRelease, rr.releaseParams(release)) === 1) return;
      throw releaseTaken(release, this.#get(SQL.releaseById, [release.id]) !== undefined);
    });
  }

  getRelease(id: string): Promise<ReleaseRecord | null> {
    return this.#run(() => this.#one<rr.ReleaseRow, ReleaseRecord>(SQL.releaseById, [id], (r) => rr.releaseFromRow(r, parseJson)));
  }

  getReleaseByName(name: string): Promise<ReleaseRecord | null> {
    return this.#run(() => this.#one<rr.ReleaseRow, ReleaseRecord>(SQL.releaseByName, [name], (r) => rr.releaseFromRow(r, parseJson)));
  }

  listReleases(filter: { limit?: number } = {}): Promise<ReleaseRecord[]> {
    return this.#run(() => this.#all<rr.ReleaseRow>(SQL.releases, [rr.page(filter.limit, "releases") ?? -1]).map((r) => rr.releaseFromRow(r, parseJson)));
  }

  createRollout(rollout: NewRollout): Promise<StoredRollout> {
    return this.#run(() => {
      const row = this.#get<rr.RolloutRow>(SQL.insertRollout, [...rr.newRolloutParams(rollout), rollout.createdAt, rollout.release]);
      if (row !== undefined) return rr.rolloutFromRow(row, parseJson);
      throw this.#get(SQL.rolloutById, [rollout.id]) !== undefined ? rolloutTaken(rollout.id) : notFound("release", rollout.release);
    });
  }

  getRollout(id: string): Promise<StoredRollout | null> {
    return this.#run(() => this.#one<rr.RolloutRow, StoredRollout>(SQL.rolloutById, [id], (r) => rr.rolloutFromRow(r, parseJson)));
  }

  listRollouts(filter: { statuses?: readonly RolloutStatus[]; limit?: number } = {}): Promise<StoredRollout[]> {
    return this.#run(() => {
      const limit = rr.page(filter.limit, "rollouts") ?? -1;
      const found = filter.statuses === undefined
        ? this.#all<rr.RolloutRow>(SQL.rollouts, [limit])
        : this.#all<rr.RolloutRow>(SQL.rolloutsInStatuses, [JSON.stringify(filter.statuses), limit]);
      return found.map((r) => rr.rolloutFromRow(r, parseJson));
    });
  }

  updateRollout(id: string, expectedVersion: number, state: RolloutState, at: string): Promise<StoredRollout> {
    return this.#run(() => {
      const row = this.#get<rr.RolloutRow>(SQL.updateRollout, rr.rolloutUpdateParams(id, expectedVersion, state, at));
      if (row !== undefined) return rr.rolloutFromRow(row, parseJson);
      const current = this.#get<rr.RolloutRow>(SQL.rolloutById, [id]);
      throw current === undefined ? notFound("rollout", id) : staleVersion("rollout", id, expectedVersion, current.version);
    });
  }

  appendRolloutEvent(event: NewRolloutEvent): Promise<RolloutEvent> {
    return this.#run(() => rr.rolloutEventFromRow(this.#get<rr.RolloutEventRow>(SQL.insertRolloutEvent, rr.rolloutEventParams(event))!, parseJson));
  }

  listRolloutEvents(rollout: string, filter: { after?: number; limit?: number } = {}): Promise<RolloutEvent[]> {
    return this.#run(() => this.#all<rr.RolloutEventRow>(SQL.rolloutEvents, [rollout, rr.after(filter.after, "after"), rr.page(filter.limit, "rollout events") ?? -1])
      .map((r) => rr.rolloutEventFromRow(r, parseJson)));
  }

  createOperation(operation: NewOperation): Promise<OperationRecord> {
    return this.#run(() => {
      const params = rr.newOperationParams(operation);
      // A savepoint inside an open transaction: the epoch is taken only with the operation.
      const row = this.#s.db.transaction(() => {
        const taken = this.#get<{ operation_epoch: number }>(SQL.takeEpoch, [operation.nodeId, operation.createdAt, operation.nodeId]);
        if (taken === undefined) throw notFound("node", operation.nodeId);
        const inserted = this.#get<rr.OperationRow>(SQL.insertOperation, [...params, taken.operation_epoch, operation.createdAt]);
        if (inserted === undefined) throw this.#operationRefused(operation);
        return inserted;
      })();
      return rr.operationFromRow(row, parseJson);
    });
  }

  getOperation(id: string): Promise<OperationRecord | null> {
    return this.#run(() => this.#one<rr.OperationRow, OperationRecord>(SQL.operationById, [id], (r) => rr.operationFromRow(r, parseJson)));
  }

  updateOperation(id: string, expectedVersion: number, update: OperationUpdate, at: string): Promise<OperationRecord> {
    return this.#run(() => {
      const row = this.#get<rr.OperationRow>(SQL.updateOperation, rr.operationUpdateParams(id, expectedVersion, update, at, sqliteBoolean));
      if (row !== undefined) return rr.operationFromRow(row, parseJson);
      const current = this.#get<rr.OperationRow>(SQL.operationById, [id]);
      throw current === undefined ? notFound("operation", id) : staleVersion("operation", id, expectedVersion, current.version);
    });
  }

  listRolloutOperations(rollout: string): Promise<OperationRecord[]> {
    return this.#run(() => this.#all<rr.OperationRow>(SQL.rolloutOperations, [rollout]).map((r) => rr.operationFromRow(r, parseJson)));
  }

  listNodeOperations(nodeId: string, filter: { beforeEpoch?: number; limit?: number } = {}): Promise<OperationRecord[]> {
    return this.#run(() => this.#all<rr.OperationRow>(SQL.nodeOperations, [nodeId, rr.after(filter.beforeEpoch ?? 2 ** 31 - 1, "beforeEpoch"), rr.page(filter.limit, "operations") ?? -1])
      .map((r) => rr.operationFromRow(r, parseJson)));
  }

  listOpenOperations(): Promise<OperationRecord[]> {
    return this.#run(() => this.#all<rr.OperationRow>(SQL.openOperations, []).map((r) => rr.operationFromRow(r, parseJson)));
  }

  appendOperationEvent(event: NewOperationEvent): Promise<OperationEvent> {
    return this.#run(() => {
      const [id, ...rest] = rr.operationEventParams(event, sqliteBoolean);
      const row = this.#get<rr.OperationEventRow>(SQL.insertOperationEvent, [...rest, id!]);
      if (row === undefined) throw notFound("operation", event.operation);
      return rr.operationEventFromRow(row, parseJson);
    });
  }

  listOperationEvents(operations: readonly string[]): Promise<OperationEvent[]> {
    return this.#run(() => this.#all<rr.OperationEventRow>(SQL.operationEvents, [JSON.stringify(operations)]).map((r) => rr.operationEventFromRow(r, parseJson)));
  }

  getNodeSystem(nodeId: string): Promise<NodeSystem | null> {
    return this.#run(() => this.#one<rr.NodeSystemRow, NodeSystem>(SQL.nodeSystem, [nodeId], rr.nodeSystemFromRow));
  }

  listNodeSystems(): Promise<NodeSystem[]> {
    return this.#run(() => this.#all<rr.NodeSystemRow>(SQL.nodeSystems, []).map(rr.nodeSystemFromRow));
  }

  setDesiredSystem(nodeId: string, system: string, at: string, options: { onlyIfUnset?: boolean } = {}): Promise<boolean> {
    return this.#run(() => {
      const [id, desired, when, onlyIfUnset] = rr.desiredSystemParams(nodeId, system, at, options.onlyIfUnset === true);
      return this.#change(SQL.setDesiredSystem, [id!, desired!, when!, id!, onlyIfUnset!]) === 1;
    });
  }

  #one<R, T>(sql: string, params: Param[], map: (row: R) => T): T | null {
    const row = this.#get<R>(sql, params);
    return row === undefined ? null : map(row);
  }

  #operationRefused(op: NewOperation): Error {
    if (this.#get(SQL.nodeExists, [op.nodeId]) === undefined) return notFound("node", op.nodeId);
    return operationRefused(op, {
      idTaken: this.#get(SQL.operationById, [op.id]) !== undefined,
      upgradeOfRollout: op.kind === "upgrade" && op.rollout !== null ? this.#get<{ id: string }>(SQL.upgradeOfRollout, [op.rollout, op.nodeId])?.id ?? null : null,
      open: this.#get<{ id: string }>(SQL.openOperationOfNode, [op.nodeId])?.id ?? null,
    });
  }

  /**
   * Run `op` (synchronous) when this object may: inside its transaction at once,
   * outside only once no transaction is open, checked in the same tick as `op`
   * runs so none can open in between.
   */
  async #run<T>(op: () => T): Promise<T> {
    if (this.#frame !== null) {
      this.#frame.check();
      return op();
    }
    refuseInsideTransaction(this.#s);
    while (this.#s.busy !== null) await this.#s.busy;
    return op();
  }

  async #transaction<T>(fn: (tx: SqliteRepository) => Promise<T>): Promise<T> {
    const exec = (sql: string): void => {
      // SQLite rolls some failures (disk full, I/O) back by itself.
      if (sql !== "ROLLBACK" || this.#s.db.inTransaction) this.#s.db.exec(sql);
    };
    if (this.#frame !== null) return runNested(this.#frame, exec, (frame) => fn(new SqliteRepository(this.#s, frame)));
    refuseInsideTransaction(this.#s);
    while (this.#s.busy !== null) await this.#s.busy;
    let release = (): void => {};
    this.#s.busy = new Promise((resolve) => { release = resolve; });
    try {
      // BEGIN runs in this tick, right after `busy` was set: IMMEDIATE takes the write lock now, not at the first write.
      return await runTransaction(this.#s, exec, "BEGIN IMMEDIATE", (frame) => fn(new SqliteRepository(this.#s, frame)));
    } finally {
      this.#s.busy = null;
      release();
    }
  }

  #statement(sql: string): Database.Statement<Param[]> {
    let statement = this.#s.statements.get(sql);
    if (statement === undefined) {
      statement = this.#s.db.prepare<Param[]>(sql);
      this.#s.statements.set(sql, statement);
    }
    return statement;
  }

  #get<R>(sql: string, params: Param[]): R | undefined {
    return this.#statement(sql).get(...params) as R | undefined;
  }

  #all<R>(sql: string, params: Param[]): R[] {
    return this.#statement(sql).all(...params) as R[];
  }

  #change(sql: string, params: Param[]): number {
    return this.#statement(sql).run(...params).changes;
  }

  #node(sql: string, key: string): NodeRecord | null {
    const row = this.#get<rows.NodeRow>(sql, [key]);
    return row === undefined ? null : rows.nodeFromRow(row, parseJson);
  }

  #bootstrapToken(sql: string, params: Param[]): BootstrapToken | null {
    const row = this.#get<rows.BootstrapTokenRow>(sql, params);
    return row === undefined ? null : rows.bootstrapTokenFromRow(row, parseJson);
  }
}

const sqliteBoolean = (b: boolean): number => (b ? 1 : 0);
