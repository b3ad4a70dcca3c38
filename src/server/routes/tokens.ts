/** Admin endpoints: operator tokens (create, list, revoke), bootstrap tokens (create) and the audit log. */
import { createRoute } from "@hono/zod-openapi";
import { requireAuth } from "../auth.js";
import { nowIso, type App, type Deps } from "../context.js";
import { ApiError } from "../problem.js";
import {
  AuditListSchema, AuditQuerySchema, BootstrapCreateSchema, BootstrapCreatedSchema, TokenCreateSchema, TokenCreatedSchema,
  TokenIdParamSchema, TokenInfoSchema, TokenListSchema,
} from "../schemas.js";
import { issueBootstrapToken, issueOperatorToken, revokeOperatorToken, tokenInfo } from "../tokens.js";
import { AUTH_PROBLEMS, BEARER, jsonAnswer, jsonBody, problems } from "./_openapi.js";

export function registerAdminRoutes(app: App, deps: Deps): void {
  const admin = requireAuth(deps, { operator: "admin" });
  const issuer = (actor: string | undefined) => ({ actor: actor ?? "unknown", at: nowIso(deps) });

  app.openapi(createRoute({
    method: "post", path: "/v1/tokens", tags: ["tokens"], security: BEARER, summary: "Create an operator token (the token is in this answer only)",
    middleware: [admin] as const,
    request: { body: jsonBody(TokenCreateSchema) },
    responses: { 201: jsonAnswer(TokenCreatedSchema, "Created"), ...problems(400, ...AUTH_PROBLEMS, 409, 413, 415) },
  }), async (c) => {
    const body = c.req.valid("json");
    const expiresAt = body.expiresInSeconds === undefined ? null : new Date(deps.clock.now() + body.expiresInSeconds * 1000).toISOString();
    const created = await issueOperatorToken(deps.repo, { name: body.name, role: body.role, expiresAt }, issuer(c.get("actor")));
    deps.log({ level: "info", msg: "operator token created", tokenId: created.id, name: created.name, role: created.role, actor: c.get("actor") });
    return c.json(created, 201);
  });

  app.openapi(createRoute({
    method: "get", path: "/v1/tokens", tags: ["tokens"], security: BEARER, summary: "Operator tokens (never their secrets)",
    middleware: [admin] as const,
    responses: { 200: jsonAnswer(TokenListSchema, "The tokens"), ...problems(...AUTH_PROBLEMS) },
  }), async (c) => c.json({ tokens: (await deps.repo.listOperatorTokens()).map(tokenInfo) }, 200));

  app.openapi(createRoute({
    method: "delete", path: "/v1/tokens/{id}", tags: ["tokens"], security: BEARER, summary: "Revoke an operator token",
    middleware: [admin] as const,
    request: { params: TokenIdParamSchema },
    responses: { 200: jsonAnswer(TokenInfoSchema, "Revoked"), ...problems(400, ...AUTH_PROBLEMS, 404) },
  }), async (c) => {
    const { id } = c.req.valid("param");
    if (!(await revokeOperatorToken(deps.repo, id, issuer(c.get("actor"))))) {
      throw new ApiError(404, "not-found", `no active operator token ${id}; hostplane token list shows them`);
    }
    const t = await deps.repo.getOperatorToken(id);
    if (!t) throw new ApiError(404, "not-found", `operator token ${id} vanished`);
    deps.log({ level: "info", msg: "operator token revoked", tokenId: id, actor: c.get("actor") });
    return c.json(tokenInfo(t), 200);
  });

  app.openapi(createRoute({
    method: "post", path: "/v1/bootstrap-tokens", tags: ["tokens"], security: BEARER,
    summary: "Create a bootstrap (enrollment) token: expiring, use-limited; the token is in this answer only",
    middleware: [admin] as const,
    request: { body: jsonBody(BootstrapCreateSchema, false) },
    responses: { 201: jsonAnswer(BootstrapCreatedSchema, "Created"), ...problems(400, ...AUTH_PROBLEMS, 413, 415) },
  }), async (c) => {
    const body = BootstrapCreateSchema.parse(c.req.valid("json"));
    const expiresAt = new Date(deps.clock.now() + body.ttlSeconds * 1000).toISOString();
    const created = await issueBootstrapToken(deps.repo, { expiresAt, uses: body.uses, labels: body.labels, role: body.role }, issuer(c.get("actor")));
    deps.log({ level: "info", msg: "bootstrap token created", tokenId: created.id, uses: created.uses, expiresAt, actor: c.get("actor") });
    return c.json(created, 201);
  });

  app.openapi(createRoute({
    method: "get", path: "/v1/audit", tags: ["audit"], security: BEARER, summary: "Audit log: who did what to which target, with before and after",
    middleware: [admin] as const,
    request: { query: AuditQuerySchema },
    responses: { 200: jsonAnswer(AuditListSchema, "Entries, oldest first"), ...problems(400, ...AUTH_PROBLEMS) },
  }), async (c) => {
    const q = c.req.valid("query");
    const limit = q.limit ?? 100;
    const entries = await deps.repo.listAudit({ limit, ...(q.target !== undefined ? { target: q.target } : {}), ...(q.after !== undefined ? { afterId: q.after } : {}) });
    return c.json({ entries, next: entries.length === limit ? entries[entries.length - 1]!.id : null }, 200);
  });
}
