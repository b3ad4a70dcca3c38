/**
 * `hostplane node rollback NODE`: one node back to an earlier system, in one
 * command, for an incident. It writes the release the runbook used to ask
 * people to write by hand (that node only, the earlier system, the source and
 * health checks of the newest release that names that system for the node)
 * and starts a one-wave rollout of it, so the agent applies it like any
 * upgrade: preflight, signed fetch, health, confirmation, and a rollback by
 * itself if it does not come up healthy either.
 */
import type { ReleaseManifest, SystemTarget } from "../../fleet/release.js";
import { targetFor } from "../../fleet/release.js";
import { STORE_PATH_RE } from "../../fleet/store-paths.js";
import type { RolloutPolicyInput } from "../../fleet/rollout-policy.js";
import { ApiProblemError, type ApiClient } from "../../server/api-client.js";
import { UsageError } from "../errors.js";
import { serverIssuesError } from "../issues.js";

/** Releases read (newest first) looking for the one that gave the node its rollback target. */
const RELEASES_SEARCHED = 50;

export interface RollbackOptions {
  /** A generation number of the node's system profile, or a store path; default: the generation before the running one. */
  to?: string;
  /** The manifest's source when no release gave the node the target. */
  commit?: string;
  flake?: string;
  bakeSeconds: number;
  now: Date;
}

export interface RollbackPlan {
  node: string;
  from: string | null;
  target: string;
  generation: number | null;
  /** The newest release that names the target for the node (its source and checks are reused); null when none does. */
  basedOn: string | null;
  manifest: ReleaseManifest;
  policy: RolloutPolicyInput;
}

interface Generation { number: number; path: string; current: boolean }

/** The system to go back to: --to as a generation or store path, else the newest generation older than the running one. */
function chooseTarget(node: string, running: string | null, gens: readonly Generation[], to: string | undefined): { path: string; generation: number | null } {
  const listed = gens.length === 0 ? "it has reported none" : `it has ${gens.map((g) => `${g.number}${g.current ? " (current)" : ""}`).join(", ")}`;
  if (to !== undefined) {
    if (STORE_PATH_RE.test(to)) return { path: to, generation: gens.filter((g) => g.path === to).at(-1)?.number ?? null };
    if (!/^\d{1,9}$/.test(to)) throw new UsageError(`--to ${JSON.stringify(to)}: expected a generation number of ${node}'s system profile or a /nix/store path`);
    const g = gens.find((x) => x.number === Number(to));
    if (g === undefined) throw new UsageError(`--to ${to}: ${node} has no system profile generation ${to} (${listed})`);
    return { path: g.path, generation: g.number };
  }
  const sorted = [...gens].sort((a, b) => a.number - b.number);
  const runningGen = sorted.filter((g) => g.path === running).at(-1)?.number ?? Infinity;
  const previous = sorted.filter((g) => g.number < runningGen && g.path !== running).at(-1);
  if (previous === undefined) throw new UsageError(`${node} has no system profile generation older than the system it runs (${listed}); name one with --to GENERATION or --to /nix/store/…`);
  return { path: previous.path, generation: previous.number };
}

/** Reads the node and the releases and works out what to send; sends nothing. */
export async function planRollback(api: ApiClient, ref: string, o: RollbackOptions): Promise<RollbackPlan> {
  const node = await api.getNode(ref);
  if (node.facts === null && o.to === undefined) throw new UsageError(`${node.name} has not reported its facts (system profile generations) yet; name the system with --to /nix/store/…`);
  const running = node.facts?.currentSystem ?? null;
  const target = chooseTarget(node.name, running, node.facts?.generations ?? [], o.to);
  if (target.path === running) throw new UsageError(`${node.name} already runs ${target.path}`);

  let basedOn: { name: string; source: ReleaseManifest["source"]; target: SystemTarget } | null = null;
  const { releases } = await api.listReleases();
  const newestFirst = [...releases].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)).slice(0, RELEASES_SEARCHED);
  for (const r of newestFirst) {
    const full = await api.getRelease(r.id);
    const t = targetFor(full.manifest, { name: node.name, role: node.role });
    if (t?.path === target.path) { basedOn = { name: full.name, source: full.manifest.source, target: t }; break; }
  }
  const flagSource = o.commit === undefined && o.flake === undefined ? undefined : { ...(o.commit === undefined ? {} : { commit: o.commit }), ...(o.flake === undefined ? {} : { flake: o.flake }) };
  const source = flagSource ?? basedOn?.source;
  if (source === undefined) {
    throw new UsageError(`no release (of the newest ${RELEASES_SEARCHED}) gave ${node.name} ${target.path}, so its source is not known; say what it was built from with --commit SHA or --flake REF`);
  }
  // To the millisecond: two rollbacks of a node in one second must not clash on the name.
  const stamp = o.now.toISOString().replace(/[-:]/g, "");
  const manifest: ReleaseManifest = {
    schema: "hostplane.release/v1",
    name: `rollback-${node.name.slice(0, 38)}-${stamp}`,
    source,
    nodes: { [node.name]: basedOn?.target ?? { path: target.path, healthChecks: [] } },
  };
  // The node alone, at once: no canary wave, one wave of 100%.
  const policy: RolloutPolicyInput = { canary: { count: 0 }, waves: ["100%"], bakeSeconds: o.bakeSeconds };
  return { node: node.name, from: running, target: target.path, generation: target.generation, basedOn: basedOn?.name ?? null, manifest, policy };
}

/**
 * Creates the plan's release and starts its rollout. A refused release starts nothing; a refused rollout (another
 * rollout holds the node, say) leaves only the release, which `hostplane rollout start` can start later.
 */
export async function startRollback(api: ApiClient, plan: RollbackPlan): Promise<{ release: string; rollout: string }> {
  let release;
  try {
    release = await api.createRelease(plan.manifest);
  } catch (err) {
    if (err instanceof ApiProblemError) {
      const listed = serverIssuesError(err, `the server refused the rollback release for ${plan.node} (${plan.target}), nothing was started`, `(hostplane node show ${plan.node} lists its generations)`);
      if (listed) throw listed;
    }
    throw err;
  }
  try {
    const rollout = await api.startRollout({ release: release.id, policy: plan.policy });
    return { release: release.name, rollout: rollout.id };
  } catch (err) {
    if (!(err instanceof ApiProblemError)) throw err;
    throw new UsageError(`release ${release.name} (${plan.node} → ${plan.target}) was created, but its rollout was refused: ${err.message}; once that is sorted out: hostplane rollout start ${release.name} --waves 100% --canary-count 0`, { cause: err });
  }
}

/** What a person reads after `node rollback`. */
export function rollbackSummary(plan: RollbackPlan, started: { release: string; rollout: string }): string {
  return [
    `rolling ${plan.node} back to ${plan.target}${plan.generation === null ? "" : ` (generation ${plan.generation})`}`,
    `  from:     ${plan.from ?? "(unknown: no facts)"}`,
    `  based on: ${plan.basedOn === null ? "no release (source from the flags; no health checks but failed units)" : `release ${plan.basedOn} (its source and health checks)`}`,
    `  release ${started.release}, rollout ${started.rollout} (one wave, bake ${plan.policy.bakeSeconds ?? 0} s)`,
  ].join("\n");
}
