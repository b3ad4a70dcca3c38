/**
 * Records ↔ rows, shared by both backends: the same checked parameters go in
 * (in the order both dialects' statements expect) and the same records come
 * out. Columns are snake_case; JSON columns arrive as text from both drivers.
 */
import type { ContractSummary, DrainProgress, NodeFacts, NodeRecord, NodeRole, NodeState } from "../fleet/node.js";
import {
  InvalidValueError, type AuditEntry, type BootstrapToken, type CredentialedNode, type Heartbeat, type NewNode, type NodeCredential, type NodeHeader,
  type NodeStatus, type NodeUpdate, type OperatorRole, type OperatorToken,
} from "./repository.js";
import { json, jsonOrNull, optionalTimestamp, secretHash, text, timestamp, type JsonParser } from "./_values.js";

type Param = string | number | null;

export interface NodeRow {
  id: string; name: string; state: string; role: string; labels: string; enrolled_at: string; last_heartbeat_at: string | null;
  contract: string | null; facts: string | null; facts_hash: string | null; drain: string | null; version: number; updated_at: string;
}

export function nodeFromRow(row: NodeRow, parse: JsonParser): NodeRecord {
  return { ...nodeHeaderFromRow(row, parse), facts: row.facts === null ? null : (parse(row.facts) as NodeFacts) };
}

/** Without `facts`: the row may leave the column out. */
export function nodeHeaderFromRow(row: Omit<NodeRow, "facts">, parse: JsonParser): NodeHeader {
  return {
    id: row.id,
    name: row.name,
    state: row.state as NodeState,
    role: row.role as NodeRole,
    labels: parse(row.labels) as Record<string, string>,
    enrolledAt: row.enrolled_at,
    lastHeartbeatAt: row.last_heartbeat_at,
    contract: row.contract === null ? null : (parse(row.contract) as ContractSummary),
    factsHash: row.facts_hash,
    drain: row.drain === null ? null : (parse(row.drain) as DrainProgress),
    version: row.version,
    updatedAt: row.updated_at,
  };
}

export type NodeStatusRow = Pick<NodeRow, "id" | "name" | "state" | "role" | "last_heartbeat_at" | "contract" | "drain"> & {
  has_facts: number | boolean; current_system: string | null; booted_system: string | null; boot: string | null;
};

export function nodeStatusFromRow(row: NodeStatusRow, parse: JsonParser): NodeStatus {
  return {
    id: row.id, name: row.name, state: row.state as NodeState, role: row.role as NodeRole, lastHeartbeatAt: row.last_heartbeat_at,
    contract: row.contract === null ? null : (parse(row.contract) as ContractSummary),
    drain: row.drain === null ? null : (parse(row.drain) as DrainProgress),
    systems: row.has_facts === 0 || row.has_facts === false ? null : {
      currentSystem: row.current_system, bootedSystem: row.booted_system,
      boot: row.boot === null ? null : (parse(row.boot) as NonNullable<NodeFacts["boot"]>),
    },
  };
}

/** id, name, state, role, labels, enrolled_at, version, updated_at */
export function newNodeParams(node: NewNode): Param[] {
  const at = timestamp(node.enrolledAt, `enrolledAt of node "${node.name}"`);
  return [text(node.id, "node id"), text(node.name, "node name"), "Registered", node.role, json(node.labels, `labels of node "${node.name}"`), at, 1, at];
}

/** state (null: keep), labels (null: keep), drain given (1/0), drain, updated_at, id, expected version */
export function nodeUpdateParams(id: string, expectedVersion: number, update: NodeUpdate, at: string): Param[] {
  return [
    update.state ?? null,
    update.labels === undefined ? null : json(update.labels, `labels of node ${id}`),
    update.drain === undefined ? 0 : 1,
    update.drain === undefined ? null : jsonOrNull(update.drain, `drain of node ${id}`),
    timestamp(at, `time of the update of node ${id}`),
    id,
    count(expectedVersion, `expected version of node ${id}`),
  ];
}

const INT32_MAX = 2 ** 31 - 1;

/** A whole number both backends' integer columns hold. */
function count(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > INT32_MAX) throw new InvalidValueError(`${what} must be a whole number from 0 to ${INT32_MAX}, got ${value}`);
  return value;
}

/** The heartbeat's columns: the node's (last_heartbeat_at, contract) and, when sent, node_facts' (facts, facts_hash). */
/** node: last_heartbeat_at, contract; facts: facts, facts_hash, current_system, booted_system, boot. */
export function heartbeatParams(id: string, hb: Heartbeat): { node: [string, string | null]; facts: [string, string, string | null, string | null, string | null] | null } {
  const f = hb.facts;
  return {
    node: [timestamp(hb.at, `heartbeat time of node ${id}`), jsonOrNull(hb.contract, `contract summary of node ${id}`)],
    facts: f === undefined ? null : [
      json(f, `facts of node ${id}`), text(hb.factsHash, `facts hash of node ${id}`),
      f.currentSystem, f.bootedSystem, f.boot === undefined ? null : jsonOrNull(f.boot, `boot facts of node ${id}`),
    ],
  };
}

export interface CredentialRow { id: string; node_id: string; secret_hash: string; created_at: string; revoked_at: string | null }

export function credentialFromRow(row: CredentialRow): NodeCredential {
  return { id: row.id, nodeId: row.node_id, secretHash: row.secret_hash, createdAt: row.created_at, revokedAt: row.revoked_at };
}

/** A credential joined with its node: the node's columns, the credential's under prefixed names (both have `id`). */
export type CredentialedNodeRow = Omit<NodeRow, "facts"> & {
  credential_id: string; credential_secret_hash: string; credential_created_at: string; credential_revoked_at: string | null;
};

export function credentialedNodeFromRow(row: CredentialedNodeRow, parse: JsonParser): CredentialedNode {
  return {
    credential: { id: row.credential_id, nodeId: row.id, secretHash: row.credential_secret_hash, createdAt: row.credential_created_at, revokedAt: row.credential_revoked_at },
    node: nodeHeaderFromRow(row, parse),
  };
}

/** id, node_id, secret_hash, created_at */
export function credentialParams(c: Omit<NodeCredential, "revokedAt">): Param[] {
  const what = `node credential ${c.id}`;
  return [text(c.id, "node credential id"), text(c.nodeId, `node id of ${what}`), secretHash(c.secretHash, `secret hash of ${what}`), timestamp(c.createdAt, `creation time of ${what}`)];
}

export interface OperatorTokenRow { id: string; name: string; role: string; secret_hash: string; created_at: string; expires_at: string | null; revoked_at: string | null }

export function operatorTokenFromRow(row: OperatorTokenRow): OperatorToken {
  return {
    id: row.id, name: row.name, role: row.role as OperatorRole, secretHash: row.secret_hash,
    createdAt: row.created_at, expiresAt: row.expires_at, revokedAt: row.revoked_at,
  };
}

/** id, name, role, secret_hash, created_at, expires_at */
export function operatorTokenParams(t: Omit<OperatorToken, "revokedAt">): Param[] {
  const what = `operator token ${t.id}`;
  return [
    text(t.id, "operator token id"), text(t.name, `name of ${what}`), t.role, secretHash(t.secretHash, `secret hash of ${what}`),
    timestamp(t.createdAt, `creation time of ${what}`), optionalTimestamp(t.expiresAt, `expiry of ${what}`),
  ];
}

export interface BootstrapTokenRow {
  id: string; secret_hash: string; created_at: string; created_by: string; expires_at: string; uses_left: number; labels: string; role: string;
}

export function bootstrapTokenFromRow(row: BootstrapTokenRow, parse: JsonParser): BootstrapToken {
  return {
    id: row.id, secretHash: row.secret_hash, createdAt: row.created_at, createdBy: row.created_by, expiresAt: row.expires_at,
    usesLeft: row.uses_left, labels: parse(row.labels) as Record<string, string>, role: row.role as NodeRole,
  };
}

/** id, secret_hash, created_at, created_by, expires_at, uses_left, labels, role */
export function bootstrapTokenParams(t: BootstrapToken): Param[] {
  const what = `bootstrap token ${t.id}`;
  return [
    text(t.id, "bootstrap token id"), secretHash(t.secretHash, `secret hash of ${what}`), timestamp(t.createdAt, `creation time of ${what}`),
    text(t.createdBy, `creator of ${what}`), timestamp(t.expiresAt, `expiry of ${what}`), count(t.usesLeft, `usesLeft of ${what}`), json(t.labels, `labels of ${what}`), t.role,
  ];
}

/** PostgreSQL gives bigint as text; SQLite as a number. */
export interface AuditRow { id: number | string; at: string; actor: string; action: string; target: string; before: string | null; after: string | null }

export function auditFromRow(row: AuditRow, parse: JsonParser): AuditEntry {
  return {
    id: Number(row.id), at: row.at, actor: row.actor, action: row.action, target: row.target,
    before: row.before === null ? null : parse(row.before), after: row.after === null ? null : parse(row.after),
  };
}

/** at, actor, action, target, before, after */
export function auditParams(e: Omit<AuditEntry, "id">): Param[] {
  const what = `audit entry ${e.action} on ${e.target}`;
  return [
    timestamp(e.at, `time of ${what}`), text(e.actor, `actor of ${what}`), text(e.action, "audit action"), text(e.target, "audit target"),
    jsonOrNull(e.before, `before of ${what}`), jsonOrNull(e.after, `after of ${what}`),
  ];
}

/** afterId, limit (null: all), checked */
export function auditPage(filter: { afterId?: number; limit?: number }): { afterId: number; limit: number | null } {
  const afterId = filter.afterId ?? 0;
  if (!Number.isSafeInteger(afterId) || afterId < 0) throw new InvalidValueError(`audit afterId must be a whole number ≥ 0, got ${afterId}`);
  const limit = filter.limit ?? null;
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 1)) throw new InvalidValueError(`audit limit must be a whole number ≥ 1, got ${limit}`);
  return { afterId, limit };
}
