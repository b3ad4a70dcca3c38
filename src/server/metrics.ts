/**
 * Prometheus metrics of one app instance, in its own registry (not prom-client's
 * global one, so several apps in one process — tests — do not share counters).
 * Node counts are read from the repository when scraped, not kept in memory,
 * through a slim listing (no facts, labels or drain): a scrape of 10,000 nodes
 * must not stall the heartbeats queued behind it.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { NODE_STATES, nodeConditions, type LeaseConfig, type NodeCondition } from "../fleet/node.js";
import type { NodeStatus, Repository } from "../db/index.js";
import type { DriftStatus } from "../fleet/drift.js";
import { driftFor, fleetDriftInputs } from "./drift-view.js";

const CONDITIONS: readonly NodeCondition[] = ["NotReady", "Unreachable", "ContractFailing"];

export interface ServerMetrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"route">;
  heartbeatDuration: Histogram;
  authFailures: Counter<"kind" | "reason">;
  rolloutActions: Counter<"action">;
  operations: Counter<"kind" | "status">;
}

const DRIFT: readonly DriftStatus[] = ["InSync", "Drifted", "RebootRequired", "Unknown"];
/** Drift needs every node's facts: counted at most this often, not per scrape. */
const DRIFT_REFRESH_MS = 30_000;

export function createMetrics(repo: Repository, now: () => number, lease: LeaseConfig): ServerMetrics {
  const registry = new Registry();
  const httpRequests = new Counter({
    name: "hostplane_http_requests_total", help: "HTTP requests answered, by route pattern and status",
    labelNames: ["method", "route", "status"] as const, registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "hostplane_http_request_duration_seconds", help: "Time to answer an HTTP request (long-polls included), by route pattern",
    labelNames: ["route"] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 60], registers: [registry],
  });
  const heartbeatDuration = new Histogram({
    name: "hostplane_heartbeat_duration_seconds", help: "Time to process a node heartbeat, from authenticated request to answer",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry],
  });
  const authFailures = new Counter({
    name: "hostplane_auth_failures_total", help: "Failed authentications, by credential kind and reason (rate_limited: refused without checking)",
    labelNames: ["kind", "reason"] as const, registers: [registry],
  });
  // A scrape collects both gauges concurrently: they share the listing while it is in flight.
  let listing: Promise<NodeStatus[]> | null = null;
  const nodes = (): Promise<NodeStatus[]> => {
    listing ??= repo.listNodeStatuses().finally(() => { listing = null; });
    return listing;
  };
  new Gauge({
    name: "hostplane_nodes", help: "Nodes by lifecycle state", labelNames: ["state"] as const, registers: [registry],
    async collect() {
      const counts = new Map<string, number>(NODE_STATES.map((s) => [s, 0]));
      for (const n of await nodes()) counts.set(n.state, (counts.get(n.state) ?? 0) + 1);
      for (const [state, count] of counts) this.set({ state }, count);
    },
  });
  new Gauge({
    name: "hostplane_node_conditions", help: "Nodes carrying each condition (NotReady, Unreachable, ContractFailing)",
    labelNames: ["condition"] as const, registers: [registry],
    async collect() {
      const counts = new Map<string, number>(CONDITIONS.map((c) => [c, 0]));
      const at = now();
      for (const n of await nodes()) for (const c of nodeConditions(n, at, lease)) counts.set(c, (counts.get(c) ?? 0) + 1);
      for (const [condition, count] of counts) this.set({ condition }, count);
    },
  });
  const rolloutActions = new Counter({
    name: "hostplane_rollout_actions_total", help: "Rollout planner actions applied (start, drain, confirm, refuse, fail, skip, bake, advance, abort, finish, …)",
    labelNames: ["action"] as const, registers: [registry],
  });
  const operations = new Counter({
    name: "hostplane_operations_total", help: "Node operations by kind (upgrade, rollback) and what happened (started, succeeded, failed, rolled-back)",
    labelNames: ["kind", "status"] as const, registers: [registry],
  });
  let drift: { at: number; counts: Map<DriftStatus, number> } | null = null;
  new Gauge({
    name: "hostplane_node_drift", help: `Nodes by drift status (InSync, Drifted, RebootRequired, Unknown), recounted at most every ${DRIFT_REFRESH_MS / 1000} s`,
    labelNames: ["status"] as const, registers: [registry],
    async collect() {
      const at = now();
      if (drift === null || at - drift.at >= DRIFT_REFRESH_MS) {
        const [all, inputs] = await Promise.all([nodes(), fleetDriftInputs(repo)]);
        const counts = new Map<DriftStatus, number>(DRIFT.map((d) => [d, 0]));
        for (const n of all) {
          if (n.state === "Decommissioned") continue;
          const status = driftFor(n, inputs, at, lease).status;
          counts.set(status, (counts.get(status) ?? 0) + 1);
        }
        drift = { at, counts };
      }
      for (const [status, count] of drift.counts) this.set({ status }, count);
    },
  });
  return { registry, httpRequests, httpDuration, heartbeatDuration, authFailures, rolloutActions, operations };
}
