/** `GET /v1/drift`: every node's drift (does it run what the control plane last committed on it?) and the counts per status. */
import { createRoute } from "@hono/zod-openapi";
import type { DriftStatus } from "../../fleet/drift.js";
import { requireAuth } from "../auth.js";
import type { App, Deps } from "../context.js";
import { driftFor, fleetDriftInputs } from "../drift-view.js";
import { DriftListSchema } from "../rollout-schemas.js";
import { AUTH_PROBLEMS, BEARER, jsonAnswer, problems } from "./_openapi.js";

export function registerDriftRoute(app: App, deps: Deps): void {
  app.openapi(createRoute({
    method: "get", path: "/v1/drift", tags: ["nodes"], security: BEARER,
    summary: "Drift of every node (InSync, Drifted, RebootRequired, Unknown) with the reason, and counts per status",
    middleware: [requireAuth(deps, { operator: "viewer" })] as const,
    responses: { 200: jsonAnswer(DriftListSchema, "Nodes by name (decommissioned ones left out)"), ...problems(...AUTH_PROBLEMS) },
  }), async (c) => {
    const now = deps.clock.now();
    // Node statuses, not records: no node's facts are parsed (10,000 nodes: kilobytes each).
    const [nodes, inputs] = await Promise.all([deps.repo.listNodeStatuses(), fleetDriftInputs(deps.repo)]);
    const counts: Record<DriftStatus, number> = { InSync: 0, Drifted: 0, RebootRequired: 0, Unknown: 0 };
    const rows = nodes.filter((n) => n.state !== "Decommissioned").sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((n) => {
      const d = driftFor(n, inputs, now, deps.config.lease);
      counts[d.status]++;
      return { id: n.id, name: n.name, ...d, desiredSystem: inputs.systems.get(n.id)?.desiredSystem ?? null, currentSystem: n.systems?.currentSystem ?? null };
    });
    return c.json({ nodes: rows, counts }, 200);
  });
}
