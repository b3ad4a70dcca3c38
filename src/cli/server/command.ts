/** `hostplane server`: the control plane — open and migrate the database, serve the API until SIGTERM or SIGINT. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
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
  const { createApp, jsonLineLogger, startReconciler } = await import("../../server/index.js");
  const { listen } = await import("../../server/listen.js");
  const logger = jsonLineLogger((line) => io.stdout(line));
  const log = (level: "info" | "warn", msg: string, fields: Record<string, unknown> = {}) => logger({ time: new Date(io.now()).toISOString(), level, msg, ...fields });

  const repo = await openRepository(values.database);
  const shutdown = new AbortController();
  let notifier: NodeNotifier | undefined;
  let stopping = (): Promise<void> => Promise.resolve();
  try {
    notifier = await crossServerNotifier(values.database, (r) => logger({ time: new Date(io.now()).toISOString(), ...r }));
    const app = createApp({ repo, logger, shutdown: shutdown.signal, ...(notifier ? { notifier } : {}) });
    const reconciler = startReconciler(app, hook === undefined ? {} : { evictionHook: hook });
    // The pass under way ends before the database closes (the finally below waits for it).
    stopping = () => reconciler.stop();
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
