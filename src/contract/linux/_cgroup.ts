/**
 * cgroups: what is mounted at /sys/fs/cgroup (cgroup2, or tmpfs for v1/hybrid),
 * where the cgroup2 hierarchy is, and which controllers reach its root and the
 * microVM slice. A slice that does not exist is a value (exists: false).
 */
import { statfs } from "node:fs/promises";
import { join } from "node:path";
import type { Facts, Probe } from "../facts.js";
import { at, rebase, type GatherContext } from "./_context.js";
import { readText, statOf } from "./_fs.js";
import { cgroup2MountPoint, slicePath } from "./_cgroup-paths.js";
import { codeOf, probe, ProbeError } from "./_probe.js";

type CgroupDir = Extract<Facts["cgroup"]["root"], { ok: true }>["value"];

export async function gatherCgroup(ctx: GatherContext, microvmSlice: string): Promise<Facts["cgroup"]> {
  const rootFsTypeP = probe("cgroup fs type", async () => {
    const path = at(ctx, "sys", "fs/cgroup");
    try {
      return Number((await statfs(path, { bigint: true })).type);
    } catch (err) {
      throw new ProbeError(`cannot statfs ${path}: ${codeOf(err)}`, { cause: err });
    }
  });
  const unifiedMount = await probe("cgroup2 mount", async () => {
    const path = at(ctx, "proc", "self/mountinfo");
    try {
      return cgroup2MountPoint(await readText(path));
    } catch (err) {
      if (err instanceof ProbeError) throw err;
      throw new ProbeError(`unexpected content in ${path}: ${(err as Error).message}`);
    }
  });
  const rel = slicePath(microvmSlice);
  const [rootFsType, root, slice] = await Promise.all([
    rootFsTypeP,
    _dirProbe(ctx, unifiedMount, ""),
    "error" in rel ? { ok: false as const, reason: `microvmSlice: ${rel.error}` } : _dirProbe(ctx, unifiedMount, rel.path),
  ]);
  return { rootFsType, unifiedMount, root, slice };
}

function _dirProbe(ctx: GatherContext, mount: Probe<string | null>, relative: string): Promise<Probe<CgroupDir>> {
  if (!mount.ok) return Promise.resolve({ ok: false, reason: `cgroup2 mount unknown: ${mount.reason}` });
  const mountPoint = mount.value;
  if (mountPoint === null) return Promise.resolve({ ok: false, reason: `no cgroup2 hierarchy is mounted (none in ${at(ctx, "proc", "self/mountinfo")})` });
  return probe("cgroup dir", () => _dir(rebase(ctx, join(mountPoint, relative))));
}

async function _dir(path: string): Promise<CgroupDir> {
  const st = await statOf(path);
  if (!st.exists) return { path, exists: false, controllers: [], subtreeControl: [] };
  if (st.type !== "dir") throw new ProbeError(`${path} is a ${st.type ?? "?"}, not a cgroup directory`);
  const [controllers, subtreeControl] = await Promise.all([
    readText(join(path, "cgroup.controllers")),
    readText(join(path, "cgroup.subtree_control")),
  ]);
  return { path, exists: true, controllers: _words(controllers), subtreeControl: _words(subtreeControl) };
}

function _words(s: string): string[] {
  return s.split(/\s+/).filter((w) => w !== "");
}
