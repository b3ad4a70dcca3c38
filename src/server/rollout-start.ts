/**
 * What a new rollout fixes when it starts, decided from data: its nodes (every
 * node the release has a system for, but those leaving the fleet), their waves
 * (assignWaves: canaries first, then by name) and, per node, its target and
 * whether it is drained first (needsDrain, comparing the kernel and runtime
 * identities of the release with those of the release the node runs now, when
 * a stored release names its current system).
 */
import type { NewRollout, ReleaseRecord } from "../db/index.js";
import { schedulable, type LeaseConfig, type NodeRecord } from "../fleet/node.js";
import { targetFor, type SystemTarget } from "../fleet/release.js";
import { assignWaves, needsDrain, RolloutPlanError } from "../fleet/rollout-plan.js";
import type { RolloutPolicy } from "../fleet/rollout-policy.js";

export class RolloutStartError extends Error {
  override readonly name = "RolloutStartError";
}

/** The kernel and runtime identity of what `node` runs now, when a known release put it there; null: unknown. */
function currentIdentity(node: NodeRecord, releases: readonly ReleaseRecord[]): Pick<SystemTarget, "kernel" | "runtime"> | null {
  const current = node.facts?.currentSystem;
  if (current == null) return null;
  for (const r of releases) {
    const t = targetFor(r.manifest, node);
    if (t?.path === current) return { ...(t.kernel === undefined ? {} : { kernel: t.kernel }), ...(t.runtime === undefined ? {} : { runtime: t.runtime }) };
  }
  return null;
}

export interface RolloutStartInput {
  id: string;
  release: ReleaseRecord;
  /** Every stored release, newest first (to know what nodes run now). */
  releases: readonly ReleaseRecord[];
  nodes: readonly NodeRecord[];
  policy: RolloutPolicy;
  now: number;
  lease: LeaseConfig;
  createdBy: string;
}

/** The rollout to store; RolloutStartError when it would upgrade nobody or its canaries cannot be found. */
export function newRollout(input: RolloutStartInput): NewRollout {
  const { release, policy, now, lease } = input;
  const candidates = input.nodes
    .filter((n) => n.state !== "Decommissioning" && n.state !== "Decommissioned")
    .flatMap((n) => {
      const target = targetFor(release.manifest, n);
      return target === null ? [] : [{ node: n, target }];
    });
  if (candidates.length === 0) throw new RolloutStartError(`release ${release.name} has a system for none of the enrolled nodes (roles: ${Object.keys(release.manifest.roles ?? {}).join(", ") || "none"}; nodes: ${Object.keys(release.manifest.nodes ?? {}).join(", ") || "none"})`);
  const views = candidates.map(({ node }) => ({ name: node.name, labels: node.labels, schedulable: schedulable(node, now, lease) }));
  let waves: string[][];
  try {
    waves = assignWaves(views, policy);
  } catch (err) {
    if (err instanceof RolloutPlanError) throw new RolloutStartError(err.message, { cause: err });
    throw err;
  }
  const labels = policy.canary.labels;
  const canaries = policy.canary.count > 0 && views.some((v) => (labels === undefined ? v.schedulable : Object.entries(labels).every(([k, x]) => v.labels[k] === x)));
  const targets: NewRollout["targets"] = {};
  for (const { node, target } of candidates) {
    targets[node.name] = { path: target.path, drain: needsDrain(policy.drain, currentIdentity(node, input.releases), target) };
  }
  return {
    id: input.id, release: release.id, createdBy: input.createdBy, createdAt: new Date(now).toISOString(), status: "running", policy, targets, waves,
    canaryWave: canaries, wave: 0, bakeUntil: null, skipped: {}, failed: {}, drained: [], abortReason: null,
  };
}
