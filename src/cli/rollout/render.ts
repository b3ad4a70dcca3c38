/**
 * Rollouts for people: the `rollout list` table, and the page `rollout show`
 * prints and `rollout watch` redraws (waves with a progress bar, every node's
 * outcome, operation step and reason, skipped and failed nodes with why).
 */
import type { RolloutDetail, RolloutSummary } from "../../server/rollout-schemas.js";
import { table } from "../server/table.js";

/** The last step an operation's agent reported, by operation id (fetched only for operations worth a look). */
export type StepsByOperation = ReadonlyMap<string, { step: string; ok: boolean; at: string }>;

type Outcome = keyof RolloutDetail["progress"][number]["counts"];

const BAR: readonly [Outcome, string][] = [["done", "#"], ["failed", "!"], ["skipped", "~"], ["in-flight", ">"], ["draining", ">"], ["waiting", "."]];

/** `[######!>>.........]`: done, failed, skipped, under way, waiting, in that order, `width` wide. */
export function progressBar(counts: Readonly<Record<Outcome, number>>, width = 20): string {
  const total = BAR.reduce((n, [o]) => n + counts[o], 0);
  if (total === 0) return `[${" ".repeat(width)}]`;
  let bar = "";
  let sum = 0;
  for (const [outcome, ch] of BAR) {
    const before = Math.round((sum / total) * width);
    sum += counts[outcome];
    bar += ch.repeat(Math.round((sum / total) * width) - before);
  }
  return `[${bar}]`;
}

/** `3/5 done, 1 in flight, 1 failed`: the counts that are not zero. */
export function countsText(counts: Readonly<Record<Outcome, number>>): string {
  const total = BAR.reduce((n, [o]) => n + counts[o], 0);
  const rest = (["in-flight", "draining", "failed", "skipped", "waiting"] as const).filter((o) => counts[o] > 0).map((o) => `${counts[o]} ${o === "in-flight" ? "in flight" : o}`);
  return [`${counts.done}/${total} done`, ...rest].join(", ");
}

export function renderRolloutList(rollouts: RolloutSummary[]): string {
  if (rollouts.length === 0) return "no rollouts yet (hostplane rollout start RELEASE)\n";
  return table(
    ["ID", "RELEASE", "STATUS", "WAVE", "CREATED", "BY"],
    rollouts.map((r) => [r.id, r.release.name, r.status, `${Math.min(r.wave + 1, r.waves)}/${r.waves}`, r.createdAt, r.createdBy]),
  );
}

function policyText(p: RolloutDetail["policy"]): string {
  const labels = Object.entries(p.canary.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
  const windows = p.maintenanceWindows.map((w) => `${w.days?.join(",") ?? "daily"} ${w.start}-${w.end}`).join("; ");
  return [
    `canaries ${p.canary.count}${labels ? ` (${labels})` : ""}${p.canary.bakeSeconds === undefined ? "" : ` bake ${p.canary.bakeSeconds}s`}`,
    `waves ${p.waves.join(",")}`, `max unavailable ${p.maxUnavailable}`, `failure budget ${p.failureBudget}`, `bake ${p.bakeSeconds}s`,
    `drain ${p.drain}`, `confirm timeout ${p.confirmTimeoutSeconds}s`, windows ? `windows ${windows} UTC` : "any time",
    p.rollbackOnAbort ? "rollback on abort" : "no rollback on abort",
  ].join(", ");
}

export interface RenderOptions {
  steps: StepsByOperation;
  /** `all` nodes (show), or only those of the wave under way, under operation, failed or skipped (watch). */
  nodes: "all" | "active";
}

export function renderRollout(r: RolloutDetail, options: RenderOptions): string {
  const lines: string[] = [
    `rollout ${r.id} of release ${r.release.name} (${r.release.id})`,
    `status:  ${r.status}${r.status === "running" || r.status === "paused" ? `, wave ${r.wave} of 0-${r.waves - 1}${r.canaryWave && r.wave === 0 ? " (canaries)" : ""}` : ""}${r.bakeUntil === null ? "" : `, baking until ${r.bakeUntil}`}`,
    `started: ${r.createdAt} by ${r.createdBy}; updated ${r.updatedAt}`,
  ];
  if (r.abortReason !== null) lines.push(`aborted: ${r.abortReason}`);
  lines.push(`policy:  ${policyText(r.policy)}`, "waves:");
  for (const w of r.progress) {
    const label = `${w.wave}${r.canaryWave && w.wave === 0 ? " canary" : ""}`.padEnd(8);
    const mark = w.wave === r.wave && (r.status === "running" || r.status === "paused") ? "→" : " ";
    lines.push(`${mark} ${label} ${progressBar(w.counts)} ${countsText(w.counts)}`);
  }
  const shown = r.nodes.filter((n) => options.nodes === "all" || n.wave === r.wave || n.outcome === "in-flight" || n.outcome === "draining" || n.outcome === "failed" || n.outcome === "skipped"
    || (n.operation !== null && n.operation.kind === "rollback"));
  if (shown.length > 0) {
    lines.push("");
    const rows = shown.map((n) => {
      const step = n.operation === null ? undefined : options.steps.get(n.operation.id);
      return [
        n.name, String(n.wave), n.outcome + (n.drain ? " (drain)" : ""),
        n.operation === null ? "-" : `${n.operation.kind} ${n.operation.status}`,
        step === undefined ? "-" : `${step.step}${step.ok ? "" : " (failed)"}`,
        n.reason ?? "",
      ];
    });
    lines.push(table(["NODE", "WAVE", "OUTCOME", "OPERATION", "STEP", "REASON"], rows).trimEnd());
  }
  const skipped = r.nodes.filter((n) => n.outcome === "skipped");
  const failed = r.nodes.filter((n) => n.outcome === "failed");
  if (failed.length > 0) lines.push("", `failed (${failed.length}):`, ...failed.map((n) => `  ${n.name}: ${n.reason ?? "no reason recorded"}`));
  if (skipped.length > 0) lines.push("", `skipped (${skipped.length}):`, ...skipped.map((n) => `  ${n.name}: ${n.reason ?? "no reason recorded"}`));
  return lines.join("\n") + "\n";
}
