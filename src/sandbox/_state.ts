/**
 * What a running sandbox is, written by `up` to DIR/state.json and read by
 * `status` and `down`: the fleet's prefix, the server and agent pids, the
 * server's URL and the two generations' store paths.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface SandboxState {
  prefix: string;
  dir: string;
  /** The test-host fleet's own directory (host roots, build store, cache). */
  fleetDir: string;
  server: { pid: number; url: string };
  agents: Record<string, number>;
  systems: { gen1: string; gen2: string };
  cacheUrl: string;
}

export function statePath(dir: string): string {
  return join(dir, "state.json");
}

/** The recorded state, or undefined when DIR has none (no sandbox, or one whose `up` failed early). */
export function readState(dir: string): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(dir), "utf8")) as SandboxState;
  } catch {
    return undefined;
  }
}

export async function writeState(state: SandboxState): Promise<void> {
  await writeFile(statePath(state.dir), `${JSON.stringify(state, null, 2)}\n`);
}
