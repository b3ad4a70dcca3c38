/**
 * `hostplane sandbox down`: ends the sandbox's server and agents (pids from
 * DIR/state.json), then removes the fleet's namespaces, links, mounts and
 * directory by its prefix (the harness's sweep, which also ends whatever
 * still runs inside the hosts), and DIR itself.
 */
import { existsSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { sweepStaleTestFleets } from "./hosts/index.js";
import { stopPids } from "./_pids.js";
import { readState } from "./_state.js";

/** A file `up` puts in DIR, so `down` only ever deletes a directory a sandbox made. */
export const SANDBOX_MARKER = ".hostplane-sandbox";

export interface SandboxDownReport {
  stopped: number[];
  netns: string[];
  links: string[];
  removedDir: boolean;
}

/** DIR is not one a sandbox can use (a usage error: exit 2). */
export class SandboxDirError extends Error {
  override readonly name = "SandboxDirError";
}

/** Throws when DIR holds something other than a sandbox (nothing is removed then). */
function checkDir(dir: string): boolean {
  if (!existsSync(dir)) return false;
  if (existsSync(join(dir, SANDBOX_MARKER))) return true;
  if (readdirSync(dir).length === 0) return true;
  throw new SandboxDirError(`Cannot use ${dir} for the sandbox: it is not empty and has no ${SANDBOX_MARKER}; pass --dir with a new or sandbox directory`);
}

export async function sandboxDown(dir: string, prefix: string): Promise<SandboxDownReport> {
  const ours = checkDir(dir);
  const state = ours ? readState(dir) : undefined;
  const stopped = state === undefined ? [] : await stopPids([state.server.pid, ...Object.values(state.agents)]);
  const swept = await sweepStaleTestFleets(state?.prefix ?? prefix);
  if (ours) await rm(dir, { recursive: true, force: true });
  return { stopped, netns: swept.netns, links: swept.links, removedDir: ours };
}
