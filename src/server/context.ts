/**
 * What every route of the app shares: the injected ports (repository, clock,
 * logger), the settings, and the per-request principal set by authentication.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { BootstrapToken, NodeHeader, OperatorRole, Repository } from "../db/index.js";
import { DEFAULT_LEASE, type LeaseConfig } from "../fleet/node.js";
import type { LogRecord } from "./logger.js";
import type { ServerMetrics } from "./metrics.js";
import type { NodeNotifier } from "./notifier.js";
import type { FailureLimiter, RateLimitConfig } from "./rate-limit.js";

/** Wall-clock time in ms since the epoch; tests pass a fake one. */
export interface Clock {
  now(): number;
}

export interface ServerConfig {
  lease: LeaseConfig;
  /** Largest request body accepted (413 beyond). */
  bodyLimitBytes: number;
  /** Failed authentications allowed per client address. */
  authFailures: RateLimitConfig;
  /** Longest long-poll a client may ask for. */
  maxWaitSeconds: number;
}

export const DEFAULT_SERVER_CONFIG: ServerConfig = {
  lease: DEFAULT_LEASE,
  bodyLimitBytes: 1 << 20,
  authFailures: { burst: 10, perMinute: 10 },
  maxWaitSeconds: 60,
};

/** Who is calling, once authenticated. */
export type Principal =
  | { kind: "operator"; tokenId: string; name: string; role: OperatorRole }
  /** The node as authentication read it, without its facts. */
  | { kind: "node"; credentialId: string; node: NodeHeader }
  | { kind: "bootstrap"; token: BootstrapToken };

export interface AppEnv {
  Bindings: {
    /** The peer's address, set by the socket adapter (listen.ts); absent in-process unless a test passes it. */
    remoteAddress?: string;
  };
  Variables: {
    principal: Principal;
    /** For logs and audit: "operator:<name>", "node:<name>", "bootstrap:<id>". */
    actor: string | undefined;
    /** performance.now() when the request arrived. */
    startedAt: number;
  };
}

export type App = OpenAPIHono<AppEnv>;

/** The fleet's binary cache and the keys its closures must be signed by (hostplane server --cache, --trust-policy or --trusted-key). */
export interface FleetCache {
  url: string;
  /** `<name>:<base64>` public keys a path may be signed by (given to agents with each operation). */
  publicKeys: string[];
  /** Keys whose signatures no longer count. */
  revoked: { name: string; publicKey: string }[];
}

/** The app's collaborators, handed to every route module. */
export interface Deps {
  /** Null: no cache configured, so releases cannot be checked (and are refused). */
  fleetCache: FleetCache | null;
  repo: Repository;
  clock: Clock;
  config: ServerConfig;
  log: (record: LogRecord) => void;
  metrics: ServerMetrics;
  notifier: NodeNotifier;
  limiter: FailureLimiter;
}

export function nowIso(deps: Pick<Deps, "clock">): string {
  return new Date(deps.clock.now()).toISOString();
}

export function actorOf(p: Principal): string {
  switch (p.kind) {
    case "operator": return `operator:${p.name}`;
    case "node": return `node:${p.node.name}`;
    case "bootstrap": return `bootstrap:${p.token.id}`;
  }
}
