/**
 * Releases: `POST /v1/releases` takes a release manifest, checks it against
 * the schema (every problem with its path) and then every system closure
 * against the fleet cache's signature audit; only a release that passes both
 * is stored. Listing and reading them is for viewers.
 */
import { createRoute } from "@hono/zod-openapi";
import { AlreadyExistsError, type ReleaseRecord } from "../../db/index.js";
import { releasePaths } from "../../fleet/release.js";
import { requireAuth } from "../auth.js";
import { nowIso, type App, type Deps } from "../context.js";
import { newId } from "../ids.js";
import { ApiError } from "../problem.js";
import { checkReleaseClosures } from "../release-check.js";
import { RefParamSchema, ReleaseCreateSchema, ReleaseListSchema, ReleaseSchema } from "../rollout-schemas.js";
import { AUTH_PROBLEMS, BEARER, jsonAnswer, jsonBody, problems } from "./_openapi.js";

/** A release by id (`rel_…`) or name, or 404. */
export async function findRelease(deps: Deps, ref: string): Promise<ReleaseRecord> {
  const found = (await deps.repo.getRelease(ref)) ?? (await deps.repo.getReleaseByName(ref));
  if (!found) throw new ApiError(404, "not-found", `no release with id or name ${JSON.stringify(ref)}; hostplane release list shows them`);
  return found;
}

function releaseAnswer(r: ReleaseRecord) {
  return { id: r.id, name: r.name, manifest: r.manifest, paths: releasePaths(r.manifest), createdBy: r.createdBy, createdAt: r.createdAt };
}

export function registerReleaseRoutes(app: App, deps: Deps): void {
  app.openapi(createRoute({
    method: "post", path: "/v1/releases", tags: ["releases"], security: BEARER,
    summary: "Create a release from a manifest (hostplane.release/v1)",
    description: "The manifest is validated (400 lists every problem with its path), then every system closure must be in the fleet cache with each path signed by a trusted key (422 names the manifest paths and why). A release that fails stores nothing.",
    middleware: [requireAuth(deps, { operator: "operator" })] as const,
    request: { body: jsonBody(ReleaseCreateSchema) },
    responses: { 201: jsonAnswer(ReleaseSchema, "Stored"), ...problems(400, ...AUTH_PROBLEMS, 409, 413, 415, 422, 503) },
  }), async (c) => {
    const manifest = c.req.valid("json");
    const cache = deps.fleetCache;
    if (cache === null) {
      throw new ApiError(503, "cache-not-configured", "this server has no fleet cache to check releases against; start it with --cache URL and --trust-policy FILE (or --trusted-key KEY)");
    }
    const id = newId("rel");
    const name = manifest.name ?? manifest.source.commit?.slice(0, 12) ?? id;
    const taken = () => new ApiError(409, "already-exists", `a release named ${name} already exists; give the manifest another "name"`);
    if (await deps.repo.getReleaseByName(name)) throw taken();
    const issues = await checkReleaseClosures(manifest, cache);
    if (issues.length > 0) {
      const errors = issues.map((i) => ({ path: i.path === "" ? "body" : `body.${i.path}`, message: i.message }));
      deps.log({ level: "warn", msg: "release rejected", release: name, problems: issues.length });
      throw new ApiError(422, "release-rejected", `release ${name} was not stored: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, { errors });
    }
    const release: ReleaseRecord = { id, name, manifest, createdBy: c.get("actor") ?? "unknown", createdAt: nowIso(deps) };
    try {
      await deps.repo.transaction(async (tx) => {
        await tx.createRelease(release);
        await tx.appendAudit({ at: release.createdAt, actor: release.createdBy, action: "release.create", target: `release:${name}`, before: null, after: { id, name, paths: releasePaths(manifest) } });
      });
    } catch (err) {
      if (err instanceof AlreadyExistsError) throw taken();
      throw err;
    }
    deps.log({ level: "info", msg: "release created", release: name, id, actor: release.createdBy });
    return c.json(releaseAnswer(release), 201);
  });

  app.openapi(createRoute({
    method: "get", path: "/v1/releases", tags: ["releases"], security: BEARER, summary: "Releases, newest first",
    middleware: [requireAuth(deps, { operator: "viewer" })] as const,
    responses: { 200: jsonAnswer(ReleaseListSchema, "The releases"), ...problems(...AUTH_PROBLEMS) },
  }), async (c) => {
    const releases = await deps.repo.listReleases({ limit: 1000 });
    return c.json({ releases: releases.map((r) => ({ id: r.id, name: r.name, paths: releasePaths(r.manifest), createdBy: r.createdBy, createdAt: r.createdAt })) }, 200);
  });

  app.openapi(createRoute({
    method: "get", path: "/v1/releases/{id}", tags: ["releases"], security: BEARER, summary: "One release with its manifest, by id or name",
    middleware: [requireAuth(deps, { operator: "viewer" })] as const,
    request: { params: RefParamSchema },
    responses: { 200: jsonAnswer(ReleaseSchema, "The release"), ...problems(400, ...AUTH_PROBLEMS, 404) },
  }), async (c) => c.json(releaseAnswer(await findRelease(deps, c.req.valid("param").id)), 200));
}
