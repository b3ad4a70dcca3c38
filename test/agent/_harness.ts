/**
 * For agent integration tests: a real server (createApp + listen over a
 * SQLite file or a PostgreSQL URL, short heartbeats, the drain/decommission
 * loop ticking fast; with a fleet cache and the rollout loop for rollouts) that can be stopped and started again on the same port
 * and database, an admin API client, and a helper that waits for a condition
 * while printing what it last saw when it gives up.
 */
import { openDatabase, type Repository } from "../../src/db/index.js";
import { DEFAULT_LEASE, type LeaseConfig } from "../../src/fleet/node.js";
import { ApiClient } from "../../src/server/api-client.js";
import type { FleetCache } from "../../src/server/context.js";
import { createApp, issueOperatorToken, startReconciler, startRolloutLoop, type Reconciler } from "../../src/server/index.js";
import { listen, type RunningServer } from "../../src/server/listen.js";

export const FAST_LEASE: LeaseConfig = { ...DEFAULT_LEASE, heartbeatSeconds: 1, leaseSeconds: 4 };

/** Every contract group: the site accepts them all, so any machine passes the admission gate. */
export const IGNORE_ALL_CHECKS = ["kvm", "kernel", "cgroup", "network", "storage", "services", "hygiene", "nix"];

export interface AgentTestServerOptions {
  lease?: LeaseConfig;
  /** The scheduler's eviction hook for drains (none: drains wait for workloads to leave by themselves). */
  evictionHook?: string;
  /** The fleet's binary cache and trusted keys (releases are checked against it, operations point agents at it). */
  cache?: FleetCache;
  /** Run the rollout loop, ticking every `intervalMs` (default 1000, as `hostplane server`); absent: no loop. */
  rolloutLoop?: { intervalMs?: number };
}

export class AgentTestServer {
  private repo: Repository | undefined;
  private running: RunningServer | undefined;
  private reconciler: Reconciler | undefined;
  private rollouts: Reconciler | undefined;
  private shutdown = new AbortController();
  private readonly lease: LeaseConfig;
  admin = "";
  port = 0;

  /** `database`: a SQLite file path, or a `postgres://` URL. */
  /** The fleet cache the next start() uses (change it between stop() and start() to rotate keys). */
  cache: FleetCache | undefined;

  /** `database`: a SQLite file path, or a `postgres://` URL. */
  constructor(private readonly database: string, private readonly host: string, private readonly options: AgentTestServerOptions | LeaseConfig = {}) {
    this.lease = "leaseSeconds" in options ? options : options.lease ?? FAST_LEASE;
    this.cache = "leaseSeconds" in options ? undefined : options.cache;
  }

  async start(): Promise<void> {
    this.repo = await openDatabase(this.database.startsWith("postgres://") ? this.database : `sqlite:${this.database}`, { migrate: true });
    if (this.admin === "") this.admin = (await issueOperatorToken(this.repo, { name: "test-admin", role: "admin", expiresAt: null }, { actor: "local:test", at: new Date().toISOString() })).token;
    this.shutdown = new AbortController();
    const app = createApp({ repo: this.repo, config: { lease: this.lease }, shutdown: this.shutdown.signal, ...(this.cache ? { cache: this.cache } : {}) });
    const o = "leaseSeconds" in this.options ? {} : this.options;
    this.reconciler = startReconciler(app, { intervalMs: 200, backoffMs: 300, maxBackoffMs: 2000, ...(o.evictionHook === undefined ? {} : { evictionHook: o.evictionHook }) });
    if (o.rolloutLoop) this.rollouts = startRolloutLoop(app, o.rolloutLoop);
    this.running = await listen(app, { host: this.host, port: this.port });
    this.port = this.running.port;
  }

  /** Like a killed server: the loop stops, pending long-polls end, every connection is cut at once, the database is closed. */
  async stop(): Promise<void> {
    await Promise.all([this.reconciler?.stop(), this.rollouts?.stop()]);
    this.shutdown.abort();
    await this.running?.close(0);
    await this.repo?.close();
    this.reconciler = undefined;
    this.rollouts = undefined;
    this.running = undefined;
    this.repo = undefined;
  }

  url(): string {
    return this.running?.url ?? "";
  }

  client(url = this.url()): ApiClient {
    return new ApiClient({ server: url, token: this.admin, timeoutMs: 5000 });
  }
}

/** Polls `probe` until it answers something truthy; on timeout the error names `what` and the last value seen. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Parsed JSON log lines of an agent's output (stdout and stderr together). */
export function logLines(text: string): { time: string; level: string; msg: string; [k: string]: unknown }[] {
  return text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { time: string; level: string; msg: string });
}
