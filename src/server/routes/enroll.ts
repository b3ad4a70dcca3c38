/**
 * POST /v1/enroll: a host presents a bootstrap token and gets its own node
 * credential. One use of the token, the node, its credential and the audit
 * entry are written in one transaction: a taken name or a token used up by a
 * concurrent enrollment leaves nothing behind. The agent may propose its own
 * credential (saved on its disk before the request, so a lost answer costs
 * nothing: see src/agent/enroll.ts); the server keeps only its hash, as for
 * the credentials it makes, and refuses an id already in use.
 */
import { randomBytes } from "node:crypto";
import { createRoute } from "@hono/zod-openapi";
import { AlreadyExistsError } from "../../db/index.js";
import { factsHash } from "../../fleet/facts-hash.js";
import type { NodeFacts } from "../../fleet/node.js";
import { requireAuth } from "../auth.js";
import { nowIso, type App, type Deps } from "../context.js";
import { newCredential, proposedNodeCredential } from "../credentials.js";
import { ApiError, unauthenticated } from "../problem.js";
import { EnrollRequestSchema, EnrollResponseSchema } from "../schemas.js";
import { AUTH_PROBLEMS, BEARER, jsonAnswer, jsonBody, problems } from "./_openapi.js";

/** Node ids carry an `_`, which names may not: an id and a name never look alike. */
function newNodeId(): string {
  return `n_${randomBytes(8).toString("hex")}`;
}

export function registerEnrollRoute(app: App, deps: Deps): void {
  const route = createRoute({
    method: "post", path: "/v1/enroll", tags: ["agent"], security: BEARER,
    summary: "Enroll a host with a bootstrap token; answers the node's own credential (shown once)",
    middleware: [requireAuth(deps, { bootstrap: true })] as const,
    request: { body: jsonBody(EnrollRequestSchema) },
    responses: {
      201: jsonAnswer(EnrollResponseSchema, "Enrolled: the node is Registered until its host contract passes"),
      ...problems(400, ...AUTH_PROBLEMS, 409, 413, 415),
    },
  });

  app.openapi(route, async (c) => {
    const p = c.get("principal");
    if (p.kind !== "bootstrap") throw unauthenticated();
    const body = c.req.valid("json");
    if (body.role !== undefined && body.role !== p.token.role) {
      throw new ApiError(403, "forbidden", `this bootstrap token enrolls ${p.token.role} nodes, not ${body.role}; ask for a token with --role ${body.role}`);
    }
    const nameTaken = (state?: string) => new ApiError(409, "name-taken", state === "Decommissioned"
      ? `a decommissioned node named ${body.name} keeps its name; enroll this host under another name`
      : `a node named ${body.name} is already enrolled${state === undefined ? "" : ` (${state})`}; decommission it first or choose another name`);
    const credentialTaken = (credId: string) => new ApiError(409, "already-exists", `a node credential with id ${credId} already exists; make a new credential (remove the agent's pending-enrollment.json) and enroll again`);
    const existing = await deps.repo.getNodeByName(body.name);
    if (existing) throw nameTaken(existing.state);
    const at = nowIso(deps);
    const id = newNodeId();
    // The schema checked the shape; null here would mean the two patterns disagree.
    const cred = body.credential === undefined ? newCredential("node") : proposedNodeCredential(body.credential);
    if (cred === null) throw new ApiError(400, "invalid-request", "credential is not a node credential (hp_node_<16 hex>_<43 base64url>)");
    if (body.credential !== undefined && await deps.repo.getNodeCredential(cred.id)) throw credentialTaken(cred.id);
    const actor = c.get("actor") ?? `bootstrap:${p.token.id}`;
    let node;
    try {
      node = await deps.repo.transaction(async (tx) => {
        const token = await tx.consumeBootstrapToken(p.token.id, at);
        if (token === null) return null;
        const created = await tx.createNode({ id, name: body.name, role: token.role, labels: token.labels, enrolledAt: at });
        await tx.createNodeCredential({ id: cred.id, nodeId: id, secretHash: cred.secretHash, createdAt: at });
        if (body.facts !== undefined) {
          const facts = body.facts as NodeFacts;
          await tx.recordHeartbeat(id, { at, facts, factsHash: factsHash(facts), contract: null });
          if (facts.currentSystem) await tx.setDesiredSystem(id, facts.currentSystem, at, { onlyIfUnset: true });
        }
        await tx.appendAudit({
          at, actor, action: "node.enroll", target: `node:${body.name}`,
          before: null, after: { id, name: body.name, state: created.state, role: created.role, labels: created.labels },
        });
        return created;
      });
    } catch (err) {
      if (err instanceof AlreadyExistsError) {
        // A concurrent enrollment took the name or (a proposed) credential id between the checks above and the insert.
        if (body.credential !== undefined && await deps.repo.getNodeCredential(cred.id)) throw credentialTaken(cred.id);
        throw nameTaken();
      }
      throw err;
    }
    // Used up or expired between authentication and now: the same answer as any other bad token.
    if (node === null) throw unauthenticated();
    deps.notifier.changed(id);
    deps.log({ level: "info", msg: "node enrolled", node: body.name, nodeId: id, actor, proposedCredential: body.credential !== undefined });
    return c.json({
      node: { id, name: node.name, state: node.state },
      credential: cred.token,
      heartbeatSeconds: deps.config.lease.heartbeatSeconds,
      leaseSeconds: deps.config.lease.leaseSeconds,
    }, 201);
  });
}
