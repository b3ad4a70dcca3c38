/** Shorthands for route definitions: JSON bodies and answers, the problem answers a route may give, bearer security. */
import type { z } from "@hono/zod-openapi";
import { ProblemSchema } from "../schemas.js";

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid request (malformed JSON, schema violation): problem+json with every violation in `errors`",
  401: "Missing, malformed, unknown, expired or revoked credential",
  403: "Authenticated, but not allowed to do this",
  404: "No such resource",
  409: "Conflict: name taken, illegal lifecycle transition, or a concurrent change",
  413: "Request body too large",
  415: "Request body is not application/json",
  422: "Well-formed, but cannot be done: a release whose closures are not in the fleet cache signed by a trusted key, a rollout with no node to upgrade",
  429: "Too many failed authentications from this address (see Retry-After)",
  503: "The database is unavailable, or (releases) no fleet cache is configured",
};

/** Problem+json answers for these statuses. */
export function problems(...statuses: (keyof typeof PROBLEM_DESCRIPTIONS)[]) {
  const out: Record<number, { description: string; content: { "application/problem+json": { schema: typeof ProblemSchema } } }> = {};
  for (const s of statuses) out[s] = { description: PROBLEM_DESCRIPTIONS[s] ?? "Error", content: { "application/problem+json": { schema: ProblemSchema } } };
  return out;
}

/** Every authenticated route can answer these. */
export const AUTH_PROBLEMS = [401, 403, 429] as const;

export function jsonAnswer<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T, required = true) {
  return { required, content: { "application/json": { schema } } };
}

export const BEARER = [{ bearer: [] }];
