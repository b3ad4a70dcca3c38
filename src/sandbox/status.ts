/** `hostplane sandbox status`: which of the sandbox's processes and namespaces are there, and whether its server answers. */
import { existsSync } from "node:fs";
import { isHostplaneProcess } from "./_pids.js";
import { readState, type SandboxState } from "./_state.js";

export interface SandboxStatus {
  dir: string;
  state: SandboxState | undefined;
  server: { pid: number; running: boolean; answering: boolean; url: string } | undefined;
  agents: { name: string; pid: number; running: boolean; netns: boolean }[];
}

export async function sandboxStatus(dir: string): Promise<SandboxStatus> {
  const state = readState(dir);
  if (state === undefined) return { dir, state, server: undefined, agents: [] };
  const answering = await fetch(`${state.server.url}/v1/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
  return {
    dir,
    state,
    server: { pid: state.server.pid, running: isHostplaneProcess(state.server.pid), answering, url: state.server.url },
    agents: Object.entries(state.agents).map(([name, pid]) => ({
      name, pid, running: isHostplaneProcess(pid), netns: existsSync(`/run/netns/hpt-${state.prefix}-${name}`),
    })),
  };
}
