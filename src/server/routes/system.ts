/** Unauthenticated endpoints for load balancers and Prometheus: health and metrics. */
import { createRoute, z } from "@hono/zod-openapi";
import type { App, Deps } from "../context.js";
import { ApiError } from "../problem.js";
import { HealthSchema } from "../schemas.js";
import { jsonAnswer, problems } from "./_openapi.js";

const health = createRoute({
  method: "get", path: "/v1/health", tags: ["system"],
  summary: "Liveness and database reachability (no authentication)",
  responses: { 200: jsonAnswer(HealthSchema, "The server answers and its database responds"), ...problems(503) },
});

const metrics = createRoute({
  method: "get", path: "/metrics", tags: ["system"],
  summary: "Prometheus metrics (text exposition format, no authentication)",
  responses: { 200: { description: "Metrics", content: { "text/plain": { schema: z.string() } } } },
});

export function registerSystemRoutes(app: App, deps: Deps): void {
  app.openapi(health, async (c) => {
    try {
      await deps.repo.getNode("n_health-probe");
    } catch (err) {
      deps.log({ level: "error", msg: "health check: database does not answer", error: err instanceof Error ? err.message : String(err) });
      throw new ApiError(503, "database-unavailable", "the database does not answer; see the server log", { cause: err });
    }
    return c.json({ status: "ok" as const, database: "ok" as const }, 200);
  });

  app.openapi(metrics, async (c) => {
    const text = await deps.metrics.registry.metrics();
    return c.text(text, 200, { "content-type": deps.metrics.registry.contentType });
  });
}
