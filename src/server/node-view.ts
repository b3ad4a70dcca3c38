/** How nodes are shown over the API: the stored record plus what is derived at read time (conditions, heartbeat age). */
import { nodeConditions, type LeaseConfig, type NodeRecord } from "../fleet/node.js";
import type { DesiredState, Drift, NodeDetail, NodeSummary } from "./schemas.js";

export function nodeSummary(n: NodeRecord, now: number, lease: LeaseConfig, drift: Drift): NodeSummary {
  const current = n.facts?.generations.find((g) => g.current);
  return {
    id: n.id,
    name: n.name,
    state: n.state,
    role: n.role,
    labels: n.labels,
    conditions: nodeConditions(n, now, lease),
    contract: n.contract === null ? null : { ok: n.contract.ok, failing: n.contract.failing },
    generation: current?.number ?? null,
    currentSystem: n.facts?.currentSystem ?? null,
    lastHeartbeatAt: n.lastHeartbeatAt,
    heartbeatAgeSeconds: n.lastHeartbeatAt === null ? null : Math.max(0, Math.round((now - Date.parse(n.lastHeartbeatAt)) / 100) / 10),
    version: n.version,
    drift,
  };
}

export function nodeDetail(n: NodeRecord, now: number, lease: LeaseConfig, drift: Drift): NodeDetail {
  return {
    ...nodeSummary(n, now, lease, drift),
    enrolledAt: n.enrolledAt,
    updatedAt: n.updatedAt,
    contract: n.contract,
    facts: n.facts as NodeDetail["facts"],
    factsHash: n.factsHash,
    drain: n.drain,
  };
}

/** What the node's agent should converge to. */
export function desiredState(n: Pick<NodeRecord, "version" | "state" | "drain">): DesiredState {
  return {
    version: n.version,
    state: n.state,
    drain: n.drain,
    decommission: n.state === "Decommissioning" || n.state === "Decommissioned",
  };
}
