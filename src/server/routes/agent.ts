/**
 * What agents call after enrolling: the heartbeat (with the admission gate)
 * and the desired-state long-poll.
 */
import { createRoute } from "@hono/zod-openapi";
import { factsHash } from "../../fleet/facts-hash.js";
import type { NodeHeader } from "../../db/index.js";
import { isFinishedStatus } from "../../fleet/rollout-plan.js";
import type { ContractSummary, NodeFacts, NodeRecord } from "../../fleet/node.js";
import { requireAuth } from "../auth.js";
import { nowIso, type App, type Deps } from "../context.js";
import { applyAction } from "../lifecycle.js";
import { desiredState } from "../node-view.js";
import { ApiError, unauthenticated } from "../problem.js";
import { operationOffer } from "../rollout-view.js";
import { DesiredQuerySchema, DesiredWithOperationSchema, HeartbeatRequestSchema, HeartbeatResponseSchema, NodeRefParamSchema } from "../schemas.js";
import { AUTH_PROBLEMS, BEARER, jsonAnswer, jsonBody, problems } from "./_openapi.js";
import { findNode } from "./nodes.js";

const ADMISSION = "system:admission";

/**
 * The admission gate: a Registered node whose contract passes becomes Ready.
 * Losing a race to an operator (the node was decommissioned meanwhile) is not
 * the heartbeat's failure: the node simply stays as the operator left it.
 */
async function admit(deps: Deps, node: NodeHeader): Promise<NodeHeader> {
  // The whole record (the audit shows it), read after the heartbeat's write; once per node, so the extra read does not matter.
  const full = await deps.repo.getNode(node.id);
  if (full === null) return node;
  try {
    return await applyAction(deps, full, "admit", { actor: ADMISSION });
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) return (await deps.repo.getNode(node.id)) ?? full;
    throw err;
  }
}

/** Audit (once, on change) a contract that starts or stops failing. */
async function recordContractChange(deps: Deps, node: NodeHeader, contract: ContractSummary | null, at: string): Promise<void> {
  const was = node.contract !== null && !node.contract.ok;
  const is = contract !== null && !contract.ok;
  if (was === is) return;
  await deps.repo.appendAudit({
    at, actor: ADMISSION, action: "node.condition", target: `node:${node.name}`,
    before: { contractFailing: was, failing: node.contract?.failing ?? [] },
    after: { contractFailing: is, failing: contract?.failing ?? [] },
  });
  deps.log({ level: is ? "warn" : "info", msg: is ? "node contract failing" : "node contract passing again", node: node.name, state: node.state, failing: contract?.failing ?? [] });
}

export function registerAgentRoutes(app: App, deps: Deps): void {
  const heartbeat = createRoute({
    method: "post", path: "/v1/nodes/{id}/heartbeat", tags: ["agent"], security: BEARER,
    summary: "Report liveness, the facts hash (facts when it changed) and the contract summary; answers the desired state",
    description: "If `factsHash` differs from the stored one and no `facts` are sent, nothing is recorded and the answer is `needFacts: true`: send the heartbeat again with the facts. A Registered node whose contract passes is admitted (Ready).",
    middleware: [requireAuth(deps, { nodeSelf: true })] as const,
    request: { params: NodeRefParamSchema, body: jsonBody(HeartbeatRequestSchema) },
    responses: { 200: jsonAnswer(HeartbeatResponseSchema, "Recorded (or needFacts)"), ...problems(400, ...AUTH_PROBLEMS, 413, 415) },
  });

  app.openapi(heartbeat, async (c) => {
    const p = c.get("principal");
    if (p.kind !== "node") throw unauthenticated();
    const node = p.node;
    const body = c.req.valid("json");
    const answer = (n: NodeHeader, needFacts: boolean) => c.json({ needFacts, desired: desiredState(n), heartbeatSeconds: deps.config.lease.heartbeatSeconds }, 200);
    let facts: NodeFacts | undefined;
    if (body.facts !== undefined) {
      facts = body.facts;
      const actual = factsHash(facts);
      if (actual !== body.factsHash) {
        throw new ApiError(400, "facts-hash-mismatch", `factsHash ${body.factsHash} is not the hash of the facts sent (${actual}); hash the canonical JSON of exactly the facts object (src/fleet/facts-hash.ts)`);
      }
    } else if (body.factsHash !== node.factsHash) {
      return answer(node, true);
    }
    const at = nowIso(deps);
    const contract = body.contract ?? node.contract;
    await deps.repo.recordHeartbeat(node.id, { at, factsHash: body.factsHash, contract, ...(facts ? { facts } : {}) });
    // Drift needs a desired system: until the control plane commits one, the node's first reported one is adopted.
    if (facts?.currentSystem) await deps.repo.setDesiredSystem(node.id, facts.currentSystem, at, { onlyIfUnset: true });
    await recordContractChange(deps, node, contract, at);
    const current = node.state === "Registered" && contract?.ok === true ? await admit(deps, node) : node;
    deps.metrics.heartbeatDuration.observe((performance.now() - c.get("startedAt")) / 1000);
    return answer(current, false);
  });

  const desired = createRoute({
    method: "get", path: "/v1/nodes/{id}/desired", tags: ["agent"], security: BEARER,
    summary: "The node's desired state; long-polls up to `wait` seconds until its version exceeds `since`",
    description: "Answers at once when the node's version is greater than `since` (or `since` is absent); otherwise when the node changes, or after `wait` seconds with the unchanged state.",
    middleware: [requireAuth(deps, { nodeSelf: true, operator: "viewer" })] as const,
    request: { params: NodeRefParamSchema, query: DesiredQuerySchema },
    responses: { 200: jsonAnswer(DesiredWithOperationSchema, "The desired state, with the operation to apply"), ...problems(400, ...AUTH_PROBLEMS, 404) },
  });

  /** The desired state with the node's unfinished operation, if any (withdrawn ones are finished). */
  const withOperation = async (node: NodeRecord) => {
    const [latest] = await deps.repo.listNodeOperations(node.id, { limit: 1 });
    const open = latest !== undefined && !isFinishedStatus(latest.status) ? latest : null;
    return { ...desiredState(node), operation: open === null ? null : operationOffer(open, deps.fleetCache) };
  };

  app.openapi(desired, async (c) => {
    const { since = -1, wait = 0 } = c.req.valid("query");
    const id = (await findNode(deps, c.req.valid("param").id)).id;
    const deadline = performance.now() + Math.min(wait, deps.config.maxWaitSeconds) * 1000;
    const gone = c.req.raw.signal;
    for (;;) {
      // Listen before reading, so a change landing between the read and the wait still wakes us.
      const stop = new AbortController();
      const woken = deps.notifier.waitForChange(id, Math.max(0, deadline - performance.now()), AbortSignal.any([gone, stop.signal]));
      const node = await deps.repo.getNode(id);
      if (node === null) {
        stop.abort();
        throw new ApiError(404, "not-found", `node ${id} no longer exists`);
      }
      if (node.version > since || performance.now() >= deadline || gone.aborted) {
        stop.abort();
        await woken;
        return c.json(await withOperation(node), 200);
      }
      if ((await woken) !== "changed") return c.json(await withOperation((await deps.repo.getNode(id)) ?? node), 200);
    }
  });
}
