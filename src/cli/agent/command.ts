/**
 * `hostplane agent`: run the node agent until SIGTERM/SIGINT (exit 0), a
 * decommission or a revoked credential (identity wiped, exit 0), or a fatal
 * condition (exit 2). All output is JSON log lines.
 */
import { readFile } from "node:fs/promises";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";

export const AGENT_HELP = `Usage: hostplane agent --server URL [options]

Run the node agent: enroll with a bootstrap token (once), then heartbeat this
host's facts (hostname, kernel, current and booted system, profile
generations, free space, Nix trust settings, host-contract report, microVM
workloads) and follow the node's desired state by long-poll, applying its
operations (upgrades, rollbacks) one at a time: journaled under
DIR/operations/, activated with switch-to-configuration test, committed only
once the control plane confirms, rolled back by themselves otherwise. Logs
are JSON lines (info on stdout, warnings and errors on stderr).

Options:
  --server URL                the control plane, e.g. https://control.example:8443
  --state-dir DIR             where the node credential lives (default /var/lib/hostplane/agent;
                              identity.json, mode 0600, in a 0700 directory)
  --bootstrap-token-file F    enrollment token, read only when DIR holds no credential;
                              the file is left in place (remove it once enrolled)
  --name N                    node name (default: this host's name, lower-cased)
  --ca-file F                 PEM CA bundle to trust for an HTTPS server
  --workloads SPEC            systemd (default: microvm@*.service units) or file:PATH (JSON array of {id, state})
  --failed-units SPEC         where an operation's health step reads failed units: systemd (default:
                              systemctl list-units --state=failed) or file:PATH (one unit per line)
  --activation MODE           how switch-to-configuration runs: systemd (a transient unit,
                              systemd-run --wait, outside the agent's sandbox), direct (a child
                              process), or auto (default: systemd when systemd is PID 1)
  --restart-when-changed F    the agent's own unit file: when what F resolves to changes (a new
                              hostplane or new flags), exit 75 so systemd restarts the agent into
                              it: after the operation that changed it, or at the next heartbeat
                              when no operation runs (the NixOS module sets this)
  --contract-config F         host-contract site values (default /etc/hostplane/contract.json when it exists)
  --contract-interval MIN     gather the host contract at most every MIN minutes (default 5)
  --verbose                   also log every heartbeat (debug)
  -h, --help                  show this help

Exit codes: 0 stopped by a signal, decommissioned or revoked (credential wiped),
2 usage error, bad bootstrap token or refused credential, 3 internal error,
75 restart wanted (--restart-when-changed).
`;

const DEFAULT_CONTRACT_CONFIG = "/etc/hostplane/contract.json";

function readUserFile(io: CliIo, file: string, flag: string): string {
  try {
    return readFileSync(resolve(io.cwd, file), "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** Where `path` leads after every symlink; null when it does not exist. */
function resolvedOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** Resolves with the first of SIGTERM / SIGINT. */
function onStopSignal(stop: AbortController): () => void {
  const on = () => stop.abort();
  process.on("SIGTERM", on);
  process.on("SIGINT", on);
  return () => { process.off("SIGTERM", on); process.off("SIGINT", on); };
}

export async function agentCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: {
      server: { type: "string" },
      "state-dir": { type: "string", default: "/var/lib/hostplane/agent" },
      "bootstrap-token-file": { type: "string" },
      name: { type: "string" },
      "ca-file": { type: "string" },
      workloads: { type: "string", default: "systemd" },
      "failed-units": { type: "string", default: "systemd" },
      activation: { type: "string", default: "auto" },
      "restart-when-changed": { type: "string" },
      "contract-config": { type: "string" },
      "contract-interval": { type: "string", default: "5" },
      verbose: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) { io.stdout(AGENT_HELP); return 0; }
  if (positionals.length > 0) throw new UsageError(`agent takes no arguments (got ${positionals.join(" ")})`);
  if (values.server === undefined) throw new UsageError("agent needs --server URL (the control plane, e.g. https://control.example:8443)");
  let serverUrl: URL;
  try {
    serverUrl = new URL(values.server);
  } catch {
    throw new UsageError(`--server ${JSON.stringify(values.server)}: expected an http:// or https:// URL`);
  }
  if (serverUrl.protocol !== "http:" && serverUrl.protocol !== "https:") throw new UsageError(`--server ${values.server}: expected an http:// or https:// URL`);
  const minutes = Number(values["contract-interval"]);
  if (!(minutes > 0)) throw new UsageError(`--contract-interval ${values["contract-interval"]}: expected a positive number of minutes`);
  const name = (values.name ?? hostname()).toLowerCase();
  const stateDir = resolve(io.cwd, values["state-dir"]);
  const tokenFile = values["bootstrap-token-file"] === undefined ? undefined : resolve(io.cwd, values["bootstrap-token-file"]);
  const ca = values["ca-file"] === undefined ? undefined : readUserFile(io, values["ca-file"], "--ca-file");
  // Only the agent's own modules: the contract's checks, zod and fetch stay out of the resident process (bench/agent-rss.ts).
  const agent = await import("../../agent/index.js");
  const workloads = agent.workloadAdapter(values.workloads);
  if (workloads === null) throw new UsageError(`--workloads ${values.workloads}: expected systemd or file:PATH`);
  const units = agent.failedUnitsAdapter(values["failed-units"]);
  if (units === null) throw new UsageError(`--failed-units ${values["failed-units"]}: expected systemd or file:PATH`);
  const activation = agent.activationMode(values.activation);
  if (activation === null) throw new UsageError(`--activation ${values.activation}: expected auto, systemd or direct`);
  const watched = values["restart-when-changed"] === undefined ? undefined : resolve(io.cwd, values["restart-when-changed"]);
  const startedWith = watched === undefined ? null : resolvedOrNull(watched);
  const configFile = values["contract-config"] === undefined ? (existsSync(DEFAULT_CONTRACT_CONFIG) ? DEFAULT_CONTRACT_CONFIG : undefined) : resolve(io.cwd, values["contract-config"]);
  let site;
  try {
    site = await agent.checkContractConfig(configFile);
  } catch (err) {
    if (err instanceof agent.ContractChildError && err.config) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  const logging = agent.jsonLog({ stdout: (l) => io.stdout(l), stderr: (l) => io.stderr(l) }, { minLevel: values.verbose ? "debug" : "info", now: () => io.now() });
  const log = logging.log;
  const transport = agent.nodeTransport(ca === undefined ? {} : { ca });
  const freshTransport = agent.nodeTransport({ ...(ca === undefined ? {} : { ca }), fresh: true });
  const contract = new agent.ContractCache(() => agent.gatherContractInChild(configFile), minutes * 60_000);
  const spacePaths = [...site.spacePaths, stateDir];
  const stop = new AbortController();
  const unhook = onStopSignal(stop);
  let restart = false;
  let runner: { quiet(): boolean } | undefined;
  // A changed unit file means this process runs the old hostplane or old flags. Checked after each operation, and
  // at each heartbeat while no operation is queued or running (a manual nixos-rebuild switch changed it).
  const checkUnit = watched === undefined ? undefined : () => {
    const now = resolvedOrNull(watched);
    if (now === startedWith || restart) return;
    log("info", "the agent's unit changed with the running system; exiting 75 so systemd restarts it", { unitFile: watched, was: startedWith, now });
    restart = true;
    stop.abort();
  };
  log("info", "agent starting", {
    version: io.version, server: values.server, stateDir, name, workloads: workloads.name, failedUnits: units.name, activation,
    contractConfig: configFile ?? null, ...(watched === undefined ? {} : { unitFile: watched, unitFileIs: startedWith }),
  });
  try {
    const exit = await agent.runAgent({
      server: values.server,
      name,
      stateDir: new agent.StateDir(stateDir),
      bootstrapToken: async () => {
        if (tokenFile === undefined) throw new agent.AgentFatalError(`no credential in ${stateDir} and no --bootstrap-token-file to enroll with; create one with hostplane token bootstrap`);
        try {
          const token = (await readFile(tokenFile, "utf8")).trim();
          if (token === "") throw new Error("the file is empty");
          return token;
        } catch (err) {
          throw new agent.AgentFatalError(`cannot read --bootstrap-token-file ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
        }
      },
      client: (token) => new agent.AgentClient({ server: values.server!, token, timeoutMs: 10_000, transport }),
      facts: () => {
        if (runner?.quiet()) checkUnit?.();
        return agent.collectFacts({ root: "", spacePaths, workloads, contract: () => contract.get(), agentVersion: io.version });
      },
      workloads,
      operations: ({ credential, nodeId, signal, reportFacts }) => (runner = agent.operationRunner({
        stateDir, server: values.server!, credential, nodeId, signal, transport, freshTransport, units, reportFacts, activation,
        ...(checkUnit === undefined ? {} : { onOutcome: checkUnit }),
        contract: async () => (await contract.get()).summary, log,
      })),
      log, addSecret: (secret) => logging.addSecret(secret), signal: stop.signal,
    });
    log("info", "agent stopped", { reason: restart ? "restart" : exit });
    return restart ? 75 : 0;
  } catch (err) {
    if (err instanceof agent.AgentFatalError || err instanceof agent.StateDirError) {
      log("error", err.message);
      return 2;
    }
    throw err;
  } finally {
    unhook();
  }
}
