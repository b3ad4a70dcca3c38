/**
 * The control plane's state behind one interface, with two implementations
 * that pass the same test suite: SQLite (embedded default, one file, WAL) and
 * PostgreSQL (for a highly available control plane). Secrets never reach it in
 * clear: tokens and node credentials are stored as SHA-256 hashes of
 * high-entropy secrets, looked up by their public id. Timestamps go in as
 * ISO-8601 with a zone and come back as `Date#toISOString()` (UTC, ms), so
 * their text order is their time order on both backends.
 */
import type { DrainProgress, NodeFacts, NodeRecord, NodeRole, NodeState, ContractSummary } from "../fleet/node.js";
import type { RolloutStore } from "./rollout-store.js";

export type OperatorRole = "viewer" | "operator" | "admin";

export interface OperatorToken {
  /** Public part of the token (`hp_op_<id>_<secret>`), the lookup key. */
  id: string;
  name: string;
  role: OperatorRole;
  /** hex SHA-256 of the secret part. */
  secretHash: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface BootstrapToken {
  id: string;
  secretHash: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  /** How many more enrollments it allows. */
  usesLeft: number;
  /** Labels given to nodes enrolled with it. */
  labels: Record<string, string>;
  role: NodeRole;
}

export interface NodeCredential {
  /** Public id of the node credential (`hp_node_<id>_<secret>`). */
  id: string;
  nodeId: string;
  secretHash: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface AuditEntry {
  /** Assigned by the store, increasing. */
  id: number;
  at: string;
  /** "operator:<token name>", "node:<name>", "system:<loop>", "anonymous". */
  actor: string;
  /** e.g. "node.cordon", "token.create", "node.enroll", "node.condition". */
  action: string;
  /** What it acted on, e.g. "node:web-3". */
  target: string;
  before: unknown;
  after: unknown;
}

export interface NewNode {
  id: string;
  name: string;
  role: NodeRole;
  labels: Record<string, string>;
  enrolledAt: string;
}

/** Fields an update may change (the lifecycle's, not the heartbeat's). */
export interface NodeUpdate {
  state?: NodeState;
  labels?: Record<string, string>;
  drain?: DrainProgress | null;
}

export interface Heartbeat {
  at: string;
  /** Present when the facts changed (the hash differs from the stored one). */
  facts?: NodeFacts;
  /**
   * Hash of the node's current facts. Stored only together with `facts`, so the
   * stored hash always describes the stored facts: a heartbeat that carries a
   * new hash without facts leaves both as they were (the server, seeing the
   * hash differ from the record's, asks the node for its facts).
   */
  factsHash: string;
  contract: ContractSummary | null;
}

/** A node's record without its facts (kilobytes of JSON): what a node's own requests need. */
export type NodeHeader = Omit<NodeRecord, "facts">;

/** A node credential with its node, as authentication reads them: one lookup per request. */
export interface CredentialedNode {
  credential: NodeCredential;
  node: NodeHeader;
}

/** What the node gauges count: state and the fields conditions are derived from. */
/** A node without its facts: what fleet-wide counts (states, conditions, drift) need. `systems` is null without facts. */
export type NodeStatus = Pick<NodeRecord, "id" | "name" | "state" | "role" | "lastHeartbeatAt" | "contract" | "drain"> & {
  systems: { currentSystem: string | null; bootedSystem: string | null; boot: NonNullable<NodeFacts["boot"]> | null } | null;
};

/** A write that lost a race: the node changed since it was read. */
export class VersionConflictError extends Error {
  override readonly name = "VersionConflictError";
}

/** A unique name or id is already taken. */
export class AlreadyExistsError extends Error {
  override readonly name = "AlreadyExistsError";
}

export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

/**
 * A value the store will not hold: a timestamp that is not ISO-8601 with a
 * zone, text with a NUL or an unpaired surrogate (PostgreSQL refuses the one
 * and both drivers silently mangle the other), a secret hash that is not hex
 * SHA-256. Validation at the edge should have caught it; the message names the
 * field, never a secret.
 */
export class InvalidValueError extends Error {
  override readonly name = "InvalidValueError";
}

/** The control plane's whole state; releases, rollouts and operations are in RolloutStore (rollout-store.ts). */
export interface Repository extends RolloutStore {
  /** Create or upgrade the schema; safe to run again and from several servers at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * Run `fn` atomically: every write in it lands, or none. Use only `tx` inside
   * `fn` (calling the outer repository there is refused: it would wait for the
   * transaction, or escape it); `tx` is unusable once `fn` settles. A nested
   * `tx.transaction()` is a savepoint: its throw undoes only its own writes.
   */
  transaction<T>(fn: (tx: Repository) => Promise<T>): Promise<T>;

  /** A Registered node at version 1; AlreadyExistsError when its id or name is taken. */
  createNode(node: NewNode): Promise<NodeRecord>;
  getNode(id: string): Promise<NodeRecord | null>;
  getNodeByName(name: string): Promise<NodeRecord | null>;
  /** Ordered by name (code point order on both backends). */
  listNodes(filter?: { states?: readonly NodeState[] }): Promise<NodeRecord[]>;
  /** Every node's status, without facts, labels or drain (metrics count 10,000 nodes per scrape); ordered by id. */
  listNodeStatuses(): Promise<NodeStatus[]>;
  /** Compare-and-set on `version`: throws VersionConflictError when it moved; returns the new record (version + 1). */
  updateNode(id: string, expectedVersion: number, update: NodeUpdate, at: string): Promise<NodeRecord>;
  /** The hot path: last heartbeat, contract summary and (when sent) facts. Does not bump `version` or `updatedAt`; NotFoundError for an unknown node. */
  recordHeartbeat(id: string, heartbeat: Heartbeat): Promise<void>;

  /** NotFoundError when the node does not exist. */
  createNodeCredential(credential: Omit<NodeCredential, "revokedAt">): Promise<void>;
  getNodeCredential(id: string): Promise<NodeCredential | null>;
  /** The credential and its node (facts left out) in one lookup, for authenticating a node's request; null for an unknown credential. */
  getNodeCredentialWithNode(id: string): Promise<CredentialedNode | null>;
  /** Revoke every credential of the node; returns how many were revoked. */
  revokeNodeCredentials(nodeId: string, at: string): Promise<number>;

  createOperatorToken(token: Omit<OperatorToken, "revokedAt">): Promise<void>;
  getOperatorToken(id: string): Promise<OperatorToken | null>;
  /** Ordered by creation time, then id. */
  listOperatorTokens(): Promise<OperatorToken[]>;
  /** True when this call revoked it; false when it is unknown or was already revoked. */
  revokeOperatorToken(id: string, at: string): Promise<boolean>;

  createBootstrapToken(token: BootstrapToken): Promise<void>;
  getBootstrapToken(id: string): Promise<BootstrapToken | null>;
  /** Atomically use one enrollment of the token (the result shows what is left): null when it is unknown, expired at `now`, or used up. */
  consumeBootstrapToken(id: string, now: string): Promise<BootstrapToken | null>;

  /** `before`/`after` of undefined are stored (and read back) as null. */
  appendAudit(entry: Omit<AuditEntry, "id">): Promise<AuditEntry>;
  /** Oldest first (ascending id); all of them unless `limit` is given. */
  listAudit(filter?: { target?: string; afterId?: number; limit?: number }): Promise<AuditEntry[]>;
}
