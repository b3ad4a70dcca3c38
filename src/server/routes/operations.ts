/**
 * The agent's side of an operation (docs/ops/upgrades-and-rollback.md, "Wire
 * protocol"): step reports, the confirmation long-poll, the operation's
 * status for a recovering agent; and a node's operation history. Reports and
 * confirmations of an old epoch or of a withdrawn operation are 409
 * `stale-operation`: before activation the agent stops, after it rolls back.
 */
import { wakeRolloutLoop } from "../rollout-loop.js";
import { createRoute } from "@hono/zod-openapi";
import { VersionConflictError, type OperationRecord, type OperationUpdate } from "../../db/index.js";
import type { NodeRecord } from "../../fleet/node.js";
import { isFinishedStatus, type OperationStatus } from "../../fleet/rollout-plan.js";
import { requireAuth } from "../auth.js";
import { nowIso, type App, type Deps } from "../context.js";
import { ApiError } from "../problem.js";
import {
  ConfirmAnswerSchema, ConfirmQuerySchema, ConfirmRequestSchema, NodeOperationsQuerySchema, OperationEventAnswerSchema, OperationEventRequestSchema,
  OperationListSchema, OperationParamSchema, OperationSchema,
} from "../rollout-schemas.js";
import { operationDetail } from "../rollout-view.js";
import { NodeRefParamSchema } from "../schemas.js";
import { AUTH_PROBLEMS, BEARER, jsonAnswer, jsonBody, problems } from "./_openapi.js";
import { findNode } from "./nodes.js";


async function findOperation(deps: Deps, node: NodeRecord, id: string): Promise<OperationRecord> {
  const op = await deps.repo.getOperation(id);
  if (!op || op.nodeId !== node.id) throw new ApiError(404, "not-found", `node ${node.name} has no operation ${id}; GET /v1/nodes/${node.name}/operations lists its operations`);
  return op;
}

/** 409 stale-operation unless `epoch` is the operation's, the operation is the node's newest and it was not withdrawn. */
async function refuseStale(deps: Deps, op: OperationRecord, epoch: number): Promise<void> {
  const newest = (await deps.repo.getNodeSystem(op.nodeId))?.operationEpoch ?? op.epoch;
  const why = op.withdrawn ? `operation ${op.id} was withdrawn (${op.decisionReason ?? "its rollout no longer wants it"})`
    : epoch !== op.epoch ? `epoch ${epoch} is not operation ${op.id}'s (${op.epoch})`
    : newest > op.epoch ? `node ${op.node} has a newer operation (epoch ${newest}) than ${op.id} (epoch ${op.epoch})` : null;
  if (why !== null) throw new ApiError(409, "stale-operation", `${why}; do not act on it (before activation stop, after it roll back)`);
}

/** Where a reported step takes the operation. */
function statusAfter(op: OperationRecord, step: string, ok: boolean): OperationStatus {
  if (isFinishedStatus(op.status)) return op.status;
  if (step === "committed" && ok) return "succeeded";
  if (step === "rolled-back") return "rolled-back";
  if (step === "failed") return "failed";
  return op.status === "pending" ? "running" : op.status;
}

export function registerOperationRoutes(app: App, deps: Deps): void {
  const self = requireAuth(deps, { nodeSelf: true });
  const selfOrViewer = requireAuth(deps, { nodeSelf: true, operator: "viewer" });

  app.openapi(createRoute({
    method: "post", path: "/v1/nodes/{id}/operations/{op}/events", tags: ["agent"], security: BEARER,
    summary: "The agent reports a step of an operation",
    description: "The first report moves the operation to running; `committed` to succeeded (and records the target as the node's desired system), `rolled-back` and `failed` to those. A report already recorded (same step, ok and `at`: an agent re-reporting after a restart or a retry) is answered with its seq and not recorded again. 409 stale-operation for an old epoch or a withdrawn operation.",
    middleware: [self] as const,
    request: { params: OperationParamSchema, body: jsonBody(OperationEventRequestSchema) },
    responses: { 200: jsonAnswer(OperationEventAnswerSchema, "Recorded"), ...problems(400, ...AUTH_PROBLEMS, 404, 409, 413, 415) },
  }), async (c) => {
    const { id, op: opId } = c.req.valid("param");
    const body = c.req.valid("json");
    const node = await findNode(deps, id);
    for (let attempt = 0; ; attempt++) {
      const op = await findOperation(deps, node, opId);
      await refuseStale(deps, op, body.epoch);
      // The same report again (an agent restarted re-reports its last outcome; a retry whose answer was lost): recorded once.
      const same = (await deps.repo.listOperationEvents([op.id])).find((e) => e.step === body.step && e.ok === body.ok && Date.parse(e.at) === Date.parse(body.at));
      if (same) return c.json({ operation: op.id, seq: same.seq, status: op.status }, 200);
      const status = statusAfter(op, body.step, body.ok);
      const ends = status !== op.status && isFinishedStatus(status);
      const update: OperationUpdate = status === op.status ? {} : { status, ...(status === "failed" ? { error: body.detail ?? `failed at step ${body.step}` } : {}) };
      const at = nowIso(deps);
      try {
        const seq = await deps.repo.transaction(async (tx) => {
          // Always bumps the version: concurrent reports of one operation are serialised by it.
          await tx.updateOperation(op.id, op.version, update, at);
          const event = await tx.appendOperationEvent({ operation: op.id, step: body.step, ok: body.ok, at: body.at, receivedAt: at, detail: body.detail ?? null, data: body.data ?? null });
          if (status === "succeeded") await tx.setDesiredSystem(node.id, op.target, at);
          if (ends) {
            const what = status === "succeeded" ? (op.kind === "upgrade" ? "node-done" : "node-rolled-back") : "node-failed";
            const detail = status === "succeeded" ? `${op.kind} ${op.id} committed: runs ${op.target}` : `${op.kind} ${op.id} ${status}${body.detail ? `: ${body.detail}` : ""}`;
            if (op.rollout !== null) await tx.appendRolloutEvent({ rollout: op.rollout, at, type: what, node: node.name, detail, data: { operation: op.id } });
            await tx.appendAudit({ at, actor: c.get("actor") ?? `node:${node.name}`, action: `operation.${status}`, target: `node:${node.name}`, before: { operation: op.id, status: op.status }, after: { operation: op.id, status, detail } });
          }
          return event.seq;
        });
        deps.notifier.changed(`op:${op.id}`);
        // The wave may be complete now: plan at once rather than at the loop's next tick.
        if (ends && op.rollout !== null) wakeRolloutLoop(deps);
        if (ends) {
          deps.metrics.operations.inc({ kind: op.kind, status });
          if (op.rollout !== null) deps.notifier.changed(`rollout:${op.rollout}`);
          deps.log({ level: status === "succeeded" ? "info" : "warn", msg: "operation ended", node: node.name, operation: op.id, kind: op.kind, status });
        }
        return c.json({ operation: op.id, seq, status }, 200);
      } catch (err) {
        if (!(err instanceof VersionConflictError) || attempt >= 2) throw err;
      }
    }
  });

  app.openapi(createRoute({
    method: "post", path: "/v1/nodes/{id}/operations/{op}/confirm", tags: ["agent"], security: BEARER,
    summary: "The agent reports its health after activation and asks whether to commit; waits up to `wait` seconds for the decision",
    description: "Answers confirmed or refused once the rollout loop decided, else pending after `wait` seconds (ask again). Send it over a fresh connection. 409 stale-operation for an old epoch or a withdrawn operation.",
    middleware: [self] as const,
    request: { params: OperationParamSchema, query: ConfirmQuerySchema, body: jsonBody(ConfirmRequestSchema) },
    responses: { 200: jsonAnswer(ConfirmAnswerSchema, "The decision, or pending"), ...problems(400, ...AUTH_PROBLEMS, 404, 409, 413, 415) },
  }), async (c) => {
    const { id, op: opId } = c.req.valid("param");
    const { wait = 0 } = c.req.valid("query");
    const body = c.req.valid("json");
    const node = await findNode(deps, id);
    const decided = (op: OperationRecord) => {
      if (op.decision !== null) return { decision: op.decision, reason: op.decisionReason };
      if (isFinishedStatus(op.status)) return { decision: "refused" as const, reason: op.error ?? `operation ${op.id} is ${op.status}` };
      return null;
    };
    let op = await findOperation(deps, node, opId);
    await refuseStale(deps, op, body.epoch);
    const early = decided(op);
    if (early) return c.json(early, 200);
    if (op.status !== "confirming") {
      try {
        op = await deps.repo.updateOperation(op.id, op.version, { status: "confirming", healthy: body.healthy, checks: body.checks }, nowIso(deps));
        // The decision is the loop's: ask it now, so the agent waits for a plan, not for a tick.
        wakeRolloutLoop(deps);
      } catch (err) {
        // Decided (or reported) meanwhile: the wait below reads it again.
        if (!(err instanceof VersionConflictError)) throw err;
      }
    }
    const deadline = performance.now() + Math.min(wait, deps.config.maxWaitSeconds) * 1000;
    const gone = c.req.raw.signal;
    for (;;) {
      const stop = new AbortController();
      const woken = deps.notifier.waitForChange(`op:${op.id}`, Math.max(0, deadline - performance.now()), AbortSignal.any([gone, stop.signal]));
      const now = await findOperation(deps, node, opId);
      const answer = now.withdrawn ? null : decided(now);
      if (answer || now.withdrawn || performance.now() >= deadline || gone.aborted) {
        stop.abort();
        await woken;
        if (now.withdrawn) await refuseStale(deps, now, body.epoch);
        return c.json(answer ?? { decision: "pending" as const, reason: null }, 200);
      }
      await woken;
    }
  });

  app.openapi(createRoute({
    method: "get", path: "/v1/nodes/{id}/operations/{op}", tags: ["agent"], security: BEARER,
    summary: "One operation with its status, decision and reported steps (for an agent recovering from a crash, or an operator)",
    middleware: [selfOrViewer] as const,
    request: { params: OperationParamSchema },
    responses: { 200: jsonAnswer(OperationSchema, "The operation"), ...problems(400, ...AUTH_PROBLEMS, 404) },
  }), async (c) => {
    const { id, op: opId } = c.req.valid("param");
    const op = await findOperation(deps, await findNode(deps, id), opId);
    return c.json(operationDetail(op, await deps.repo.listOperationEvents([op.id])), 200);
  });

  app.openapi(createRoute({
    method: "get", path: "/v1/nodes/{id}/operations", tags: ["nodes"], security: BEARER,
    summary: "The node's operations with their steps, newest first (paged by epoch)",
    middleware: [selfOrViewer] as const,
    request: { params: NodeRefParamSchema, query: NodeOperationsQuerySchema },
    responses: { 200: jsonAnswer(OperationListSchema, "Operations"), ...problems(400, ...AUTH_PROBLEMS, 404) },
  }), async (c) => {
    const node = await findNode(deps, c.req.valid("param").id);
    const { before, limit = 20 } = c.req.valid("query");
    const found = await deps.repo.listNodeOperations(node.id, { ...(before === undefined ? {} : { beforeEpoch: before }), limit: limit + 1 });
    const page = found.slice(0, limit);
    const events = await deps.repo.listOperationEvents(page.map((o) => o.id));
    return c.json({ operations: page.map((o) => operationDetail(o, events)), next: found.length > limit ? page.at(-1)!.epoch : null }, 200);
  });
}
