/**
 * Drift: does a node run what the control plane last put on it? Pure.
 *
 * - Unknown: no facts, or none within the lease (the node may have changed unseen).
 * - Drifted: the current system is neither the desired one nor, while an
 *   operation runs, one of the two systems that operation moves between —
 *   someone switched it by hand, or a rollback happened that nobody asked for.
 * - RebootRequired: the node runs the desired system, but it booted another
 *   whose kernel or initrd differs, so the change is only half in effect.
 * - InSync: otherwise.
 */
import { nodeConditions, type LeaseConfig, type NodeRecord } from "./node.js";

export type DriftStatus = "InSync" | "Drifted" | "RebootRequired" | "Unknown";

/** What the agent reports about the kernels of the current and the booted system (store paths of `kernel` and `initrd`). */
export interface BootFacts {
  current: { kernel: string | null; initrd: string | null } | null;
  booted: { kernel: string | null; initrd: string | null } | null;
}

export interface DriftInput {
  node: Pick<NodeRecord, "lastHeartbeatAt" | "contract" | "state"> & { facts: { currentSystem: string | null; bootedSystem: string | null } | null };
  boot: BootFacts | null;
  /** The system the control plane last committed on this node (adopted from its first facts at enrollment); null: none yet. */
  desiredSystem: string | null;
  /** The operation running on the node now, if any. */
  operation: { target: string; previous: string | null } | null;
}

export interface Drift {
  status: DriftStatus;
  /** Why, in words, for people (empty when InSync). */
  reason: string;
}

export function driftOf(input: DriftInput, now: number, lease: LeaseConfig): Drift {
  const { node, desiredSystem, operation, boot } = input;
  const facts = node.facts;
  if (facts === null || node.lastHeartbeatAt === null) return { status: "Unknown", reason: "the node has reported no facts" };
  if (nodeConditions(node, now, lease).includes("NotReady")) return { status: "Unknown", reason: `no heartbeat within the ${lease.leaseSeconds} s lease` };
  if (desiredSystem === null) return { status: "Unknown", reason: "no desired system recorded for the node yet" };
  const current = facts.currentSystem;
  const expected = operation ? [operation.target, operation.previous, desiredSystem] : [desiredSystem];
  if (current === null || !expected.includes(current)) {
    return { status: "Drifted", reason: `runs ${current ?? "no known system"}, desired ${desiredSystem}${operation ? ` (or ${operation.target} while its operation runs)` : ""}` };
  }
  if (facts.bootedSystem !== null && facts.bootedSystem !== current) {
    // Without kernel facts a different booted system might need a reboot: say so rather than claim InSync.
    const c = boot?.current;
    const b = boot?.booted;
    if (!c || !b) return { status: "RebootRequired", reason: `booted ${facts.bootedSystem}, runs ${current}; kernel facts missing, so a reboot is assumed needed` };
    const changed = [c.kernel !== b.kernel ? "kernel" : null, c.initrd !== b.initrd ? "initrd" : null].filter((x) => x !== null);
    if (changed.length > 0) return { status: "RebootRequired", reason: `the running ${changed.join(" and ")} differ from the current system's; reboot to take them into use` };
  }
  return { status: "InSync", reason: "" };
}
