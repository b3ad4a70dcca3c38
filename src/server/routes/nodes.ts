/** Operator endpoints on nodes: list, show, and the lifecycle actions (cordon, uncordon, drain, decommission). */
import { createRoute } from "@hono/zod-openapi";
import type { LifecycleAction, NodeRecord } from "../../fleet/node.js";
import { requireAuth } from "../auth.js";
import type { App, Deps } from "../context.js";
import { driftFor, fleetDriftInputs, nodeDriftInputs, nodeSystems } from "../drift-view.js";
import { applyAction } from "../lifecycle.js";
import { nodeDetail, nodeSummary } from "../node-view.js";
import { ApiError } from "../problem.js";
import { DrainRequestSchema, NodeDetailSchema, NodeListSchema, NodeRefParamSchema, type NodeDetail } from "../schemas.js";
import { AUTH_PROBLEMS, BEARER, jsonAnswer, jsonBody, problems } from "./_openapi.js";

/** A node by id (`n_…`) or name, or 404. */
export async function findNode(deps: Deps, ref: string): Promise<NodeRecord> {
  const node = (await deps.repo.getNode(ref)) ?? (await deps.repo.getNodeByName(ref));
  if (!node) throw new ApiError(404, "not-found", `no node with id or name ${JSON.stringify(ref)}; hostplane node list shows the enrolled nodes`);
  return node;
}

/** The node as NodeDetail, with its drift. */
async function detail(deps: Deps, node: NodeRecord): Promise<NodeDetail> {
  const now = deps.clock.now();
  return nodeDetail(node, now, deps.config.lease, driftFor({ ...node, systems: nodeSystems(node) }, await nodeDriftInputs(deps.repo, node.id), now, deps.config.lease));
}

const ACTIONS: readonly { action: LifecycleAction & ("cordon" | "uncordon" | "drain" | "decommission"); summary: string; hasBody: boolean }[] = [
  { action: "cordon", summary: "Ready → Cordoned: no new work is placed on the node", hasBody: false },
  { action: "uncordon", summary: "Cordoned, Draining or Drained → Ready (a drain in progress is cancelled)", hasBody: false },
  { action: "drain", summary: "Ready or Cordoned → Draining: evict the node's workloads by the deadline", hasBody: true },
  { action: "decommission", summary: "→ Decommissioning: drain (unless drained), then revoke the node's credential", hasBody: true },
];

export function registerNodeRoutes(app: App, deps: Deps): void {
  const viewer = requireAuth(deps, { operator: "viewer" });
  const viewerOrSelf = requireAuth(deps, { operator: "viewer", nodeSelf: true });
  const operator = requireAuth(deps, { operator: "operator" });

  app.openapi(createRoute({
    method: "get", path: "/v1/nodes", tags: ["nodes"], security: BEARER, summary: "All nodes with state, conditions, contract status, generation and heartbeat age",
    middleware: [viewer] as const,
    responses: { 200: jsonAnswer(NodeListSchema, "The nodes, by name"), ...problems(...AUTH_PROBLEMS) },
  }), async (c) => {
    const now = deps.clock.now();
    const [listed, inputs] = await Promise.all([deps.repo.listNodes(), fleetDriftInputs(deps.repo)]);
    const nodes = listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return c.json({ nodes: nodes.map((n) => nodeSummary(n, now, deps.config.lease, driftFor({ ...n, systems: nodeSystems(n) }, inputs, now, deps.config.lease))) }, 200);
  });

  app.openapi(createRoute({
    method: "get", path: "/v1/nodes/{id}", tags: ["nodes"], security: BEARER, summary: "One node's full record (operators, or the node itself)",
    middleware: [viewerOrSelf] as const,
    request: { params: NodeRefParamSchema },
    responses: { 200: jsonAnswer(NodeDetailSchema, "The node"), ...problems(400, ...AUTH_PROBLEMS, 404) },
  }), async (c) => {
    const node = await findNode(deps, c.req.valid("param").id);
    return c.json(await detail(deps, node), 200);
  });

  for (const { action, summary } of ACTIONS.filter((a) => !a.hasBody)) {
    app.openapi(createRoute({
      method: "post", path: `/v1/nodes/{id}/${action}`, tags: ["nodes"], security: BEARER, summary,
      middleware: [operator] as const,
      request: { params: NodeRefParamSchema },
      responses: { 200: jsonAnswer(NodeDetailSchema, "The node after the change"), ...problems(400, ...AUTH_PROBLEMS, 404, 409) },
    }), async (c) => {
      const node = await findNode(deps, c.req.valid("param").id);
      const after = await applyAction(deps, node, action, { actor: c.get("actor") ?? "unknown" });
      return c.json(await detail(deps, after), 200);
    });
  }

  for (const { action, summary } of ACTIONS.filter((a) => a.hasBody)) {
    app.openapi(createRoute({
      method: "post", path: `/v1/nodes/{id}/${action}`, tags: ["nodes"], security: BEARER, summary,
      middleware: [operator] as const,
      request: { params: NodeRefParamSchema, body: jsonBody(DrainRequestSchema, false) },
      responses: { 200: jsonAnswer(NodeDetailSchema, "The node after the change"), ...problems(400, ...AUTH_PROBLEMS, 404, 409, 413, 415) },
    }), async (c) => {
      const node = await findNode(deps, c.req.valid("param").id);
      // Without a body the validator hands over {}: parsing it applies the defaults.
      const drain = DrainRequestSchema.parse(c.req.valid("json"));
      const after = await applyAction(deps, node, action, { actor: c.get("actor") ?? "unknown", drain });
      return c.json(await detail(deps, after), 200);
    });
  }
}
