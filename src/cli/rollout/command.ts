/**
 * `hostplane rollout …`: start a rollout of a release (policy from a file and
 * flags, checked here before anything is sent), list and show rollouts,
 * pause, resume and abort them, and watch one until it finishes.
 */
import { parseArgs } from "node:util";
import { ApiProblemError } from "../../server/api-client.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { issuesError, serverIssuesError } from "../issues.js";
import { parseJsonFile, readTextFile } from "../release/manifest-file.js";
import { REMOTE_HELP, REMOTE_OPTIONS, apiClient, serverUrl } from "../server/remote.js";
import { policyFromFlags } from "./policy-flags.js";
import { renderRollout, renderRolloutList } from "./render.js";
import { operationSteps } from "./steps.js";
import { watchRollout } from "./watch.js";

export const ROLLOUT_HELP = `Usage: hostplane rollout <subcommand> [options]

A rollout brings a release to the fleet: canaries first, then waves, each
baking before the next; a node that fails its health checks rolls itself back.

Subcommands:
  start RELEASE [policy options]   start rolling RELEASE (id or name) out
  list                             rollouts, newest first
  show ID                          waves with progress, every node's outcome,
                                   operation step and reason
  pause ID                         no new operations or waves (running ones finish)
  resume ID                        go on
  abort ID --reason TEXT [--no-rollback]
                                   stop; nodes this rollout upgraded go back to the
                                   system they had, unless --no-rollback (or the
                                   policy says so)
  watch ID [--json]                follow it live until it finishes; --json: one
                                   event per line (NDJSON)

Policy (start; flags win over --policy, each replacing the file's value):
  --policy FILE              a RolloutPolicy as JSON (docs/ops/upgrades-and-rollback.md)
  --canary-label K=V         canaries carry all these labels (repeatable)
  --canary-count N           at most N canaries [1]
  --waves 10%,50%,100%       cumulative share (or count) per wave after the canaries
  --max-unavailable Q        nodes of a wave under operation at once (3 or 25%) [25%]
  --failure-budget Q         failed nodes a wave tolerates [0]
  --bake DURATION            how long each wave (the canaries too) must stay healthy [5m]
  --drain always|never|kernel-or-runtime   drain microVMs first [kernel-or-runtime]
  --confirm-timeout D        the agent rolls back unless confirmed within D [60s]
  --window "mon,tue 22:00-02:00"   new operations start only inside a window (UTC,
                             repeatable; days optional)
  --no-rollback-on-abort     an abort leaves upgraded nodes where they are
Durations: 90s, 15m, 1h, 2d.

${REMOTE_HELP}
  --json             machine-readable output (watch: NDJSON events)
Exit codes: 0 ok (watch: the rollout succeeded), 1 watch: the rollout was
aborted, 2 usage error, an invalid policy or refused by the server (the
message says why), 3 server unreachable or failing.
`;

const OPTIONS = {
  ...REMOTE_OPTIONS,
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  policy: { type: "string" },
  "canary-label": { type: "string", multiple: true },
  "canary-count": { type: "string" },
  waves: { type: "string" },
  "max-unavailable": { type: "string" },
  "failure-budget": { type: "string" },
  bake: { type: "string" },
  drain: { type: "string" },
  "confirm-timeout": { type: "string" },
  window: { type: "string", multiple: true },
  "no-rollback-on-abort": { type: "boolean" },
  reason: { type: "string" },
  "no-rollback": { type: "boolean" },
} as const;

const SUBCOMMANDS = ["start", "list", "show", "pause", "resume", "abort", "watch"] as const;
type Sub = (typeof SUBCOMMANDS)[number];
const POLICY_FLAGS = ["policy", "canary-label", "canary-count", "waves", "max-unavailable", "failure-budget", "bake", "drain", "confirm-timeout", "window", "no-rollback-on-abort"] as const;
const HINT = "see hostplane rollout --help";

export async function rolloutCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") { io.stdout(ROLLOUT_HELP); return sub === undefined ? 2 : 0; }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown rollout subcommand "${sub}" (${SUBCOMMANDS.join(", ")}; ${HINT})`);
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) { io.stdout(ROLLOUT_HELP); return 0; }
  const s = sub as Sub;
  const misplaced = [
    ...(s === "start" ? [] : POLICY_FLAGS.filter((f) => values[f] !== undefined)),
    ...(s === "abort" ? [] : (["reason", "no-rollback"] as const).filter((f) => values[f] !== undefined)),
  ];
  if (misplaced.length > 0) throw new UsageError(`--${misplaced.join(", --")} ${misplaced.length === 1 ? "does" : "do"} not go with rollout ${s} (${HINT})`);
  if (s === "list" ? positionals.length > 0 : positionals.length !== 1) {
    throw new UsageError(s === "list" ? `rollout list takes no arguments (${HINT})` : s === "start" ? `rollout start takes one RELEASE, an id or name (hostplane release list shows them)` : `rollout ${s} takes one rollout ID (hostplane rollout list shows them)`);
  }
  if (s === "abort" && (values.reason === undefined || values.reason.trim() === "")) throw new UsageError(`rollout abort needs --reason TEXT: it is recorded with the rollout and in the audit log (${HINT})`);
  // The policy is checked before the server is looked for: a bad policy needs no connection to be told so.
  const started = s === "start" ? startBody(io, positionals[0]!, values) : undefined;
  const server = serverUrl(io, values.server);
  if (server === undefined) throw new UsageError(`which control plane? pass --server URL or set HOSTPLANE_SERVER (${HINT})`);
  const api = apiClient(io, server, values["token-file"]);
  const json = (data: unknown) => io.stdout(JSON.stringify(data, null, 2) + "\n");

  switch (s) {
    case "list": {
      const { rollouts } = await api.listRollouts();
      if (values.json) json({ rollouts }); else io.stdout(renderRolloutList(rollouts));
      return 0;
    }
    case "show": {
      const r = await api.getRollout(positionals[0]!);
      if (values.json) json(r); else io.stdout(renderRollout(r, { steps: await operationSteps(api, r), nodes: "all" }));
      return 0;
    }
    case "watch": return watchRollout(api, positionals[0]!, io, { json: values.json === true });
    case "start": {
      let r;
      try {
        r = await api.startRollout(started!);
      } catch (err) {
        if (err instanceof ApiProblemError) {
          const listed = serverIssuesError(err, `the server refused the rollout of ${positionals[0]!}, nothing was started`, `(${HINT})`);
          if (listed) throw listed;
        }
        throw err;
      }
      if (values.json) { json(r); return 0; }
      const first = r.progress[0];
      io.stdout(`rollout ${r.id} of release ${r.release.name} started: ${r.nodes.length} node${r.nodes.length === 1 ? "" : "s"} in ${r.waves} wave${r.waves === 1 ? "" : "s"}${first ? `; wave 0${r.canaryWave ? " (canaries)" : ""}: ${first.nodes.join(", ")}` : ""}\nfollow it: hostplane rollout watch ${r.id}\n`);
      return 0;
    }
    case "pause": case "resume": {
      const r = s === "pause" ? await api.pauseRollout(positionals[0]!) : await api.resumeRollout(positionals[0]!);
      if (values.json) json(r); else io.stdout(`rollout ${r.id} is now ${r.status}${s === "pause" ? " (operations under way finish; hostplane rollout resume to go on)" : ""}\n`);
      return 0;
    }
    case "abort": {
      const r = await api.abortRollout(positionals[0]!, { reason: values.reason!, ...(values["no-rollback"] ? { rollback: false } : {}) });
      if (values.json) json(r);
      else io.stdout(`rollout ${r.id} is ${r.status}: ${r.policy.rollbackOnAbort ? "nodes it upgraded are rolled back to the system they had" : "no rollback: upgraded nodes stay on the new system"}\nfollow it: hostplane rollout watch ${r.id}\n`);
      return 0;
    }
  }
}

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>["values"];

function startBody(io: CliIo, release: string, values: Values) {
  const file = values.policy === undefined ? undefined : parseJsonFile(readTextFile(io.cwd, values.policy, "rollout policy"), values.policy);
  const result = policyFromFlags(file, values.policy, values);
  if (!result.ok) {
    throw issuesError(`the rollout policy${values.policy === undefined ? "" : ` (${values.policy} and flags)`} is not valid, nothing was sent`, result.issues, { hint: `(${HINT})` });
  }
  return { release, ...(Object.keys(result.input).length > 0 ? { policy: result.input } : {}) };
}
