/**
 * Long-poll wake-ups across every server sharing one PostgreSQL database, over
 * LISTEN/NOTIFY: `changed(id)` wakes this process's waiters at once and sends
 * `pg_notify('hostplane_node_changed', id)`; each server's listener wakes its
 * own waiters of that node. One dedicated connection (not a pool's) listens and
 * sends; callers call `changed()` after their write committed, so a woken poll
 * on another server reads the new version. When the connection drops, it is
 * reopened with backoff; once back, every local waiter is woken (a notification
 * may have been missed: each poll re-reads, which is harmless) and the ids
 * changed meanwhile are sent. Its own notifications are ignored (their waiters
 * were woken when `changed()` was called). The channel is per database, not
 * per schema: deployments sharing a database wake each other's polls in vain,
 * never wrongly.
 */
import pg from "pg";
import { DatabaseOpenError } from "../db/index.js";
import type { LogRecord } from "./logger.js";
import { NodeNotifier } from "./notifier.js";

const CHANNEL = "hostplane_node_changed";
/** How the listener shows in pg_stat_activity. */
const LISTENER_APPLICATION = "hostplane-listener";

export interface Backoff {
  /** Ceiling of the first delay, in ms. */
  initialMs: number;
  /** Largest ceiling, in ms. */
  maxMs: number;
}

export interface PgNotifierOptions {
  /** postgres://… — the database the repository uses. Never logged: it may hold a password. */
  url: string;
  log: (record: LogRecord) => void;
  /** Delays between reconnection attempts (default 250 ms doubling up to 10 s). */
  backoff?: Backoff;
  /** How often the idle connection is checked, in ms (default 30 s): a silently dead peer is otherwise noticed only by TCP keep-alive. */
  checkEveryMs?: number;
  /** Connect and query timeout, in ms (default 5000). */
  timeoutMs?: number;
}

/** Delay before reconnection attempt `attempt` (0-based): exponential, capped, with jitter in its upper half so servers do not reconnect in step. */
export function reconnectDelayMs(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `host:port/database` of `url`: enough to tell which database, without the user's password or parameters. */
function databaseOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}${u.port === "" ? "" : `:${u.port}`}${u.pathname}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class PgNodeNotifier extends NodeNotifier {
  private readonly backoff: Backoff;
  private readonly timeoutMs: number;
  private readonly where: string;
  /** The listening connection, null while reconnecting. */
  private client: pg.Client | null = null;
  /** Its backend's pid, to recognise our own notifications. */
  private pid: number | null = null;
  private attempt = 0;
  private retry: NodeJS.Timeout | null = null;
  private readonly check: NodeJS.Timeout;
  private reconnecting: Promise<void> | null = null;
  /** Node ids changed here and not yet sent (sent in batches; kept while disconnected). */
  private readonly outbox = new Set<string>();
  private sending: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  private constructor(private readonly options: PgNotifierOptions) {
    super();
    this.backoff = options.backoff ?? { initialMs: 250, maxMs: 10_000 };
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.where = databaseOf(options.url);
    this.check = setInterval(() => void this.probe(), options.checkEveryMs ?? 30_000);
    this.check.unref();
  }

  /** Connect and LISTEN; a DatabaseOpenError when the first connection fails (later ones are retried). */
  static async open(options: PgNotifierOptions): Promise<PgNodeNotifier> {
    const notifier = new PgNodeNotifier(options);
    try {
      await notifier.connect();
    } catch (error) {
      clearInterval(notifier.check);
      throw new DatabaseOpenError(notifier.where, `Cannot listen for node changes on the PostgreSQL database ${notifier.where}: ${messageOf(error)}`, { cause: error });
    }
    return notifier;
  }

  override changed(nodeId: string): void {
    super.changed(nodeId);
    if (this.closing) return;
    this.outbox.add(nodeId);
    this.flush();
  }

  /** Release every waiter, stop reconnecting and close the connection. */
  override close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.check);
      if (this.retry) clearTimeout(this.retry);
      this.retry = null;
      await super.close();
      await this.sending;
      await this.reconnecting;
      const client = this.client;
      this.client = null;
      await client?.end().catch(() => {});
    })();
    return this.closing;
  }

  /** The listening connection's backend pid (null while reconnecting). */
  backendPid(): number | null {
    return this.client ? this.pid : null;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url, application_name: LISTENER_APPLICATION,
      connectionTimeoutMillis: this.timeoutMs, query_timeout: this.timeoutMs, keepAlive: true,
    });
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, null));
    client.on("notification", (m) => {
      if (m.channel === CHANNEL && m.payload !== undefined && m.processId !== this.pid) this.wake(m.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      this.pid = rows[0]?.pid ?? null;
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    this.client = client;
  }

  /** The connection `client` failed or ended: unless we are closing, reconnect. */
  private lost(client: pg.Client, error: Error | null): void {
    if (client !== this.client) return;
    this.client = null;
    void client.end().catch(() => {});
    if (this.closing) return;
    this.options.log({ level: "warn", msg: "node-change listener lost its database connection; reconnecting", database: this.where, ...(error ? { error: messageOf(error) } : {}) });
    this.schedule();
  }

  private schedule(): void {
    const delay = reconnectDelayMs(this.attempt++, this.backoff);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.reconnecting = this.reconnect().finally(() => { this.reconnecting = null; });
    }, delay);
  }

  private async reconnect(): Promise<void> {
    try {
      await this.connect();
    } catch (error) {
      if (this.closing) return;
      this.options.log({ level: "warn", msg: "node-change listener cannot reconnect; retrying", database: this.where, attempt: this.attempt, error: messageOf(error) });
      this.schedule();
      return;
    }
    if (this.closing) {
      const client = this.client;
      this.client = null;
      await client?.end().catch(() => {});
      return;
    }
    this.options.log({ level: "info", msg: "node-change listener reconnected", database: this.where, attempts: this.attempt });
    this.attempt = 0;
    this.wakeAll();
    this.flush();
  }

  /** Start sending the outbox unless a send is under way (it picks up what is added meanwhile). */
  private flush(): void {
    if (this.sending === null) this.sending = this.send().finally(() => { this.sending = null; });
  }

  /** Send the outbox, in batches, while connected; what cannot be sent waits for the next connection. */
  private async send(): Promise<void> {
    for (let client = this.client; client && this.outbox.size > 0; client = this.client) {
      const ids = [...this.outbox];
      this.outbox.clear();
      try {
        await client.query("SELECT pg_notify($1, id) FROM unnest($2::text[]) AS id", [CHANNEL, ids]);
      } catch (error) {
        if (error instanceof pg.DatabaseError && error.severity === "ERROR") {
          // Refused by a live connection: sending again would fail again. Other servers' polls see the change when they time out.
          this.options.log({ level: "warn", msg: "cannot notify other servers of node changes", database: this.where, nodes: ids.length, error: error.message });
          continue;
        }
        // The connection failed (or timed out): keep the ids for the next one.
        for (const id of ids) this.outbox.add(id);
        this.lost(client, error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
  }

  /** A cheap query on the idle connection: a dead one fails (or times out) and is replaced. */
  private async probe(): Promise<void> {
    const client = this.client;
    if (!client || this.closing) return;
    try {
      await client.query("SELECT 1");
    } catch (error) {
      this.lost(client, error instanceof Error ? error : new Error(String(error)));
    }
  }
}
