/**
 * The storage side of releases and rollouts (docs/ops/upgrades-and-rollback.md):
 * releases, rollouts with their event log, per-node operations with the
 * agent's step log, and per node the operation epoch (fencing) and the system
 * the control plane last committed on it. Part of the Repository; both
 * backends implement it and pass the shared suite.
 *
 * Invariants the database itself enforces: a node gets at most one upgrade
 * operation per rollout ("never applied twice", whatever a crashed or
 * duplicated control plane tries), and at most one unfinished operation at a
 * time. Epochs only grow: each new operation of a node takes the next one.
 */
import type { ReleaseManifest, HealthCheck } from "../fleet/release.js";
import type { OperationKind, OperationStatus, RolloutRecord, RolloutStatus } from "../fleet/rollout-plan.js";

export interface ReleaseRecord {
  id: string;
  /** Unique among releases. */
  name: string;
  manifest: ReleaseManifest;
  createdBy: string;
  createdAt: string;
}

/** A rollout as stored: the planner's record plus where it came from and its compare-and-set version. */
export interface StoredRollout extends RolloutRecord {
  /** The release's id. */
  release: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** Bumped by every write; updates compare it. */
  version: number;
}

export type NewRollout = Omit<StoredRollout, "updatedAt" | "version">;

/** What a rollout's writes may change (the rest is fixed when it starts). */
export type RolloutState = Pick<RolloutRecord, "status" | "policy" | "wave" | "bakeUntil" | "skipped" | "failed" | "drained" | "abortReason">;

/** What the agent needs besides target and previous, fixed when the operation is made. */
export interface OperationSpec {
  closureSize: number | null;
  healthChecks: HealthCheck[];
  confirmTimeoutSeconds: number;
  healthTimeoutSeconds: number;
}

export interface HealthCheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export type OperationDecision = "confirmed" | "refused";

export interface OperationRecord {
  id: string;
  nodeId: string;
  /** The node's name (names never change). */
  node: string;
  /** The rollout that made it, or null. */
  rollout: string | null;
  kind: OperationKind;
  /** The node's operation counter when it was made (fencing). */
  epoch: number;
  target: string;
  previous: string | null;
  spec: OperationSpec;
  status: OperationStatus;
  createdAt: string;
  updatedAt: string;
  error: string | null;
  decision: OperationDecision | null;
  decisionReason: string | null;
  /** What the agent reported when it asked for confirmation. */
  healthy: boolean | null;
  checks: HealthCheckResult[] | null;
  /** Withdrawn before its agent reported anything: its reports are refused as stale. */
  withdrawn: boolean;
  version: number;
}

export type NewOperation = Pick<OperationRecord, "id" | "nodeId" | "node" | "rollout" | "kind" | "target" | "previous" | "spec" | "createdAt">;

export type OperationUpdate = Partial<Pick<OperationRecord, "status" | "error" | "decision" | "decisionReason" | "healthy" | "checks" | "withdrawn">>;

/** One step the agent reported. */
export interface OperationEvent {
  operation: string;
  /** 1, 2, … per operation, in the order the server received them. */
  seq: number;
  step: string;
  ok: boolean;
  /** When the agent says it happened. */
  at: string;
  /** When the server recorded it. */
  receivedAt: string;
  detail: string | null;
  data: unknown;
}

export type NewOperationEvent = Omit<OperationEvent, "seq">;

export interface RolloutEvent {
  /** Increasing across all rollouts (so `after=seq` pages any one of them). */
  seq: number;
  rollout: string;
  at: string;
  /** e.g. wave-started, node-started, node-done, node-failed, node-skipped, wave-baking, rollout-aborting, rollout-finished. */
  type: string;
  node: string | null;
  detail: string;
  data: unknown;
}

export type NewRolloutEvent = Omit<RolloutEvent, "seq">;

export interface NodeSystem {
  nodeId: string;
  /** The epoch of the node's newest operation (0: none yet). */
  operationEpoch: number;
  /** What the control plane last committed on the node; null until its first facts. */
  desiredSystem: string | null;
  updatedAt: string;
}

export interface RolloutStore {
  /** AlreadyExistsError when the id or the name is taken. */
  createRelease(release: ReleaseRecord): Promise<void>;
  getRelease(id: string): Promise<ReleaseRecord | null>;
  getReleaseByName(name: string): Promise<ReleaseRecord | null>;
  /** Newest first. */
  listReleases(filter?: { limit?: number }): Promise<ReleaseRecord[]>;

  /** At version 1; AlreadyExistsError when the id is taken, NotFoundError for an unknown release. */
  createRollout(rollout: NewRollout): Promise<StoredRollout>;
  getRollout(id: string): Promise<StoredRollout | null>;
  /** Newest first. */
  listRollouts(filter?: { statuses?: readonly RolloutStatus[]; limit?: number }): Promise<StoredRollout[]>;
  /** Compare-and-set on `version`: VersionConflictError when it moved, NotFoundError when unknown. */
  updateRollout(id: string, expectedVersion: number, state: RolloutState, at: string): Promise<StoredRollout>;
  appendRolloutEvent(event: NewRolloutEvent): Promise<RolloutEvent>;
  /** Oldest first, seq greater than `after`. */
  listRolloutEvents(rollout: string, filter?: { after?: number; limit?: number }): Promise<RolloutEvent[]>;

  /**
   * Takes the node's next epoch and stores the operation as `pending`.
   * AlreadyExistsError when the node already has an upgrade in this rollout,
   * an unfinished operation, or the id is taken; NotFoundError for an unknown node.
   */
  createOperation(operation: NewOperation): Promise<OperationRecord>;
  getOperation(id: string): Promise<OperationRecord | null>;
  /** Compare-and-set on the operation's version. */
  updateOperation(id: string, expectedVersion: number, update: OperationUpdate, at: string): Promise<OperationRecord>;
  /** Oldest first. */
  listRolloutOperations(rollout: string): Promise<OperationRecord[]>;
  /** Newest (highest epoch) first, epochs below `beforeEpoch`. */
  listNodeOperations(nodeId: string, filter?: { beforeEpoch?: number; limit?: number }): Promise<OperationRecord[]>;
  /** Every unfinished operation (at most one per node). */
  listOpenOperations(): Promise<OperationRecord[]>;
  /** Numbered after the operation's last event. */
  appendOperationEvent(event: NewOperationEvent): Promise<OperationEvent>;
  /** The events of these operations, by operation then seq. */
  listOperationEvents(operations: readonly string[]): Promise<OperationEvent[]>;

  getNodeSystem(nodeId: string): Promise<NodeSystem | null>;
  listNodeSystems(): Promise<NodeSystem[]>;
  /** Records `system` as the node's desired one; with onlyIfUnset, only when none is recorded (adoption). True when it changed. */
  setDesiredSystem(nodeId: string, system: string, at: string, options?: { onlyIfUnset?: boolean }): Promise<boolean>;
}
