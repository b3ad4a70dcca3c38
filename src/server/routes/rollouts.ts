/**
 * Rollouts: start one for a release with a policy, read them with per-wave
 * progress and per-node outcomes (from the planner itself), pause, resume and
 * abort them, and follow their events (a long-poll for `rollout watch`).
 * The rollout loop (rollout-loop.ts) does the rest.
 */
import { wakeRolloutLoop } from "../rollout-loop.js";
import { createRoute } from "@hono/zod-openapi";
import { VersionConflictError, type RolloutState, type StoredRollout } from "../../db/index.js";
import { ACTIVE_ROLLOUT_STATUSES, planRollout } from "../../fleet/rollout-plan.js";
import { RolloutPolicySchema } from "../../fleet/rollout-policy.js";
import { requireAuth } from "../auth.js";
import { nowIso, type App, type Deps } from "../context.js";
import { newId } from "../ids.js";
import { ApiError } from "../problem.js";
import {
  RefParamSchema, RolloutAbortSchema, RolloutDetailSchema, RolloutEventListSchema, RolloutEventsQuerySchema, RolloutListSchema, RolloutStartSchema,
  type RolloutDetail,
} from "../rollout-schemas.js";
import { newRollout, RolloutStartError } from "../rollout-start.js";
import { planInput, rolloutDetail, rolloutSummary } from "../rollout-view.js";
import { AUTH_PROBLEMS, BEARER, jsonAnswer, jsonBody, problems } from "./_openapi.js";
import { findRelease } from "./releases.js";


async function findRollout(deps: Deps, id: string): Promise<StoredRollout> {
  const r = await deps.repo.getRollout(id);
  if (!r) throw new ApiError(404, "not-found", `no rollout ${id}; hostplane rollout list shows them`);
  return r;
}

async function detail(deps: Deps, r: StoredRollout): Promise<RolloutDetail> {
  const [release, nodes, ops] = await Promise.all([deps.repo.getRelease(r.release), deps.repo.listNodeStatuses(), deps.repo.listRolloutOperations(r.id)]);
  // rolloutDetail shows the plan's `observed` outcomes: where nodes are, not where the loop's next tick will put them.
  const plan = planRollout(planInput(r, new Map(nodes.map((n) => [n.name, n])), ops, deps.clock.now(), deps.config.lease));
  return rolloutDetail(r, release ?? { id: r.release, name: r.release }, plan, ops);
}

/** An operator's change of a rollout's state, with compare-and-set (retried once against a fresh read), an event and an audit entry. */
async function change(
  deps: Deps, id: string, actor: string, action: "pause" | "resume" | "abort",
  next: (r: StoredRollout) => { state: RolloutState; detail: string } | string,
): Promise<StoredRollout> {
  for (let attempt = 0; ; attempt++) {
    const r = await findRollout(deps, id);
    const decided = next(r);
    if (typeof decided === "string") throw new ApiError(409, "illegal-transition", decided);
    const at = nowIso(deps);
    try {
      const after = await deps.repo.transaction(async (tx) => {
        const saved = await tx.updateRollout(r.id, r.version, decided.state, at);
        await tx.appendRolloutEvent({ rollout: r.id, at, type: `rollout-${action === "abort" ? "aborting" : action === "pause" ? "paused" : "resumed"}`, node: null, detail: decided.detail, data: { actor } });
        await tx.appendAudit({ at, actor, action: `rollout.${action}`, target: `rollout:${r.id}`, before: { status: r.status, version: r.version }, after: { status: saved.status, version: saved.version, detail: decided.detail } });
        return saved;
      });
      deps.notifier.changed(`rollout:${r.id}`);
      deps.log({ level: "info", msg: "rollout changed", rollout: r.id, action, actor, status: after.status });
      return after;
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
      if (attempt >= 1) throw new ApiError(409, "conflict", `rollout ${id} changed while ${action} was being applied; read it again and retry`, { cause: err });
    }
  }
}

export function registerRolloutRoutes(app: App, deps: Deps): void {
  const viewer = requireAuth(deps, { operator: "viewer" });
  const operator = requireAuth(deps, { operator: "operator" });

  app.openapi(createRoute({
    method: "post", path: "/v1/rollouts", tags: ["rollouts"], security: BEARER, summary: "Start rolling a release out",
    description: "Fixes the rollout's nodes (those the release has a system for), their waves (canaries first) and which are drained first; the rollout loop takes it from there. A node may be in one unfinished rollout at a time (409).",
    middleware: [operator] as const,
    request: { body: jsonBody(RolloutStartSchema) },
    responses: { 201: jsonAnswer(RolloutDetailSchema, "Started"), ...problems(400, ...AUTH_PROBLEMS, 404, 409, 413, 415, 422) },
  }), async (c) => {
    const body = c.req.valid("json");
    const actor = c.get("actor") ?? "unknown";
    const release = await findRelease(deps, body.release);
    const policy = body.policy ?? RolloutPolicySchema.parse({});
    const [nodes, releases, active] = await Promise.all([deps.repo.listNodes(), deps.repo.listReleases(), deps.repo.listRollouts({ statuses: ACTIVE_ROLLOUT_STATUSES })]);
    let fresh;
    try {
      fresh = newRollout({ id: newId("ro"), release, releases, nodes, policy, now: deps.clock.now(), lease: deps.config.lease, createdBy: actor });
    } catch (err) {
      if (err instanceof RolloutStartError) throw new ApiError(422, "invalid-rollout", err.message, { cause: err });
      throw err;
    }
    for (const other of active) {
      const shared = Object.keys(fresh.targets).filter((n) => other.targets[n] !== undefined);
      if (shared.length > 0) throw new ApiError(409, "conflict", `rollout ${other.id} (${other.status}) still has ${shared.slice(0, 5).join(", ")}${shared.length > 5 ? ", …" : ""}: one rollout per node at a time; wait for it to finish or abort it`);
    }
    const nodesTotal = Object.keys(fresh.targets).length;
    const rollout = await deps.repo.transaction(async (tx) => {
      const created = await tx.createRollout(fresh);
      const first = fresh.waves[0] ?? [];
      await tx.appendRolloutEvent({
        rollout: created.id, at: created.createdAt, type: "wave-started", node: null,
        detail: `rollout of release ${release.name} started: ${nodesTotal} nodes in ${fresh.waves.length} waves; wave 0${fresh.canaryWave ? " (canaries)" : ""}: ${first.join(", ")}`,
        data: { wave: 0, release: release.id, actor },
      });
      await tx.appendAudit({ at: created.createdAt, actor, action: "rollout.start", target: `rollout:${created.id}`, before: null, after: { release: release.name, nodes: nodesTotal, waves: fresh.waves.length } });
      return created;
    });
    deps.log({ level: "info", msg: "rollout started", rollout: rollout.id, release: release.name, nodes: nodesTotal, waves: rollout.waves.length, actor });
    wakeRolloutLoop(deps); // the canaries' operations start now, not at the loop's next tick
    return c.json(await detail(deps, rollout), 201);
  });

  app.openapi(createRoute({
    method: "get", path: "/v1/rollouts", tags: ["rollouts"], security: BEARER, summary: "Rollouts, newest first",
    middleware: [viewer] as const,
    responses: { 200: jsonAnswer(RolloutListSchema, "The rollouts"), ...problems(...AUTH_PROBLEMS) },
  }), async (c) => {
    const [rollouts, releases] = await Promise.all([deps.repo.listRollouts({ limit: 1000 }), deps.repo.listReleases()]);
    const byId = new Map(releases.map((r) => [r.id, r]));
    return c.json({ rollouts: rollouts.map((r) => rolloutSummary(r, byId.get(r.release) ?? { id: r.release, name: r.release })) }, 200);
  });

  app.openapi(createRoute({
    method: "get", path: "/v1/rollouts/{id}", tags: ["rollouts"], security: BEARER, summary: "One rollout: per-wave progress and every node's outcome",
    middleware: [viewer] as const,
    request: { params: RefParamSchema },
    responses: { 200: jsonAnswer(RolloutDetailSchema, "The rollout"), ...problems(400, ...AUTH_PROBLEMS, 404) },
  }), async (c) => c.json(await detail(deps, await findRollout(deps, c.req.valid("param").id)), 200));

  for (const action of ["pause", "resume"] as const) {
    app.openapi(createRoute({
      method: "post", path: `/v1/rollouts/{id}/${action}`, tags: ["rollouts"], security: BEARER,
      summary: action === "pause" ? "Pause: no new operations or wave advances (running ones finish and are confirmed)" : "Resume a paused rollout",
      middleware: [operator] as const,
      request: { params: RefParamSchema },
      responses: { 200: jsonAnswer(RolloutDetailSchema, "The rollout after the change"), ...problems(400, ...AUTH_PROBLEMS, 404, 409) },
    }), async (c) => {
      const from = action === "pause" ? "running" : "paused";
      const after = await change(deps, c.req.valid("param").id, c.get("actor") ?? "unknown", action, (r) => r.status !== from
        ? `cannot ${action} rollout ${r.id}: it is ${r.status} (${action} applies to ${from} rollouts)`
        : { state: { ...r, status: action === "pause" ? "paused" : "running" }, detail: `${action}d by ${c.get("actor") ?? "unknown"}` });
      wakeRolloutLoop(deps);
      return c.json(await detail(deps, after), 200);
    });
  }

  app.openapi(createRoute({
    method: "post", path: "/v1/rollouts/{id}/abort", tags: ["rollouts"], security: BEARER,
    summary: "Abort: withdraw upgrades not yet started, refuse pending confirmations, then (unless rollback is false) roll upgraded nodes back",
    middleware: [operator] as const,
    request: { params: RefParamSchema, body: jsonBody(RolloutAbortSchema) },
    responses: { 200: jsonAnswer(RolloutDetailSchema, "The rollout, now aborting"), ...problems(400, ...AUTH_PROBLEMS, 404, 409, 413, 415) },
  }), async (c) => {
    const body = c.req.valid("json");
    const actor = c.get("actor") ?? "unknown";
    const after = await change(deps, c.req.valid("param").id, actor, "abort", (r) => r.status !== "running" && r.status !== "paused"
      ? `cannot abort rollout ${r.id}: it is ${r.status}`
      : {
        state: { ...r, status: "aborting", abortReason: `aborted by ${actor}: ${body.reason}`, policy: { ...r.policy, rollbackOnAbort: body.rollback ?? r.policy.rollbackOnAbort } },
        detail: `aborted by ${actor}: ${body.reason} (${body.rollback ?? r.policy.rollbackOnAbort ? "upgraded nodes are rolled back" : "no rollback"})`,
      });
    wakeRolloutLoop(deps); // withdraw and refuse now
    return c.json(await detail(deps, after), 200);
  });

  app.openapi(createRoute({
    method: "get", path: "/v1/rollouts/{id}/events", tags: ["rollouts"], security: BEARER,
    summary: "The rollout's events after `after`; long-polls up to `wait` seconds when there are none yet",
    middleware: [viewer] as const,
    request: { params: RefParamSchema, query: RolloutEventsQuerySchema },
    responses: { 200: jsonAnswer(RolloutEventListSchema, "Events, oldest first"), ...problems(400, ...AUTH_PROBLEMS, 404) },
  }), async (c) => {
    const { id } = c.req.valid("param");
    const { after = 0, wait = 0 } = c.req.valid("query");
    const deadline = performance.now() + Math.min(wait, deps.config.maxWaitSeconds) * 1000;
    const gone = c.req.raw.signal;
    for (;;) {
      // Listen before reading, so an event committed between the read and the wait still wakes us.
      const stop = new AbortController();
      const woken = deps.notifier.waitForChange(`rollout:${id}`, Math.max(0, deadline - performance.now()), AbortSignal.any([gone, stop.signal]));
      const r = await deps.repo.getRollout(id);
      const events = r === null ? [] : await deps.repo.listRolloutEvents(id, { after, limit: 500 });
      const finished = r !== null && (r.status === "aborted" || r.status === "succeeded");
      if (r === null || events.length > 0 || finished || performance.now() >= deadline || gone.aborted) {
        stop.abort();
        await woken;
        if (r === null) throw new ApiError(404, "not-found", `no rollout ${id}`);
        return c.json({
          events: events.map((e) => ({ seq: e.seq, at: e.at, type: e.type, node: e.node, detail: e.detail, data: e.data })),
          next: events.at(-1)?.seq ?? after, status: r.status,
        }, 200);
      }
      await woken;
    }
  });
}
