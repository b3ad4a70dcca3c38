/**
 * The API's one error type and its rendering as RFC 9457 problem details
 * (`application/problem+json`). Handlers throw ApiError; the app's single
 * error handler (app.ts) turns it — or anything else — into a response that
 * never carries a stack trace or an internal message.
 */

/** Machine-readable problem codes, stable across releases (clients switch on them). */
export type ProblemCode =
  | "invalid-request" | "malformed-json" | "facts-hash-mismatch" | "unauthenticated" | "forbidden" | "not-found"
  | "name-taken" | "already-exists" | "illegal-transition" | "conflict" | "payload-too-large" | "unsupported-media-type"
  | "too-many-auth-failures" | "internal" | "database-unavailable"
  | "stale-operation" | "release-rejected" | "cache-not-configured" | "invalid-rollout";

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  /** For `invalid-request`: every schema violation with its location. */
  errors?: { path: string; message: string }[];
}

const TITLES: Record<ProblemCode, string> = {
  "invalid-request": "Invalid request",
  "malformed-json": "Malformed JSON body",
  "facts-hash-mismatch": "Facts hash does not match the facts",
  unauthenticated: "Authentication required",
  forbidden: "Forbidden",
  "not-found": "Not found",
  "name-taken": "Name already taken",
  "already-exists": "Already exists",
  "illegal-transition": "Illegal lifecycle transition",
  conflict: "Concurrent modification",
  "payload-too-large": "Payload too large",
  "unsupported-media-type": "Unsupported media type",
  "too-many-auth-failures": "Too many failed authentication attempts",
  internal: "Internal server error",
  "database-unavailable": "Database unavailable",
  "stale-operation": "Stale operation",
  "release-rejected": "Release rejected",
  "cache-not-configured": "No fleet cache configured",
  "invalid-rollout": "Rollout cannot start",
};

/** Where a problem code is described; a URN because the docs have no fixed host. */
export function problemType(code: ProblemCode): string {
  return `urn:hostplane:problem:${code}`;
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly errors: { path: string; message: string }[] | undefined;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string>;
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    /** Shown to the client: what went wrong and what to do, without internals. */
    readonly detail: string,
    options: { errors?: { path: string; message: string }[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  toProblem(): ProblemDetails {
    return {
      type: problemType(this.code), title: TITLES[this.code], status: this.status, detail: this.detail, code: this.code,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

/** The response for a problem: problem+json, never cached. */
export function problemResponse(err: ApiError): Response {
  return new Response(JSON.stringify(err.toProblem()), {
    status: err.status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store", ...err.headers },
  });
}

/** The same 401 for every failed authentication, so a client learns nothing about which part was wrong. */
export function unauthenticated(): ApiError {
  return new ApiError(401, "unauthenticated", "the bearer token is missing, malformed, unknown, expired or revoked", {
    headers: { "www-authenticate": 'Bearer realm="hostplane"' },
  });
}
