/**
 * Release, rollout and operation records ↔ rows, shared by both backends (as
 * _rows.ts for nodes): checked parameters in the order both dialects'
 * statements expect, and the same records out. Booleans arrive as 0/1 from
 * SQLite and as booleans from PostgreSQL; bigint sequence numbers as text
 * from PostgreSQL.
 */
import type { ReleaseManifest } from "../fleet/release.js";
import type { OperationKind, OperationStatus, RolloutRecord, RolloutStatus } from "../fleet/rollout-plan.js";
import { InvalidValueError } from "./repository.js";
import type {
  HealthCheckResult, NewOperation, NewOperationEvent, NewRollout, NewRolloutEvent, NodeSystem, OperationDecision, OperationEvent,
  OperationRecord, OperationSpec, OperationUpdate, ReleaseRecord, RolloutEvent, RolloutState, StoredRollout,
} from "./rollout-store.js";
import { json, jsonOrNull, text, timestamp, type JsonParser } from "./_values.js";

type Param = string | number | null;

const INT32_MAX = 2 ** 31 - 1;

function whole(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > INT32_MAX) throw new InvalidValueError(`${what} must be a whole number from 0 to ${INT32_MAX}, got ${value}`);
  return value;
}

/** A page size (null: all) and a lower bound, checked. */
export function page(limit: number | undefined, what: string): number | null {
  if (limit === undefined) return null;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidValueError(`${what} limit must be a whole number ≥ 1, got ${limit}`);
  return limit;
}

export function after(value: number | undefined, what: string): number {
  const v = value ?? 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new InvalidValueError(`${what} must be a whole number ≥ 0, got ${v}`);
  return v;
}

const bool = (v: number | boolean | null): boolean | null => (v === null ? null : v === true || v === 1);

export interface ReleaseRow { id: string; name: string; manifest: string; created_by: string; created_at: string }

export function releaseFromRow(row: ReleaseRow, parse: JsonParser): ReleaseRecord {
  return { id: row.id, name: row.name, manifest: parse(row.manifest) as ReleaseManifest, createdBy: row.created_by, createdAt: row.created_at };
}

/** id, name, manifest, created_by, created_at */
export function releaseParams(r: ReleaseRecord): Param[] {
  const what = `release ${r.name}`;
  return [text(r.id, "release id"), text(r.name, "release name"), json(r.manifest, `manifest of ${what}`), text(r.createdBy, `creator of ${what}`), timestamp(r.createdAt, `creation time of ${what}`)];
}

export interface RolloutRow {
  id: string; release_id: string; status: string; policy: string; targets: string; waves: string; canary_wave: number | boolean; wave: number;
  bake_until: string | null; skipped: string; failed: string; drained: string; abort_reason: string | null;
  created_by: string; created_at: string; updated_at: string; version: number;
}

export function rolloutFromRow(row: RolloutRow, parse: JsonParser): StoredRollout {
  return {
    id: row.id, release: row.release_id, status: row.status as RolloutStatus, policy: parse(row.policy) as RolloutRecord["policy"],
    targets: parse(row.targets) as RolloutRecord["targets"], waves: parse(row.waves) as string[][], canaryWave: bool(row.canary_wave) === true,
    wave: row.wave, bakeUntil: row.bake_until, skipped: parse(row.skipped) as Record<string, string>, failed: parse(row.failed) as Record<string, string>,
    drained: parse(row.drained) as string[], abortReason: row.abort_reason, createdBy: row.created_by, createdAt: row.created_at,
    updatedAt: row.updated_at, version: row.version,
  };
}

/** status, policy, wave, bake_until, skipped, failed, drained, abort_reason (the state columns, in this order) */
function stateParams(id: string, s: RolloutState): Param[] {
  const what = `rollout ${id}`;
  return [
    s.status, json(s.policy, `policy of ${what}`), whole(s.wave, `wave of ${what}`),
    s.bakeUntil === null ? null : timestamp(s.bakeUntil, `bake end of ${what}`),
    json(s.skipped, `skipped nodes of ${what}`), json(s.failed, `failed nodes of ${what}`), json(s.drained, `drained nodes of ${what}`),
    s.abortReason === null ? null : text(s.abortReason, `abort reason of ${what}`),
  ];
}

/** id, release_id, targets, waves, canary_wave, created_by, created_at, then the state columns */
export function newRolloutParams(r: NewRollout): Param[] {
  const what = `rollout ${r.id}`;
  return [
    text(r.id, "rollout id"), text(r.release, `release of ${what}`), json(r.targets, `targets of ${what}`), json(r.waves, `waves of ${what}`),
    r.canaryWave ? 1 : 0, text(r.createdBy, `creator of ${what}`), timestamp(r.createdAt, `creation time of ${what}`), ...stateParams(r.id, r),
  ];
}

/** the state columns, updated_at, id, expected version */
export function rolloutUpdateParams(id: string, expectedVersion: number, s: RolloutState, at: string): Param[] {
  return [...stateParams(id, s), timestamp(at, `time of the update of rollout ${id}`), id, whole(expectedVersion, `expected version of rollout ${id}`)];
}

export interface RolloutEventRow { seq: number | string; rollout_id: string; at: string; type: string; node: string | null; detail: string; data: string | null }

export function rolloutEventFromRow(row: RolloutEventRow, parse: JsonParser): RolloutEvent {
  return { seq: Number(row.seq), rollout: row.rollout_id, at: row.at, type: row.type, node: row.node, detail: row.detail, data: row.data === null ? null : parse(row.data) };
}

/** rollout_id, at, type, node, detail, data */
export function rolloutEventParams(e: NewRolloutEvent): Param[] {
  const what = `rollout event ${e.type} of ${e.rollout}`;
  return [
    text(e.rollout, "rollout id"), timestamp(e.at, `time of ${what}`), text(e.type, "rollout event type"),
    e.node === null ? null : text(e.node, `node of ${what}`), text(e.detail, `detail of ${what}`), jsonOrNull(e.data, `data of ${what}`),
  ];
}

export interface OperationRow {
  id: string; node_id: string; node_name: string; rollout_id: string | null; kind: string; epoch: number; target: string; previous: string | null;
  spec: string; status: string; created_at: string; updated_at: string; error: string | null; decision: string | null; decision_reason: string | null;
  healthy: number | boolean | null; checks: string | null; withdrawn: number | boolean; version: number;
}

export function operationFromRow(row: OperationRow, parse: JsonParser): OperationRecord {
  return {
    id: row.id, nodeId: row.node_id, node: row.node_name, rollout: row.rollout_id, kind: row.kind as OperationKind, epoch: row.epoch,
    target: row.target, previous: row.previous, spec: parse(row.spec) as OperationSpec, status: row.status as OperationStatus,
    createdAt: row.created_at, updatedAt: row.updated_at, error: row.error, decision: row.decision as OperationDecision | null,
    decisionReason: row.decision_reason, healthy: bool(row.healthy), checks: row.checks === null ? null : (parse(row.checks) as HealthCheckResult[]),
    withdrawn: bool(row.withdrawn) === true, version: row.version,
  };
}

/** id, node_id, node_name, rollout_id, kind, target, previous, spec, created_at (epoch, status, version are the statement's) */
export function newOperationParams(o: NewOperation): Param[] {
  const what = `operation ${o.id}`;
  return [
    text(o.id, "operation id"), text(o.nodeId, `node of ${what}`), text(o.node, `node name of ${what}`), o.rollout === null ? null : text(o.rollout, `rollout of ${what}`),
    o.kind, text(o.target, `target of ${what}`), o.previous === null ? null : text(o.previous, `previous system of ${what}`),
    json(o.spec, `spec of ${what}`), timestamp(o.createdAt, `creation time of ${what}`),
  ];
}

/**
 * Each column as (given 1/0, value): status, error, decision, decision_reason, healthy, checks, withdrawn; then
 * updated_at, id, expected version. `boolean` says how the dialect takes booleans.
 */
export function operationUpdateParams(id: string, expectedVersion: number, u: OperationUpdate, at: string, boolean: (b: boolean) => number | string): Param[] {
  const what = `operation ${id}`;
  const opt = (given: boolean, value: Param): Param[] => [given ? 1 : 0, given ? value : null];
  return [
    ...opt(u.status !== undefined, u.status ?? null),
    ...opt(u.error !== undefined, u.error == null ? null : text(u.error, `error of ${what}`)),
    ...opt(u.decision !== undefined, u.decision ?? null),
    ...opt(u.decisionReason !== undefined, u.decisionReason == null ? null : text(u.decisionReason, `decision reason of ${what}`)),
    ...opt(u.healthy !== undefined, u.healthy == null ? null : boolean(u.healthy)),
    ...opt(u.checks !== undefined, jsonOrNull(u.checks, `health checks of ${what}`)),
    ...opt(u.withdrawn !== undefined, boolean(u.withdrawn === true)),
    timestamp(at, `time of the update of ${what}`), id, whole(expectedVersion, `expected version of ${what}`),
  ];
}

export interface OperationEventRow {
  operation_id: string; seq: number; step: string; ok: number | boolean; at: string; received_at: string; detail: string | null; data: string | null;
}

export function operationEventFromRow(row: OperationEventRow, parse: JsonParser): OperationEvent {
  return {
    operation: row.operation_id, seq: row.seq, step: row.step, ok: bool(row.ok) === true, at: row.at, receivedAt: row.received_at,
    detail: row.detail, data: row.data === null ? null : parse(row.data),
  };
}

/** operation_id, step, ok, at, received_at, detail, data */
export function operationEventParams(e: NewOperationEvent, boolean: (b: boolean) => number | string): Param[] {
  const what = `step ${e.step} of operation ${e.operation}`;
  return [
    text(e.operation, "operation id"), text(e.step, "operation step"), boolean(e.ok), timestamp(e.at, `time of ${what}`),
    timestamp(e.receivedAt, `receive time of ${what}`), e.detail === null ? null : text(e.detail, `detail of ${what}`), jsonOrNull(e.data, `data of ${what}`),
  ];
}

export interface NodeSystemRow { node_id: string; operation_epoch: number; desired_system: string | null; updated_at: string }

export function nodeSystemFromRow(row: NodeSystemRow): NodeSystem {
  return { nodeId: row.node_id, operationEpoch: row.operation_epoch, desiredSystem: row.desired_system, updatedAt: row.updated_at };
}

/** node_id, desired_system, updated_at, only-if-unset (1/0) */
export function desiredSystemParams(nodeId: string, system: string, at: string, onlyIfUnset: boolean): Param[] {
  return [text(nodeId, "node id"), text(system, `desired system of node ${nodeId}`), timestamp(at, `time of node ${nodeId}'s desired system`), onlyIfUnset ? 1 : 0];
}
