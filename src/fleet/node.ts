/**
 * The node lifecycle, as data and pure functions: states, the transitions an
 * operator or the reconcile loops may make, and the conditions derived from a
 * node's lease. The server applies them; nothing here does I/O.
 *
 *   Registered → Ready ⇄ Cordoned → Draining → Drained → Decommissioning → Decommissioned
 *                  ↑_________________________________|  (uncordon)
 *
 * A node becomes Ready only when its host-contract report passes (admission
 * gate); conditions (NotReady, Unreachable, ContractFailing) come on top of
 * the state and keep a node from being chosen for new work.
 */
export const NODE_STATES = ["Registered", "Ready", "Cordoned", "Draining", "Drained", "Decommissioning", "Decommissioned"] as const;
export type NodeState = (typeof NODE_STATES)[number];

export type NodeCondition = "NotReady" | "Unreachable" | "ContractFailing";

export type NodeRole = "microvm-host" | "control-plane";

/** What the node last said about its host contract (the report itself is kept in `facts`). */
export interface ContractSummary {
  ok: boolean;
  /** Ids of failing checks. */
  failing: string[];
  evaluatedAt: string;
}

/** A workload (microVM) the node runs, as its workload adapter reports it. */
export interface Workload {
  id: string;
  /** e.g. "running", "stopping". */
  state: string;
}

/** Facts a node reports with its heartbeat (kept whole, replaced on change). */
export interface NodeFacts {
  hostname: string;
  kernel: string;
  /** Target of /run/current-system. */
  currentSystem: string | null;
  /** Target of /run/booted-system. */
  bootedSystem: string | null;
  /** System profile generations: number → store path, newest last. */
  generations: { number: number; path: string; current: boolean }[];
  /** Free bytes on /nix, /boot and the state paths. */
  freeBytes: Record<string, number>;
  /** Effective Nix trust settings (substituters, trusted-public-keys, require-sigs, trusted-users). */
  nixTrust: Record<string, unknown>;
  workloads: Workload[];
  /** The full host-contract report (hostplane.contract-report/v1). */
  contract: unknown;
  agentVersion: string;
  /**
   * Kernel and initrd identities (targets of `<system>/kernel` and `<system>/initrd`, store paths on NixOS) of the
   * current and booted systems: differing ones mean a reboot is required. Absent from agents that predate it.
   */
  boot?: { current: BootIdentity | null; booted: BootIdentity | null } | undefined;
}

export interface BootIdentity {
  kernel: string | null;
  initrd: string | null;
}

export interface DrainProgress {
  startedAt: string;
  deadline: string;
  /** Stop what is left at the deadline instead of failing the drain. */
  force: boolean;
  /** Set once when an unforced drain passes its deadline with workloads left (an operator decides: force, or uncordon). */
  deadlinePassed?: boolean;
  /** Per workload: eviction attempts and where they stand. */
  evictions: Record<string, { attempts: number; nextAttemptAt: string | null; status: "pending" | "evicted" | "error"; error?: string }>;
}

export interface NodeRecord {
  id: string;
  name: string;
  state: NodeState;
  role: NodeRole;
  labels: Record<string, string>;
  enrolledAt: string;
  lastHeartbeatAt: string | null;
  contract: ContractSummary | null;
  facts: NodeFacts | null;
  /** sha256 of the canonical JSON of `facts`: heartbeats without changes send only this. */
  factsHash: string | null;
  drain: DrainProgress | null;
  /** Bumped by every state change; updates compare it (optimistic concurrency, fencing). */
  version: number;
  updatedAt: string;
}

/** Lease timing (defaults: heartbeat every 10 s, lease 40 s, unreachable after 5 min). */
export interface LeaseConfig {
  heartbeatSeconds: number;
  leaseSeconds: number;
  unreachableSeconds: number;
}

export const DEFAULT_LEASE: LeaseConfig = { heartbeatSeconds: 10, leaseSeconds: 40, unreachableSeconds: 300 };

/** Conditions of a node at `now` (ms since epoch). */
export function nodeConditions(node: Pick<NodeRecord, "lastHeartbeatAt" | "contract" | "state">, now: number, lease: LeaseConfig = DEFAULT_LEASE): NodeCondition[] {
  if (node.state === "Decommissioned") return [];
  const out: NodeCondition[] = [];
  const last = node.lastHeartbeatAt === null ? null : Date.parse(node.lastHeartbeatAt);
  const age = last === null ? Infinity : (now - last) / 1000;
  if (age > lease.leaseSeconds) out.push("NotReady");
  if (age > lease.unreachableSeconds) out.push("Unreachable");
  if (node.contract && !node.contract.ok) out.push("ContractFailing");
  return out;
}

/** Operator actions on the lifecycle. */
export type LifecycleAction = "admit" | "cordon" | "uncordon" | "drain" | "drained" | "decommission" | "decommissioned";

/** Which states each action may start from, and where it leads. */
const TRANSITIONS: Record<LifecycleAction, { from: readonly NodeState[]; to: NodeState }> = {
  admit: { from: ["Registered"], to: "Ready" },
  cordon: { from: ["Ready"], to: "Cordoned" },
  uncordon: { from: ["Cordoned", "Draining", "Drained"], to: "Ready" },
  // From Draining: a new deadline or --force for a drain under way (it keeps its evictions).
  drain: { from: ["Ready", "Cordoned", "Draining"], to: "Draining" },
  drained: { from: ["Draining"], to: "Drained" },
  decommission: { from: ["Registered", "Ready", "Cordoned", "Draining", "Drained"], to: "Decommissioning" },
  decommissioned: { from: ["Decommissioning"], to: "Decommissioned" },
};

export class TransitionError extends Error {
  override readonly name = "TransitionError";
  constructor(readonly node: string, readonly from: NodeState, readonly action: LifecycleAction) {
    super(`cannot ${action} node ${node}: it is ${from} (allowed from ${TRANSITIONS[action].from.join(", ")})`);
  }
}

/** The state after `action`, or a TransitionError naming the node, its state and what is allowed. */
export function transition(node: Pick<NodeRecord, "name" | "state">, action: LifecycleAction): NodeState {
  const t = TRANSITIONS[action];
  if (!t.from.includes(node.state)) throw new TransitionError(node.name, node.state, action);
  return t.to;
}

/** May the scheduler (or a rollout) pick this node for new work? */
export function schedulable(node: Pick<NodeRecord, "state" | "lastHeartbeatAt" | "contract">, now: number, lease: LeaseConfig = DEFAULT_LEASE): boolean {
  return node.state === "Ready" && nodeConditions(node, now, lease).length === 0;
}
