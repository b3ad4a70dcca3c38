/**
 * Drift of nodes as the API and the metrics show it: the pure driftOf over
 * each node's record, the system the control plane last committed on it
 * (node_systems) and its unfinished operation, read in two queries for the
 * whole fleet or two for one node.
 */
import type { NodeStatus, NodeSystem, OperationRecord, Repository } from "../db/index.js";
import { driftOf, type Drift } from "../fleet/drift.js";
import { isFinishedStatus } from "../fleet/rollout-plan.js";
import type { LeaseConfig, NodeRecord } from "../fleet/node.js";

/** Per node id: what drift needs besides the node itself. */
export interface DriftInputs {
  systems: ReadonlyMap<string, NodeSystem>;
  open: ReadonlyMap<string, OperationRecord>;
}

export async function fleetDriftInputs(repo: Repository): Promise<DriftInputs> {
  const [systems, open] = await Promise.all([repo.listNodeSystems(), repo.listOpenOperations()]);
  return { systems: new Map(systems.map((s) => [s.nodeId, s])), open: new Map(open.map((o) => [o.nodeId, o])) };
}

export async function nodeDriftInputs(repo: Repository, nodeId: string): Promise<DriftInputs> {
  const [system, [latest]] = await Promise.all([repo.getNodeSystem(nodeId), repo.listNodeOperations(nodeId, { limit: 1 })]);
  const open = latest !== undefined && !isFinishedStatus(latest.status) ? [latest] : [];
  return { systems: new Map(system ? [[nodeId, system]] : []), open: new Map(open.map((o) => [o.nodeId, o])) };
}

/** The systems drift compares, from a whole node record (with its facts). */
export function nodeSystems(n: NodeRecord): NodeStatus["systems"] {
  return n.facts === null ? null : { currentSystem: n.facts.currentSystem, bootedSystem: n.facts.bootedSystem, boot: n.facts.boot ?? null };
}

/** `n` is a node status (listNodeStatuses: no facts parsed, what fleet-wide counts use) or a record's fields plus its systems. */
export function driftFor(n: NodeStatus, inputs: DriftInputs, now: number, lease: LeaseConfig): Drift {
  const op = inputs.open.get(n.id);
  return driftOf({
    node: { ...n, facts: n.systems === null ? null : { currentSystem: n.systems.currentSystem, bootedSystem: n.systems.bootedSystem } },
    boot: n.systems?.boot ?? null,
    desiredSystem: inputs.systems.get(n.id)?.desiredSystem ?? null,
    operation: op ? { target: op.target, previous: op.previous } : null,
  }, now, lease);
}
