/** `hostplane node …`: see and change nodes through the control plane's API. */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { parseDuration } from "../server/duration.js";
import { REMOTE_HELP, REMOTE_OPTIONS, apiClient, serverUrl } from "../server/remote.js";
import { watchRollout } from "../rollout/watch.js";
import { renderHistory } from "./history.js";
import { planRollback, rollbackSummary, startRollback } from "./rollback.js";
import { renderNode, renderNodeList } from "./render.js";

export const NODE_HELP = `Usage: hostplane node <subcommand> [NODE] [options]

Nodes enrolled with the control plane and their lifecycle:
  Registered → Ready ⇄ Cordoned → Draining → Drained → Decommissioning → Decommissioned

Subcommands:
  list                 every node: state, conditions, contract, generation, last
                       heartbeat, drift
  show NODE            one node in full (NODE is a name or an id)
  history NODE [--limit 20]
                       its operations (upgrades, rollbacks), newest first, with
                       every step its agent reported, outcome and error
  cordon NODE          Ready → Cordoned: no new work lands on it
  uncordon NODE        back to Ready (cancels a drain)
  drain NODE [--deadline 1h] [--force]
                       evict its workloads by the deadline; --force stops what is
                       left at the deadline instead of failing the drain; on a
                       Draining node, changes the deadline or adds --force
  decommission NODE [--deadline 1h] [--force]
                       drain, then revoke the node's credential for good
  rollback NODE [--to GENERATION|STORE-PATH] [--bake 1m] [--watch]
                       back to an earlier system: by default the system profile
                       generation before the one it runs. Creates a release for
                       that node alone (source and health checks of the newest
                       release that names that system for it; else pass --commit
                       SHA or --flake REF) and starts a one-wave rollout; the agent
                       applies it like an upgrade, health-checked and confirmed.
                       --watch follows the rollout to its end (exit 1 if aborted)

${REMOTE_HELP}
  --json             machine-readable output
Exit codes: 0 ok, 1 rollback --watch: the rollout was aborted, 2 usage error or
refused by the server (unknown node, illegal transition, not allowed: the message
says which), 3 server unreachable or failing.
`;

const OPTIONS = {
  ...REMOTE_OPTIONS,
  json: { type: "boolean" },
  deadline: { type: "string" },
  force: { type: "boolean" },
  limit: { type: "string" },
  to: { type: "string" },
  commit: { type: "string" },
  flake: { type: "string" },
  bake: { type: "string" },
  watch: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const ACTIONS = ["cordon", "uncordon", "drain", "decommission"] as const;

export async function nodeCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") { io.stdout(NODE_HELP); return sub === undefined ? 2 : 0; }
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) { io.stdout(NODE_HELP); return 0; }
  const known = sub === "list" || sub === "show" || sub === "history" || sub === "rollback" || (ACTIONS as readonly string[]).includes(sub);
  if (!known) throw new UsageError(`unknown node subcommand "${sub}" (list, show, history, ${ACTIONS.join(", ")}, rollback; see hostplane node --help)`);
  const rollbackFlags = (["to", "commit", "flake", "bake", "watch"] as const).filter((f) => values[f] !== undefined);
  if (sub !== "rollback" && rollbackFlags.length > 0) throw new UsageError(`--${rollbackFlags.join(", --")} ${rollbackFlags.length === 1 ? "goes" : "go"} with rollback, not ${sub}`);
  const bakeSeconds = values.bake === undefined ? 60 : parseDuration(values.bake, "--bake");
  if (sub !== "history" && values.limit !== undefined) throw new UsageError(`--limit goes with history, not ${sub}`);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit ${JSON.stringify(values.limit)}: expected a whole number from 1 to 1000`);
  const takesDrainOptions = sub === "drain" || sub === "decommission";
  if (!takesDrainOptions && (values.deadline !== undefined || values.force !== undefined)) throw new UsageError(`--deadline and --force go with drain and decommission, not ${sub}`);
  const deadlineSeconds = values.deadline === undefined ? undefined : parseDuration(values.deadline, "--deadline");
  if (sub === "list" ? positionals.length > 0 : positionals.length !== 1) {
    throw new UsageError(sub === "list" ? "node list takes no arguments" : `node ${sub} takes one NODE (a name or id; hostplane node list shows them)`);
  }
  const server = serverUrl(io, values.server);
  if (server === undefined) throw new UsageError("which control plane? pass --server URL or set HOSTPLANE_SERVER");
  const api = apiClient(io, server, values["token-file"]);
  const json = (data: unknown) => io.stdout(JSON.stringify(data, null, 2) + "\n");

  if (sub === "list") {
    const { nodes } = await api.listNodes();
    if (values.json) json({ nodes }); else io.stdout(renderNodeList(nodes));
    return 0;
  }
  const ref = positionals[0]!;
  if (sub === "history") {
    const operations = [];
    // The API pages by epoch, at most 100 a page.
    for (let before: number | null | undefined; operations.length < limit && before !== null;) {
      const page = await api.nodeOperations(ref, { limit: Math.min(100, limit - operations.length), ...(before === undefined ? {} : { before }) });
      operations.push(...page.operations);
      before = page.next;
    }
    if (values.json) json({ node: ref, operations }); else io.stdout(renderHistory(ref, operations));
    return 0;
  }
  if (sub === "rollback") {
    const plan = await planRollback(api, ref, {
      bakeSeconds, now: new Date(io.now()),
      ...(values.to === undefined ? {} : { to: values.to }), ...(values.commit === undefined ? {} : { commit: values.commit }), ...(values.flake === undefined ? {} : { flake: values.flake }),
    });
    const started = await startRollback(api, plan);
    if (values.watch) {
      if (!values.json) io.stdout(`${rollbackSummary(plan, started)}\n`);
      return watchRollout(api, started.rollout, io, { json: values.json === true });
    }
    if (values.json) json({ ...plan, ...started });
    else io.stdout(`${rollbackSummary(plan, started)}\nfollow it: hostplane rollout watch ${started.rollout}\n`);
    return 0;
  }
  if (sub === "show") {
    const node = await api.getNode(ref);
    if (values.json) json(node); else io.stdout(renderNode(node));
    return 0;
  }
  const action = sub as (typeof ACTIONS)[number];
  const body = takesDrainOptions ? { ...(deadlineSeconds !== undefined ? { deadlineSeconds } : {}), ...(values.force ? { force: true } : {}) } : undefined;
  const after = await api.nodeAction(ref, action, body);
  if (values.json) json(after);
  else io.stdout(`node ${after.name} is now ${after.state}${after.drain && takesDrainOptions ? ` (drain deadline ${after.drain.deadline}${after.drain.force ? ", force" : ""})` : ""}\n`);
  return 0;
}
