/** `hostplane server`: the control plane — open and migrate the database, serve the API until SIGTERM or SIGINT. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { revokedKeys, trustedKeys } from "../../cache/trust-policy.js";
import { UsageError } from "../errors.js";
import { loadPolicy } from "../cache/policy-file.js";
import type { FleetCache } from "../../server/context.js";
import type { LogRecord } from "../../server/logger.js";
import type { NodeNotifier } from "../../server/notifier.js";
import type { CliIo } from "../io.js";
import { DEFAULT_DATABASE, openRepository } from "./remote.js";

export const SERVER_HELP = `Usage: hostplane server [options]

Run the control plane: the /v1 HTTP API (enrollment, heartbeats, desired
state, the node lifecycle, tokens, audit log), Prometheus metrics at /metrics
and health at /v1/health. Logs are JSON lines on stdout (journald keeps them).
The API is described at /v1/openapi.json.

Options:
  --listen HOST:PORT  address to listen on (default [::]:8443)
  --database URL      sqlite:PATH or postgres://… (default ${DEFAULT_DATABASE});
                      the schema is migrated on start
  --tls-cert FILE     PEM certificate chain: serve HTTPS (with --tls-key)
  --tls-key FILE      PEM private key
  --eviction-hook URL the scheduler's eviction endpoint: drains POST {node, nodeId,
                      workload} there for each workload (200 done, 429 later, else error)
  --cache URL         the fleet's binary cache (file:// or http(s)://): releases are
                      checked against it, agents fetch closures from it
  --trust-policy FILE the trust policy whose keys (minus revoked ones) must sign every
                      path of a release (see hostplane cache audit)
  --trusted-key KEY   instead of a policy: a trusted public key NAME:BASE64 (repeatable)
  -h, --help          show this help

SIGTERM or SIGINT stops it gracefully: no new connections, long-polls answer
at once, in-flight requests finish (at most 10 s), the database is closed.
The first admin token: hostplane token create --name NAME --role admin --database URL
Exit codes: 0 stopped by a signal, 2 usage or configuration error, 3 cannot listen or open the database.
`;

/** `[::]:8443`, `0.0.0.0:8443`, `localhost:0`, `:8443` → host and port. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65_535) throw new UsageError(`--listen ${JSON.stringify(text)}: expected HOST:PORT, e.g. [::]:8443, 0.0.0.0:8443 or 127.0.0.1:8080`);
  const host = m[1] ?? m[2] ?? "";
  return { host: host === "" ? "::" : host, port };
}

function readPem(io: CliIo, file: string, flag: string): Buffer {
  try {
    return readFileSync(resolve(io.cwd, file));
  } catch (err) {
    throw new UsageError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** Resolves with the first of SIGTERM / SIGINT. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const on = (sig: NodeJS.Signals) => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      done(sig);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

export async function serverCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: {
      listen: { type: "string", default: "[::]:8443" },
      database: { type: "string", default: DEFAULT_DATABASE },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "eviction-hook": { type: "string" },
      cache: { type: "string" },
      "trust-policy": { type: "string" },
      "trusted-key": { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) { io.stdout(SERVER_HELP); return 0; }
  if (positionals.length > 0) throw new UsageError(`server takes no arguments (got ${positionals.join(" ")})`);
  const { host, port } = parseListen(values.listen);
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
  const tls = values["tls-cert"] !== undefined && values["tls-key"] !== undefined
    ? { cert: readPem(io, values["tls-cert"], "--tls-cert"), key: readPem(io, values["tls-key"], "--tls-key") }
    : undefined;

  const hook = values["eviction-hook"];
  if (hook !== undefined && !/^https?:\/\/\S+$/.test(hook)) throw new UsageError(`--eviction-hook ${hook}: expected an http:// or https:// URL`);
  const cache = fleetCache(io, values.cache, values["trust-policy"], values["trusted-key"]);
  const { createApp, jsonLineLogger, startReconciler, startRolloutLoop } = await import("../../server/index.js");
  const { listen } = await import("../../server/listen.js");
  const logger = jsonLineLogger((line) => io.stdout(line));
  const log = (level: "info" | "warn", msg: string, fields: Record<string, unknown> = {}) => logger({ time: new Date(io.now()).toISOString(), level, msg, ...fields });

  const repo = await openRepository(values.database);
  const shutdown = new AbortController();
  let notifier: NodeNotifier | undefined;
  let stopping = (): Promise<void> => Promise.resolve();
  try {
    notifier = await crossServerNotifier(values.database, (r) => logger({ time: new Date(io.now()).toISOString(), ...r }));
    const app = createApp({ repo, logger, shutdown: shutdown.signal, ...(notifier ? { notifier } : {}), ...(cache ? { cache } : {}) });
    const reconciler = startReconciler(app, hook === undefined ? {} : { evictionHook: hook });
    const rollouts = startRolloutLoop(app);
    // The passes under way end before the database closes (the finally below waits for them).
    stopping = async () => { await Promise.all([reconciler.stop(), rollouts.stop()]); };
    const server = await listen(app, { host, port, ...(tls ? { tls } : {}) });
    log("info", "listening", { url: server.url, tls: tls !== undefined, version: io.version });
    const sig = await stopSignal();
    log("info", "shutting down", { signal: sig });
    shutdown.abort();
    await server.close();
    log("info", "stopped");
    return 0;
  } finally {
    shutdown.abort();
    await stopping();
    await notifier?.close();
    await repo.close();
  }
}

const PUBLIC_KEY = /^[A-Za-z0-9._-]+:[A-Za-z0-9+/]{43}=$/;

/** --cache with its trusted keys (from the trust policy, or --trusted-key), or undefined without --cache. */
function fleetCache(io: CliIo, url: string | undefined, policyFile: string | undefined, keys: string[] | undefined): FleetCache | undefined {
  if (url === undefined) {
    if (policyFile !== undefined || keys !== undefined) throw new UsageError("--trust-policy and --trusted-key go with --cache URL");
    return undefined;
  }
  if (!/^(file|https?):\/\/\S+$/.test(url)) throw new UsageError(`--cache ${url}: expected a file://, http:// or https:// URL`);
  if ((policyFile === undefined) === (keys === undefined)) throw new UsageError("--cache needs the keys its closures must be signed by: --trust-policy FILE or --trusted-key KEY (not both)");
  if (keys !== undefined) {
    const bad = keys.find((k) => !PUBLIC_KEY.test(k));
    if (bad !== undefined) throw new UsageError(`--trusted-key ${bad}: expected a Nix public key NAME:BASE64 (e.g. fleet-2:if+6wDOrn4aTGP6Gx7CCD4BH7PQKffJ6/wFt2LdLolU=)`);
    return { url, publicKeys: keys, revoked: [] };
  }
  const { policy } = loadPolicy(io.cwd, policyFile);
  return { url, publicKeys: trustedKeys(policy), revoked: revokedKeys(policy).map((k) => ({ name: k.name, publicKey: k.publicKey })) };
}

/**
 * On PostgreSQL, long-polls must also wake when another server changes a node:
 * a notifier over LISTEN/NOTIFY, logging through the server's logger. SQLite
 * means one server, for which the app's in-process notifier suffices.
 */
async function crossServerNotifier(database: string, log: (record: LogRecord) => void): Promise<NodeNotifier | undefined> {
  if (!/^postgres(?:ql)?:\/\//.test(database)) return undefined;
  const { PgNodeNotifier } = await import("../../server/notifier-pg.js");
  return PgNodeNotifier.open({ url: database, log });
}
