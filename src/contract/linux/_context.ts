/**
 * What every probe needs: where the filesystem roots are (tests point them at
 * a fake tree), the tool runner, and who we are. Built once per gather.
 */
import { join } from "node:path";
import { Tools } from "./_tools.js";

export type RootName = "proc" | "sys" | "dev" | "etc" | "var" | "boot";

export interface GatherContext {
  roots: Readonly<Record<RootName, string>>;
  tools: Tools;
  timeoutMs: number;
  euid: number;
}

const DEFAULT_ROOTS: Readonly<Record<RootName, string>> = {
  proc: "/proc", sys: "/sys", dev: "/dev", etc: "/etc", var: "/var", boot: "/boot",
};

export function makeContext(options: {
  roots?: Partial<Record<RootName, string>> | undefined;
  toolPath?: string | undefined;
  timeoutMs?: number | undefined;
}): GatherContext {
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    roots: { ...DEFAULT_ROOTS, ...options.roots },
    tools: new Tools(options.toolPath, timeoutMs),
    timeoutMs,
    euid: process.geteuid?.() ?? -1,
  };
}

/** A path under one of the roots: `at(ctx, "proc", "sys/kernel/osrelease")`. */
export function at(ctx: GatherContext, root: RootName, relative: string): string {
  return join(ctx.roots[root], relative);
}

/**
 * Maps an absolute host path (as /proc/self/mountinfo names it) onto the roots:
 * `/sys/fs/cgroup/unified` → `<sys root>/fs/cgroup/unified`. Paths outside the roots stay as they are.
 */
export function rebase(ctx: GatherContext, hostPath: string): string {
  for (const [name, root] of Object.entries(ctx.roots) as [RootName, string][]) {
    const base = `/${name}`;
    if (hostPath === base || hostPath.startsWith(`${base}/`)) return join(root, hostPath.slice(base.length));
  }
  return hostPath;
}
