/** What `hostplane sandbox` prints: the next steps after `up`, and `status`. */
import type { SandboxState } from "../../sandbox/_state.js";
import type { SandboxStatus } from "../../sandbox/status.js";

export function nextSteps(state: SandboxState, rolloutId: string): string {
  const d = state.dir;
  const dirFlag = d.endsWith("/hostplane-sandbox") ? "" : ` --dir ${d}`;
  return `
The fleet keeps running: a hostplane server on ${state.server.url} (log ${d}/server.log),
an agent in each of ${Object.keys(state.agents).join(", ")} (logs in ${d}/agents/), SQLite in ${d}/control.db.

Next steps:
  source ${d}/env                       # HOSTPLANE_SERVER and HOSTPLANE_TOKEN (admin, from ${d}/admin-token)
  node bin/hostplane.js node list           # every node, its state and generation
  node bin/hostplane.js drift               # does every node run what was committed?
  node bin/hostplane.js node history h1     # h1's operations, step by step
  node bin/hostplane.js rollout show ${rolloutId}

Try a rollback:
  # one node only: h1 back on its previous generation (generation 1), health-checked and confirmed
  node bin/hostplane.js node rollback h1 --bake 5s --watch
  # or abort a rollout mid-way (release gen1 names generation 1 for every node): the nodes it
  # changed go back to the system they ran before
  node bin/hostplane.js rollout start gen1 --bake 1m
  node bin/hostplane.js rollout abort ID --reason "trying an abort"
  # the runbook: docs/ops/upgrades-and-rollback.md, "Rollback as an incident tool"

Tear it down:
  node bin/hostplane.js sandbox down${dirFlag}
`;
}

export function statusText(s: SandboxStatus): string {
  if (s.state === undefined || s.server === undefined) return `no sandbox in ${s.dir} (start one: hostplane sandbox up)\n`;
  const yes = (b: boolean) => (b ? "running" : "gone");
  const lines = [
    `sandbox in ${s.dir} (fleet ${s.state.prefix}, ${s.state.fleetDir})`,
    `server   pid ${s.server.pid} ${yes(s.server.running)}, ${s.server.answering ? "answering" : "not answering"} on ${s.server.url}`,
    ...s.agents.map((a) => `agent ${a.name.padEnd(3)} pid ${a.pid} ${yes(a.running)}, netns ${a.netns ? "present" : "gone"}`),
  ];
  return `${lines.join("\n")}\n`;
}
