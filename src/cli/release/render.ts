/** Releases for people: the `release list` table and the `release show` page. */
import type { z } from "zod";
import type { SystemTarget } from "../../fleet/release.js";
import type { ReleaseListSchema, ReleaseSchema } from "../../server/rollout-schemas.js";
import { table } from "../server/table.js";

type Release = z.infer<typeof ReleaseSchema>;
type ReleaseSummary = z.infer<typeof ReleaseListSchema>["releases"][number];

/** 1.4 GB, 320 MB: closure sizes at a glance. */
export function bytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function renderReleaseList(releases: ReleaseSummary[]): string {
  if (releases.length === 0) return "no releases yet (hostplane release create MANIFEST.json)\n";
  return table(["NAME", "ID", "SYSTEMS", "CREATED", "BY"], releases.map((r) => [r.name, r.id, String(r.paths.length), r.createdAt, r.createdBy]));
}

function target(label: string, t: SystemTarget): string[] {
  const lines = [`  ${label}: ${t.path}`];
  if (t.closureSize !== undefined) lines.push(`    closure size: ${bytes(t.closureSize)}`);
  if (t.kernel !== undefined) lines.push(`    kernel:       ${t.kernel}`);
  if (t.runtime !== undefined) lines.push(`    runtime:      ${t.runtime}`);
  for (const c of t.healthChecks) {
    lines.push(`    health check: ${c.kind === "command" ? [c.path, ...c.args].join(" ") : `GET ${c.url}${c.expectStatus === undefined ? "" : ` → ${c.expectStatus}`}`} (timeout ${c.timeoutSeconds}s)`);
  }
  return lines;
}

export function renderRelease(r: Release): string {
  const m = r.manifest;
  const source = [m.source.commit && `commit ${m.source.commit}`, m.source.flake && `flake ${m.source.flake}`].filter(Boolean).join(", ");
  const lines = [
    `release ${r.name} (${r.id})`,
    `created ${r.createdAt} by ${r.createdBy}`,
    `source:  ${source}`,
  ];
  const roles = Object.entries(m.roles ?? {});
  const nodes = Object.entries(m.nodes ?? {});
  if (roles.length > 0) lines.push("roles:", ...roles.flatMap(([role, t]) => target(role, t)));
  if (nodes.length > 0) lines.push("nodes (win over their role's system):", ...nodes.flatMap(([node, t]) => target(node, t)));
  return lines.join("\n") + "\n";
}
