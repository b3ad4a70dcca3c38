/**
 * Before a release is stored, every system closure it names must be in the
 * fleet's binary cache, each path signed by a trusted, unrevoked key — the
 * audit `hostplane cache audit` runs (src/cache), here over the closures
 * walked through the cache's own narinfos. The answer names, per manifest
 * path, what is wrong; an empty list means the release may be stored.
 */
import { auditClosure, closurePaths, memoizeNarinfos, openCache } from "../cache/index.js";
import type { ReleaseManifest } from "../fleet/release.js";
import type { FleetCache } from "./context.js";

export interface ReleaseIssue {
  /** Where in the manifest, e.g. `roles.microvm-host.path`. */
  path: string;
  message: string;
}

const SHOWN_PER_SYSTEM = 5;

/** The manifest's system paths with where each sits in the manifest. */
function systems(manifest: ReleaseManifest): { at: string; root: string }[] {
  return [
    ...Object.entries(manifest.roles ?? {}).map(([role, t]) => ({ at: `roles.${role}.path`, root: t.path })),
    ...Object.entries(manifest.nodes ?? {}).map(([node, t]) => ({ at: `nodes.${node}.path`, root: t.path })),
  ];
}

export async function checkReleaseClosures(manifest: ReleaseManifest, fleet: FleetCache): Promise<ReleaseIssue[]> {
  let cache;
  try {
    cache = memoizeNarinfos(await openCache(fleet.url));
  } catch (err) {
    return [{ path: "", message: `the fleet cache cannot be read, so the release cannot be checked: ${(err as Error).message}` }];
  }
  const entries = systems(manifest);
  const closures = new Map<string, Set<string>>();
  for (const root of new Set(entries.map((e) => e.root))) closures.set(root, new Set((await closurePaths([root], { cache })).paths));
  const report = await auditClosure({ paths: [...closures.values()].flatMap((c) => [...c]), cache, trusted: fleet.publicKeys, revoked: fleet.revoked });
  const issues: ReleaseIssue[] = [];
  for (const { at, root } of entries) {
    const closure = closures.get(root)!;
    const bad = report.problems.filter((p) => closure.has(p.path));
    if (bad.length === 0) continue;
    const shown = bad.slice(0, SHOWN_PER_SYSTEM).map((p) => `${p.kind}: ${p.path === root ? "the system itself" : p.path}: ${p.detail}`);
    const more = bad.length > SHOWN_PER_SYSTEM ? `; and ${bad.length - SHOWN_PER_SYSTEM} more` : "";
    issues.push({ path: at, message: `${bad.length} of ${closure.size} paths of ${root} fail the audit against cache ${report.cache}: ${shown.join("; ")}${more}` });
  }
  return issues;
}
