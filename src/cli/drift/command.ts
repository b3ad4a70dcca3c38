/**
 * `hostplane drift`: does every node run what the control plane last
 * committed on it? Exit 1 when one is Drifted or needs a reboot, so cron and
 * CI can alert on it.
 */
import { parseArgs } from "node:util";
import type { z } from "zod";
import type { DriftListSchema } from "../../server/rollout-schemas.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { REMOTE_HELP, REMOTE_OPTIONS, apiClient, serverUrl } from "../server/remote.js";
import { table } from "../server/table.js";

export const DRIFT_HELP = `Usage: hostplane drift [options]

Every node's drift, with the reason:
  InSync          runs the system the control plane last committed on it
  Drifted         runs another system, and no operation explains it (someone
                  switched by hand): roll it back or out again
  RebootRequired  runs the right system but booted another kernel or initrd
  Unknown         no recent facts, or nothing committed on it yet

${REMOTE_HELP}
  --json             machine-readable output (the same exit codes)
Exit codes: 0 no node Drifted or RebootRequired, 1 at least one is, 2 usage
error or refused by the server, 3 server unreachable or failing.
`;

const OPTIONS = { ...REMOTE_OPTIONS, json: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const;

type DriftList = z.infer<typeof DriftListSchema>;

/** Does `list` call for someone's attention (exit 1)? */
export function driftFound(list: DriftList): boolean {
  return list.nodes.some((n) => n.status === "Drifted" || n.status === "RebootRequired");
}

export function renderDrift(list: DriftList): string {
  if (list.nodes.length === 0) return "no nodes enrolled\n";
  const counts = Object.entries(list.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(", ");
  return table(["NODE", "DRIFT", "REASON"], list.nodes.map((n) => [n.name, n.status, n.reason || "-"])) + `${counts}\n`;
}

export async function driftCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) { io.stdout(DRIFT_HELP); return 0; }
  if (positionals.length > 0) throw new UsageError("drift takes no arguments; node history NODE shows what changed on one node (see hostplane drift --help)");
  const server = serverUrl(io, values.server);
  if (server === undefined) throw new UsageError("which control plane? pass --server URL or set HOSTPLANE_SERVER (see hostplane drift --help)");
  const list = await apiClient(io, server, values["token-file"]).drift();
  io.stdout(values.json ? JSON.stringify(list, null, 2) + "\n" : renderDrift(list));
  return driftFound(list) ? 1 : 0;
}
