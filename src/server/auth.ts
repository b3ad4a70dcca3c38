/**
 * Authentication and authorization, as route middleware. Every failure gets
 * the same 401 (the client learns nothing about which part was wrong), takes a
 * token from the caller's failure bucket, and is logged with the credential's
 * kind and public id only — never the presented secret.
 */
import type { MiddlewareHandler } from "hono";
import type { OperatorRole } from "../db/index.js";
import type { CredentialKind } from "./credentials.js";
import { parseCredential, secretMatches } from "./credentials.js";
import { actorOf, type AppEnv, type Deps, type Principal } from "./context.js";
import { ApiError, unauthenticated } from "./problem.js";

/** Who may call a route: operators from a role up, the node named in the path, bootstrap tokens. */
export interface Access {
  operator?: OperatorRole;
  /** A node credential, for the node whose id or name is the `id` path parameter. */
  nodeSelf?: boolean;
  bootstrap?: boolean;
}

const RANK: Record<OperatorRole, number> = { viewer: 0, operator: 1, admin: 2 };

type Failure = { kind: CredentialKind | "malformed"; id: string | null; reason: string };

async function verify(deps: Deps, token: string): Promise<{ ok: true; principal: Principal } | ({ ok: false } & Failure)> {
  const parsed = parseCredential(token);
  if (parsed === null) return { ok: false, kind: "malformed", id: null, reason: "malformed" };
  const { kind, id, secret } = parsed;
  const now = deps.clock.now();
  const fail = (reason: string) => ({ ok: false as const, kind, id, reason });
  switch (kind) {
    case "op": {
      const t = await deps.repo.getOperatorToken(id);
      if (!secretMatches(secret, t?.secretHash ?? null) || !t) return fail("unknown-or-wrong-secret");
      if (t.revokedAt !== null) return fail("revoked");
      if (t.expiresAt !== null && Date.parse(t.expiresAt) <= now) return fail("expired");
      return { ok: true, principal: { kind: "operator", tokenId: t.id, name: t.name, role: t.role } };
    }
    case "node": {
      // One lookup, facts left out: this runs for every heartbeat (1,000/s at 10,000 nodes).
      const found = await deps.repo.getNodeCredentialWithNode(id);
      if (!secretMatches(secret, found?.credential.secretHash ?? null) || !found) return fail("unknown-or-wrong-secret");
      if (found.credential.revokedAt !== null) return fail("revoked");
      if (found.node.state === "Decommissioned") return fail("node-decommissioned");
      return { ok: true, principal: { kind: "node", credentialId: found.credential.id, node: found.node } };
    }
    case "boot": {
      const t = await deps.repo.getBootstrapToken(id);
      if (!secretMatches(secret, t?.secretHash ?? null) || !t) return fail("unknown-or-wrong-secret");
      if (Date.parse(t.expiresAt) <= now) return fail("expired");
      if (t.usesLeft <= 0) return fail("used-up");
      return { ok: true, principal: { kind: "bootstrap", token: t } };
    }
  }
}

function allowedDescription(access: Access): string {
  const who: string[] = [];
  if (access.operator) who.push(`an operator token with role ${access.operator} or higher`);
  if (access.nodeSelf) who.push("the node's own credential");
  if (access.bootstrap) who.push("a bootstrap token");
  return who.join(" or ");
}

function authorize(p: Principal, access: Access, pathNode: string | undefined): void {
  const needs = allowedDescription(access);
  switch (p.kind) {
    case "operator":
      if (access.operator === undefined) throw new ApiError(403, "forbidden", `this endpoint needs ${needs}`);
      if (RANK[p.role] < RANK[access.operator]) throw new ApiError(403, "forbidden", `this endpoint needs ${needs}; token ${p.name} has role ${p.role}`);
      return;
    case "node":
      if (!access.nodeSelf) throw new ApiError(403, "forbidden", `this endpoint needs ${needs}`);
      // Decided on the path alone, before any lookup: a node learns nothing about other nodes, not even whether they exist.
      if (pathNode !== p.node.id && pathNode !== p.node.name) throw new ApiError(403, "forbidden", `node ${p.node.name} may act only on itself`);
      return;
    case "bootstrap":
      if (!access.bootstrap) throw new ApiError(403, "forbidden", `this endpoint needs ${needs}`);
      return;
  }
}

/** Route middleware: authenticate the bearer token, then check it may call this route. */
export function requireAuth(deps: Deps, access: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ip = c.env?.remoteAddress ?? "unknown";
    const header = c.req.header("authorization");
    if (header === undefined || header === "") throw unauthenticated();
    const wait = deps.limiter.retryAfter(ip);
    if (wait > 0) {
      deps.metrics.authFailures.inc({ kind: "any", reason: "rate_limited" });
      deps.log({ level: "warn", msg: "authentication refused: too many failures", ip, retryAfterSeconds: wait });
      throw new ApiError(429, "too-many-auth-failures", `too many failed authentication attempts from this address; retry in ${wait} s`, {
        headers: { "retry-after": String(wait) },
      });
    }
    const match = /^Bearer +(\S+) *$/i.exec(header);
    const result = match ? await verify(deps, match[1]!) : { ok: false as const, kind: "malformed" as const, id: null, reason: "malformed" };
    if (!result.ok) {
      deps.limiter.fail(ip);
      deps.metrics.authFailures.inc({ kind: result.kind, reason: result.reason });
      deps.log({ level: "warn", msg: "authentication failed", kind: result.kind, credentialId: result.id, reason: result.reason, ip });
      throw unauthenticated();
    }
    authorize(result.principal, access, c.req.param("id"));
    c.set("principal", result.principal);
    c.set("actor", actorOf(result.principal));
    await next();
  };
}
