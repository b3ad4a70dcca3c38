/**
 * The repository in PostgreSQL through a `pg` Pool, for a control plane that
 * runs on several servers. Every write that must not race is one statement:
 * the node CAS is `UPDATE … WHERE id AND version`, a bootstrap token's use is
 * `UPDATE … WHERE uses_left > 0 AND expires_at > now RETURNING`, inserts are
 * `ON CONFLICT DO NOTHING` (so a taken name does not abort the caller's
 * transaction, as on SQLite). Migrations run under an advisory lock.
 */
import pg from "pg";
import type { CustomTypesConfig, Pool, PoolClient, QueryResult } from "pg";
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
import { POSTGRES_ROLLOUT_SQL } from "./_rollout-sql.js";
import * as rows from "./_rows.js";
import { refuseInsideTransaction, runNested, runTransaction, type TxFrame } from "./_transaction.js";
import { parseJsonSorted, timestamp } from "./_values.js";

export interface PostgresOptions {
  /** Most connections the pool opens (default 10). */
  maxConnections?: number;
  /** Most connections of the separate heartbeat pool (default 4). */
  heartbeatConnections?: number;
  /** How long to wait for a connection, in ms (default 5000; the driver's own default waits forever). */
  connectTimeoutMs?: number;
  /** Errors of idle pooled connections (the server restarted, say); the pool replaces them. */
  onIdleError?: (error: Error) => void;
}

const NODE = "SELECT n.*, f.facts, f.facts_hash FROM nodes n LEFT JOIN node_facts f ON f.node_id = n.id";

/** A credential and its node without facts (see rows.CredentialedNodeRow). */
const CREDENTIALED_NODE =
  "SELECT n.id, n.name, n.state, n.role, n.labels, n.enrolled_at, n.last_heartbeat_at, n.contract, n.drain, n.version, n.updated_at, f.facts_hash, " +
  "c.id AS credential_id, c.secret_hash AS credential_secret_hash, c.created_at AS credential_created_at, c.revoked_at AS credential_revoked_at " +
  "FROM node_credentials c JOIN nodes n ON n.id = c.node_id LEFT JOIN node_facts f ON f.node_id = n.id";

const SQL = {
  insertNode:
    "INSERT INTO nodes (id, name, state, role, labels, enrolled_at, version, updated_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8) " +
    "ON CONFLICT DO NOTHING RETURNING *, NULL AS facts, NULL AS facts_hash",
  nodeById: `${NODE} WHERE n.id = $1`,
  nodeByName: `${NODE} WHERE n.name = $1`,
  nodeVersion: "SELECT id, name, version FROM nodes WHERE id = $1",
  nodes: `${NODE} ORDER BY n.name`,
  nodesInStates: `${NODE} WHERE n.state = ANY($1::text[]) ORDER BY n.name`,
  nodeStatuses:
    "SELECT n.id, n.name, n.state, n.role, n.last_heartbeat_at, n.contract, n.drain, f.node_id IS NOT NULL AS has_facts, f.current_system, f.booted_system, f.boot " +
    "FROM nodes n LEFT JOIN node_facts f ON f.node_id = n.id ORDER BY n.id",
  updateNode:
    "WITH n AS (UPDATE nodes SET state = coalesce($1, state), labels = coalesce($2::jsonb, labels), " +
    "drain = CASE WHEN $3::int = 1 THEN $4::jsonb ELSE drain END, updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7 RETURNING *) " +
    "SELECT n.*, f.facts, f.facts_hash FROM n LEFT JOIN node_facts f ON f.node_id = n.id",
  heartbeat: "UPDATE nodes SET last_heartbeat_at = $1, contract = $2::jsonb WHERE id = $3",
  // One statement, so the node's row and its facts change together without a transaction's round trips.
  heartbeatWithFacts:
    "WITH n AS (UPDATE nodes SET last_heartbeat_at = $1, contract = $2::jsonb WHERE id = $3 RETURNING id) " +
    "INSERT INTO node_facts (node_id, facts, facts_hash, current_system, booted_system, boot) SELECT id, $4::jsonb, $5, $6, $7, $8::jsonb FROM n " +
    "ON CONFLICT (node_id) DO UPDATE SET facts = excluded.facts, facts_hash = excluded.facts_hash, " +
    "current_system = excluded.current_system, booted_system = excluded.booted_system, boot = excluded.boot",
  insertCredential:
    "INSERT INTO node_credentials (id, node_id, secret_hash, created_at) SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM nodes WHERE id = $2) " +
    "ON CONFLICT DO NOTHING",
  credentialById: "SELECT * FROM node_credentials WHERE id = $1",
  credentialWithNode: `${CREDENTIALED_NODE} WHERE c.id = $1`,
  revokeCredentials: "UPDATE node_credentials SET revoked_at = $1 WHERE node_id = $2 AND revoked_at IS NULL",
  insertOperatorToken:
    "INSERT INTO operator_tokens (id, name, role, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
  operatorTokenById: "SELECT * FROM operator_tokens WHERE id = $1",
  operatorTokens: "SELECT * FROM operator_tokens ORDER BY created_at, id",
  revokeOperatorToken: "UPDATE operator_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
  insertBootstrapToken:
    "INSERT INTO bootstrap_tokens (id, secret_hash, created_at, created_by, expires_at, uses_left, labels, role) " +
    "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) ON CONFLICT DO NOTHING",
  bootstrapTokenById: "SELECT * FROM bootstrap_tokens WHERE id = $1",
  consumeBootstrapToken:
    "UPDATE bootstrap_tokens SET uses_left = uses_left - 1 WHERE id = $1 AND uses_left > 0 AND expires_at > $2 RETURNING *",
  insertAudit: "INSERT INTO audit_log (at, actor, action, target, before, after) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb) RETURNING *",
  // LIMIT NULL: no limit.
  audit: "SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
  auditOfTarget: "SELECT * FROM audit_log WHERE target = $1 AND id > $2 ORDER BY id LIMIT $3",
  ...POSTGRES_ROLLOUT_SQL,
} as const;

/** Key of the transaction-scoped advisory lock migrations hold ("hpmigr" in ASCII). */
const MIGRATION_LOCK = 0x68706d696772;

type Param = string | number | null | readonly string[];

// jsonb as text: the rows' JSON is parsed (keys sorted) by the code both backends share.
const JSON_OIDS = new Set([114, 3802]);
const types: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    JSON_OIDS.has(oid) ? (value: string) => value : (pg.types.getTypeParser(oid, format) as (value: string) => unknown)) as CustomTypesConfig["getTypeParser"],
};

interface Shared {
  readonly pool: Pool;
  /** Heartbeats outside transactions, committed asynchronously (see `open`). */
  readonly heartbeats: Pool;
  readonly where: string;
}

export class PostgresRepository implements Repository {
  readonly #s: Shared;
  /** The connection of this object's transaction; null for the outer repository (the pool). */
  readonly #client: PoolClient | null;
  readonly #frame: TxFrame | null;

  private constructor(shared: Shared, client: PoolClient | null, frame: TxFrame | null) {
    this.#s = shared;
    this.#client = client;
    this.#frame = frame;
  }

  /**
   * A pool for `url` (connections open on first use). `where` names the
   * database in messages: the URL without its password.
   */
  static open(url: string, where: string, options: PostgresOptions = {}): PostgresRepository {
    const pool = newPool(url, options.maxConnections ?? 10, options);
    // Heartbeats are soft state, rewritten every few seconds: they commit without waiting for the WAL flush
    // (a PostgreSQL crash may lose the last ~0.6 s of them, as SQLite's synchronous=NORMAL may lose recent
    // commits on power loss; never consistency). That doubles what one server sustains. Everything else
    // commits durably, on its own pool.
    const heartbeats = newPool(withSetting(url, "synchronous_commit=off"), options.heartbeatConnections ?? 4, options);
    return new PostgresRepository({ pool, heartbeats, where }, null, null);
  }

  /** One round trip: throws when the server cannot be reached or refuses us. */
  async ping(): Promise<void> {
    await this.#raw("SELECT 1", []);
  }

  migrate(): Promise<void> {
    return this.#transaction(async (tx) => {
      await tx.#exec(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await tx.#exec(SCHEMA_MIGRATIONS_TABLE);
      const applied = await tx.#raw<{ version: number }>("SELECT version FROM schema_migrations", []);
      for (const m of pendingMigrations(applied.map((r) => r.version), this.#s.where)) {
        await tx.#exec(m.sql.postgres);
        await tx.#raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, new Date().toISOString()]);
      }
    });
  }

  async close(): Promise<void> {
    if (this.#frame !== null) throw new Error("close() the repository itself, not the one passed to a transaction");
    refuseInsideTransaction(this.#s);
    for (const pool of [this.#s.pool, this.#s.heartbeats]) if (!pool.ended) await pool.end();
  }

  transaction<T>(fn: (tx: Repository) => Promise<T>): Promise<T> {
    return this.#transaction(fn);
  }

  async createNode(node: NewNode): Promise<NodeRecord> {
    const [row] = await this.#rows<rows.NodeRow>("insertNode", rows.newNodeParams(node));
    if (row !== undefined) return rows.nodeFromRow(row, parseJsonSorted);
    const [sameId] = await this.#rows("nodeById", [node.id]);
    throw nodeTaken(node, sameId !== undefined);
  }

  getNode(id: string): Promise<NodeRecord | null> {
    return this.#node("nodeById", id);
  }

  getNodeByName(name: string): Promise<NodeRecord | null> {
    return this.#node("nodeByName", name);
  }

  async listNodes(filter: { states?: readonly NodeState[] } = {}): Promise<NodeRecord[]> {
    const found = filter.states === undefined
      ? await this.#rows<rows.NodeRow>("nodes", [])
      : await this.#rows<rows.NodeRow>("nodesInStates", [filter.states]);
    return found.map((r) => rows.nodeFromRow(r, parseJsonSorted));
  }

  async listNodeStatuses(): Promise<NodeStatus[]> {
    return (await this.#rows<rows.NodeStatusRow>("nodeStatuses", [])).map((r) => rows.nodeStatusFromRow(r, parseJsonSorted));
  }

  async updateNode(id: string, expectedVersion: number, update: NodeUpdate, at: string): Promise<NodeRecord> {
    const [row] = await this.#rows<rows.NodeRow>("updateNode", rows.nodeUpdateParams(id, expectedVersion, update, at));
    if (row !== undefined) return rows.nodeFromRow(row, parseJsonSorted);
    const [current] = await this.#rows<{ id: string; name: string; version: number }>("nodeVersion", [id]);
    throw current === undefined ? nodeNotFound(id) : versionConflict(current, expectedVersion);
  }

  async recordHeartbeat(id: string, heartbeat: Heartbeat): Promise<void> {
    const { node, facts } = rows.heartbeatParams(id, heartbeat);
    const changed = facts === null
      ? await this.#count("heartbeat", [...node, id], "heartbeat")
      : await this.#count("heartbeatWithFacts", [...node, id, ...facts], "heartbeat");
    if (changed === 0) throw nodeNotFound(id);
  }

  async createNodeCredential(credential: Omit<NodeCredential, "revokedAt">): Promise<void> {
    if ((await this.#count("insertCredential", rows.credentialParams(credential))) === 1) return;
    const [same] = await this.#rows("credentialById", [credential.id]);
    throw same !== undefined ? taken("node credential", credential.id) : credentialNodeNotFound(credential.id, credential.nodeId);
  }

  async getNodeCredential(id: string): Promise<NodeCredential | null> {
    const [row] = await this.#rows<rows.CredentialRow>("credentialById", [id]);
    return row === undefined ? null : rows.credentialFromRow(row);
  }

  async getNodeCredentialWithNode(id: string): Promise<CredentialedNode | null> {
    const [row] = await this.#rows<rows.CredentialedNodeRow>("credentialWithNode", [id]);
    return row === undefined ? null : rows.credentialedNodeFromRow(row, parseJsonSorted);
  }

  revokeNodeCredentials(nodeId: string, at: string): Promise<number> {
    return this.#count("revokeCredentials", [timestamp(at, `revocation time of node ${nodeId}'s credentials`), nodeId]);
  }

  async createOperatorToken(token: Omit<OperatorToken, "revokedAt">): Promise<void> {
    if ((await this.#count("insertOperatorToken", rows.operatorTokenParams(token))) === 0) throw taken("operator token", token.id);
  }

  async getOperatorToken(id: string): Promise<OperatorToken | null> {
    const [row] = await this.#rows<rows.OperatorTokenRow>("operatorTokenById", [id]);
    return row === undefined ? null : rows.operatorTokenFromRow(row);
  }

  async listOperatorTokens(): Promise<OperatorToken[]> {
    return (await this.#rows<rows.OperatorTokenRow>("operatorTokens", [])).map(rows.operatorTokenFromRow);
  }

  async revokeOperatorToken(id: string, at: string): Promise<boolean> {
    return (await this.#count("revokeOperatorToken", [timestamp(at, `revocation time of operator token ${id}`), id])) === 1;
  }

  async createBootstrapToken(token: BootstrapToken): Promise<void> {
    if ((await this.#count("insertBootstrapToken", rows.bootstrapTokenParams(token))) === 0) throw taken("bootstrap token", token.id);
  }

  getBootstrapToken(id: string): Promise<BootstrapToken | null> {
    return this.#bootstrapToken("bootstrapTokenById", [id]);
  }

  consumeBootstrapToken(id: string, now: string): Promise<BootstrapToken | null> {
    return this.#bootstrapToken("consumeBootstrapToken", [id, timestamp(now, "time of enrollment")]);
  }

  async appendAudit(entry: Omit<AuditEntry, "id">): Promise<AuditEntry> {
    const [row] = await this.#rows<rows.AuditRow>("insertAudit", rows.auditParams(entry));
    return rows.auditFromRow(row!, parseJsonSorted);
  }

  async listAudit(filter: { target?: string; afterId?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    const { afterId, limit } = rows.auditPage(filter);
    const found = filter.target === undefined
      ? await this.#rows<rows.AuditRow>("audit", [afterId, limit])
      : await this.#rows<rows.AuditRow>("auditOfTarget", [filter.target, afterId, limit]);
    return found.map((r) => rows.auditFromRow(r, parseJsonSorted));
  }

  // Releases, rollouts and operations (rollout-store.ts).

  async createRelease(release: ReleaseRecord): Promise<void> {
    if ((await this.#count("insertRelease", rr.releaseParams(release))) === 1) return;
    throw releaseTaken(release, (await this.#rows("releaseById", [release.id])).length > 0);
  }

  getRelease(id: string): Promise<ReleaseRecord | null> {
    return this.#one<rr.ReleaseRow, ReleaseRecord>("releaseById", [id], (r) => rr.releaseFromRow(r, parseJsonSorted));
  }

  getReleaseByName(name: string): Promise<ReleaseRecord | null> {
    return this.#one<rr.ReleaseRow, ReleaseRecord>("releaseByName", [name], (r) => rr.releaseFromRow(r, parseJsonSorted));
  }

  async listReleases(filter: { limit?: number } = {}): Promise<ReleaseRecord[]> {
    return (await this.#rows<rr.ReleaseRow>("releases", [rr.page(filter.limit, "releases")])).map((r) => rr.releaseFromRow(r, parseJsonSorted));
  }

  async createRollout(rollout: NewRollout): Promise<StoredRollout> {
    const [row] = await this.#rows<rr.RolloutRow>("insertRollout", [...rr.newRolloutParams(rollout), rollout.createdAt, rollout.release]);
    if (row !== undefined) return rr.rolloutFromRow(row, parseJsonSorted);
    throw (await this.#rows("rolloutById", [rollout.id])).length > 0 ? rolloutTaken(rollout.id) : notFound("release", rollout.release);
  }

  getRollout(id: string): Promise<StoredRollout | null> {
    return this.#one<rr.RolloutRow, StoredRollout>("rolloutById", [id], (r) => rr.rolloutFromRow(r, parseJsonSorted));
  }

  async listRollouts(filter: { statuses?: readonly RolloutStatus[]; limit?: number } = {}): Promise<StoredRollout[]> {
    const limit = rr.page(filter.limit, "rollouts");
    const found = filter.statuses === undefined
      ? await this.#rows<rr.RolloutRow>("rollouts", [limit])
      : await this.#rows<rr.RolloutRow>("rolloutsInStatuses", [filter.statuses, limit]);
    return found.map((r) => rr.rolloutFromRow(r, parseJsonSorted));
  }

  async updateRollout(id: string, expectedVersion: number, state: RolloutState, at: string): Promise<StoredRollout> {
    const [row] = await this.#rows<rr.RolloutRow>("updateRollout", rr.rolloutUpdateParams(id, expectedVersion, state, at));
    if (row !== undefined) return rr.rolloutFromRow(row, parseJsonSorted);
    const [current] = await this.#rows<rr.RolloutRow>("rolloutById", [id]);
    throw current === undefined ? notFound("rollout", id) : staleVersion("rollout", id, expectedVersion, current.version);
  }

  async appendRolloutEvent(event: NewRolloutEvent): Promise<RolloutEvent> {
    const [row] = await this.#rows<rr.RolloutEventRow>("insertRolloutEvent", rr.rolloutEventParams(event));
    return rr.rolloutEventFromRow(row!, parseJsonSorted);
  }

  async listRolloutEvents(rollout: string, filter: { after?: number; limit?: number } = {}): Promise<RolloutEvent[]> {
    const found = await this.#rows<rr.RolloutEventRow>("rolloutEvents", [rollout, rr.after(filter.after, "after"), rr.page(filter.limit, "rollout events")]);
    return found.map((r) => rr.rolloutEventFromRow(r, parseJsonSorted));
  }

  async createOperation(operation: NewOperation): Promise<OperationRecord> {
    const params = rr.newOperationParams(operation);
    // Its own transaction (a savepoint inside an open one): the epoch is taken only with the operation.
    return this.#transaction(async (tx) => {
      const [taken] = await tx.#rows<{ operation_epoch: number }>("takeEpoch", [operation.nodeId, operation.createdAt, operation.nodeId]);
      if (taken === undefined) throw notFound("node", operation.nodeId);
      const [row] = await tx.#rows<rr.OperationRow>("insertOperation", [...params, taken.operation_epoch, operation.createdAt]);
      if (row !== undefined) return rr.operationFromRow(row, parseJsonSorted);
      const first = async (key: "operationById" | "upgradeOfRollout" | "openOperationOfNode", values: Param[]) => (await tx.#rows<{ id: string }>(key, values))[0]?.id ?? null;
      throw operationRefused(operation, {
        idTaken: (await first("operationById", [operation.id])) !== null,
        upgradeOfRollout: operation.kind === "upgrade" && operation.rollout !== null ? await first("upgradeOfRollout", [operation.rollout, operation.nodeId]) : null,
        open: await first("openOperationOfNode", [operation.nodeId]),
      });
    });
  }

  getOperation(id: string): Promise<OperationRecord | null> {
    return this.#one<rr.OperationRow, OperationRecord>("operationById", [id], (r) => rr.operationFromRow(r, parseJsonSorted));
  }

  async updateOperation(id: string, expectedVersion: number, update: OperationUpdate, at: string): Promise<OperationRecord> {
    const [row] = await this.#rows<rr.OperationRow>("updateOperation", rr.operationUpdateParams(id, expectedVersion, update, at, postgresBoolean));
    if (row !== undefined) return rr.operationFromRow(row, parseJsonSorted);
    const [current] = await this.#rows<rr.OperationRow>("operationById", [id]);
    throw current === undefined ? notFound("operation", id) : staleVersion("operation", id, expectedVersion, current.version);
  }

  async listRolloutOperations(rollout: string): Promise<OperationRecord[]> {
    return (await this.#rows<rr.OperationRow>("rolloutOperations", [rollout])).map((r) => rr.operationFromRow(r, parseJsonSorted));
  }

  async listNodeOperations(nodeId: string, filter: { beforeEpoch?: number; limit?: number } = {}): Promise<OperationRecord[]> {
    const found = await this.#rows<rr.OperationRow>("nodeOperations", [nodeId, rr.after(filter.beforeEpoch ?? 2 ** 31 - 1, "beforeEpoch"), rr.page(filter.limit, "operations")]);
    return found.map((r) => rr.operationFromRow(r, parseJsonSorted));
  }

  async listOpenOperations(): Promise<OperationRecord[]> {
    return (await this.#rows<rr.OperationRow>("openOperations", [])).map((r) => rr.operationFromRow(r, parseJsonSorted));
  }

  async appendOperationEvent(event: NewOperationEvent): Promise<OperationEvent> {
    const [id, ...rest] = rr.operationEventParams(event, postgresBoolean);
    const [row] = await this.#rows<rr.OperationEventRow>("insertOperationEvent", [...rest, id!]);
    if (row === undefined) throw notFound("operation", event.operation);
    return rr.operationEventFromRow(row, parseJsonSorted);
  }

  async listOperationEvents(operations: readonly string[]): Promise<OperationEvent[]> {
    return (await this.#rows<rr.OperationEventRow>("operationEvents", [operations])).map((r) => rr.operationEventFromRow(r, parseJsonSorted));
  }

  getNodeSystem(nodeId: string): Promise<NodeSystem | null> {
    return this.#one<rr.NodeSystemRow, NodeSystem>("nodeSystem", [nodeId], rr.nodeSystemFromRow);
  }

  async listNodeSystems(): Promise<NodeSystem[]> {
    return (await this.#rows<rr.NodeSystemRow>("nodeSystems", [])).map(rr.nodeSystemFromRow);
  }

  async setDesiredSystem(nodeId: string, system: string, at: string, options: { onlyIfUnset?: boolean } = {}): Promise<boolean> {
    return (await this.#count("setDesiredSystem", rr.desiredSystemParams(nodeId, system, at, options.onlyIfUnset === true))) === 1;
  }

  async #one<R, T>(key: keyof typeof SQL, values: Param[], map: (row: R) => T): Promise<T | null> {
    const [row] = await this.#rows<R>(key, values);
    return row === undefined ? null : map(row);
  }

  async #transaction<T>(fn: (tx: PostgresRepository) => Promise<T>): Promise<T> {
    if (this.#frame !== null) {
      const client = this.#client!;
      return runNested(this.#frame, (sql) => this.#exec(sql, client), (frame) => fn(new PostgresRepository(this.#s, client, frame)));
    }
    refuseInsideTransaction(this.#s);
    const client = await this.#s.pool.connect();
    // A checked-out client has no pool listener: its connection's error would otherwise crash the process (the queries reject anyway).
    const ignore = (): void => {};
    client.on("error", ignore);
    let broken = false;
    const exec = async (sql: string): Promise<void> => {
      try {
        await this.#exec(sql, client);
      } catch (error) {
        // A connection that cannot even roll back goes, rather than back to the pool.
        if (sql === "ROLLBACK") broken = true;
        throw error;
      }
    };
    try {
      return await runTransaction(this.#s, exec, "BEGIN", (frame) => fn(new PostgresRepository(this.#s, client, frame)));
    } finally {
      client.removeListener("error", ignore);
      client.release(broken);
    }
  }

  /** A pool, or this transaction's connection once it may run a statement now. */
  #target(pool: "main" | "heartbeat" = "main"): Pool | PoolClient {
    if (this.#frame === null) {
      refuseInsideTransaction(this.#s);
      return pool === "main" ? this.#s.pool : this.#s.heartbeats;
    }
    this.#frame.check();
    return this.#client!;
  }

  /** A statement of SQL, prepared once per connection under its name. */
  async #query(key: keyof typeof SQL, values: Param[], pool?: "heartbeat"): Promise<QueryResult> {
    const target = this.#target(pool);
    try {
      return await target.query({ name: `hostplane_${key}`, text: SQL[key], values });
    } catch (error) {
      throw scrubbed(error);
    }
  }

  async #rows<R>(key: keyof typeof SQL, values: Param[]): Promise<R[]> {
    return (await this.#query(key, values)).rows as R[];
  }

  async #count(key: keyof typeof SQL, values: Param[], pool?: "heartbeat"): Promise<number> {
    return (await this.#query(key, values, pool)).rowCount ?? 0;
  }

  /** An unnamed statement (migrations, bookkeeping). */
  async #raw<R>(sql: string, values: Param[]): Promise<R[]> {
    try {
      return (await this.#target().query(sql, values)).rows as R[];
    } catch (error) {
      throw scrubbed(error);
    }
  }

  /** Transaction control on `client` (bypassing the frame checks), or SQL text without parameters. */
  async #exec(sql: string, client?: PoolClient): Promise<void> {
    try {
      await (client ?? this.#target()).query(sql);
    } catch (error) {
      throw scrubbed(error);
    }
  }

  async #node(key: "nodeById" | "nodeByName", value: string): Promise<NodeRecord | null> {
    const [row] = await this.#rows<rows.NodeRow>(key, [value]);
    return row === undefined ? null : rows.nodeFromRow(row, parseJsonSorted);
  }

  async #bootstrapToken(key: "bootstrapTokenById" | "consumeBootstrapToken", values: Param[]): Promise<BootstrapToken | null> {
    const [row] = await this.#rows<rows.BootstrapTokenRow>(key, values);
    return row === undefined ? null : rows.bootstrapTokenFromRow(row, parseJsonSorted);
  }
}

/** The server's error without its `detail`, which can quote whole rows (secret hashes included). */
function scrubbed(error: unknown): unknown {
  if (error instanceof pg.DatabaseError) error.detail = undefined;
  return error;
}

/** `url` with `-c setting` added to its startup `options` (the URL's parameters override the driver's config, so it goes there). */
function withSetting(url: string, setting: string): string {
  const u = new URL(url);
  u.searchParams.set("options", [u.searchParams.get("options"), `-c ${setting}`].filter((o) => o !== null).join(" "));
  return u.href;
}

function newPool(url: string, max: number, options: PostgresOptions): Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000, application_name: "hostplane", types });
  // Without a listener an idle connection's error (server restart) would crash the process.
  pool.on("error", (error) => {
    // The pool hangs the client on the error, and the client holds the connection's password.
    delete (error as { client?: unknown }).client;
    options.onIdleError?.(error);
  });
  return pool;
}

const postgresBoolean = (b: boolean): string => (b ? "true" : "false");
