/**
 * The hostplane server as a fetch handler: `createApp(…)` returns a Hono app
 * that tests call in-process (`app.request()`) and listen.ts puts on a socket.
 * Every answer is logged as one line and counted; every error, wherever
 * thrown, leaves through one handler as problem+json.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Repository } from "../db/index.js";
import { DEFAULT_SERVER_CONFIG, type AppEnv, type App, type Clock, type Deps, type FleetCache, type ServerConfig } from "./context.js";
import { payloadTooLarge, toApiError, validationError } from "./errors.js";
import type { Logger, LogLevel, LogRecord } from "./logger.js";
import { createMetrics } from "./metrics.js";
import { registerDeps } from "./reconcile.js";
import { NodeNotifier } from "./notifier.js";
import { ApiError, problemResponse } from "./problem.js";
import { FailureLimiter } from "./rate-limit.js";
import { registerAgentRoutes } from "./routes/agent.js";
import { registerDriftRoute } from "./routes/drift.js";
import { registerEnrollRoute } from "./routes/enroll.js";
import { registerNodeRoutes } from "./routes/nodes.js";
import { registerOperationRoutes } from "./routes/operations.js";
import { registerReleaseRoutes } from "./routes/releases.js";
import { registerRolloutRoutes } from "./routes/rollouts.js";
import { registerSystemRoutes } from "./routes/system.js";
import { registerAdminRoutes } from "./routes/tokens.js";

export interface AppOptions {
  repo: Repository;
  clock?: Clock;
  config?: Partial<ServerConfig>;
  logger?: Logger;
  /** Aborted when the server shuts down: pending long-polls answer at once. */
  shutdown?: AbortSignal;
  /**
   * Wakes long-polls (default: this process's only). Several servers on one
   * PostgreSQL pass a PgNodeNotifier; the app releases its waiters on
   * `shutdown`, the caller awaits its `close()`.
   */
  notifier?: NodeNotifier;
  /** The fleet's binary cache and trusted keys: releases are checked against it, operations tell agents to fetch from it. */
  cache?: FleetCache;
}

export const API_INFO = {
  title: "hostplane control plane API",
  version: "1",
  description: "Node enrollment, heartbeats, desired state and the node lifecycle; releases, rollouts, node operations and drift; operator and bootstrap tokens; audit log. Errors are RFC 9457 problem+json.",
} as const;

const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/** The route a request matched, as a pattern (`/v1/nodes/:id`), or "unmatched": bounded label values for metrics. */
function routeOf(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c).filter((r) => r.path !== "/*" && r.path !== "*");
  return routes.at(-1)?.path ?? "unmatched";
}

/** Routes every node calls on a timer (1,000 heartbeats/s at 10,000 nodes): their successes are logged at debug, everything else at info or above. */
const ROUTINE_ROUTES = new Set(["/v1/nodes/:id/heartbeat", "/v1/nodes/:id/desired"]);

function levelOf(route: string, status: number): LogLevel {
  if (status >= 500) return "error";
  return status < 300 && ROUTINE_ROUTES.has(route) ? "debug" : "info";
}

/**
 * 413 beyond `maxSize`. A declared Content-Length is all the HTTP parser
 * delivers, so it is checked from the header without touching the body
 * (reading `c.req.raw.body`, as hono's bodyLimit does first, builds a web
 * Request and stream: a seventh of a heartbeat's CPU); a streamed body goes
 * through hono's bodyLimit, which counts it.
 */
function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  const tooLarge = (): never => { throw payloadTooLarge(maxSize); };
  const counted = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (Number.parseInt(length, 10) > maxSize) tooLarge();
      return next();
    }
    return counted(c, next);
  };
}

export function createApp(options: AppOptions): App {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const config: ServerConfig = { ...DEFAULT_SERVER_CONFIG, ...options.config };
  const logger = options.logger ?? (() => {});
  const log = (r: LogRecord) => logger({ time: new Date(clock.now()).toISOString(), ...r });
  const notifier = options.notifier ?? new NodeNotifier();
  options.shutdown?.addEventListener("abort", () => void notifier.close(), { once: true });
  const deps: Deps = {
    repo: options.repo, clock, config, log, notifier, fleetCache: options.cache ?? null,
    metrics: createMetrics(options.repo, () => clock.now(), config.lease),
    limiter: new FailureLimiter(config.authFailures, () => clock.now()),
  };

  const app: App = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.target, result.error);
    },
  });

  const observe: MiddlewareHandler<AppEnv> = async (c, next) => {
    const startedAt = performance.now();
    c.set("startedAt", startedAt);
    await next();
    const route = routeOf(c);
    const status = c.res.status;
    const durationMs = Math.round((performance.now() - startedAt) * 100) / 100;
    // On the response's own headers: c.header() after the answer rebuilds it as a web Response, and the socket adapter then streams it (slow path).
    c.res.headers.set("x-content-type-options", "nosniff");
    deps.metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
    deps.metrics.httpDuration.observe({ route }, durationMs / 1000);
    log({ level: levelOf(route, status), msg: "request", method: c.req.method, route, status, durationMs, actor: c.get("actor") ?? null });
  };
  app.use("*", observe);
  app.use("*", limitBody(config.bodyLimitBytes));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http", scheme: "bearer", description: "hp_op_… (operator), hp_node_… (node) or hp_boot_… (bootstrap) token",
  });
  registerDeps(app, deps);
  registerSystemRoutes(app, deps);
  registerEnrollRoute(app, deps);
  registerAgentRoutes(app, deps);
  registerNodeRoutes(app, deps);
  registerOperationRoutes(app, deps);
  registerDriftRoute(app, deps);
  registerReleaseRoutes(app, deps);
  registerRolloutRoutes(app, deps);
  registerAdminRoutes(app, deps);
  // Generated on first request (tens of ms), then served from memory.
  let document: unknown = null;
  app.get("/v1/openapi.json", (c) => c.json(document ??= app.getOpenAPI31Document({ openapi: "3.1.0", info: API_INFO })));

  app.notFound((c) => problemResponse(new ApiError(404, "not-found", `no such endpoint: ${c.req.method} ${c.req.path.slice(0, 200)}; the API is described at /v1/openapi.json`)));
  app.onError((err, c) => problemResponse(toApiError(err, log, { method: c.req.method, path: c.req.path.slice(0, 200) })));
  return app;
}
