/**
 * The app's one error handler: whatever a route, validator or middleware
 * throws becomes an ApiError and is answered as problem+json. Unexpected
 * errors are logged with their stack and answered with a bare 500.
 */
import type { ZodError } from "zod";
import { HTTPException } from "hono/http-exception";
import { AlreadyExistsError, InvalidValueError, NotFoundError, VersionConflictError } from "../db/index.js";
import { TransitionError } from "../fleet/node.js";
import type { LogRecord } from "./logger.js";
import { ApiError } from "./problem.js";

const MAX_ISSUES = 20;
const MAX_MESSAGE = 200;

function clip(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
}

/** A schema violation at the edge: every issue with where it is (`body.name`, `query.wait`, `params.id`). */
export function validationError(target: string, error: ZodError): ApiError {
  const where = target === "json" ? "body" : target === "param" ? "params" : target;
  const errors = error.issues.slice(0, MAX_ISSUES).map((i) => ({
    path: clip([where, ...i.path.map(String)].join(".")),
    message: clip(i.message),
  }));
  const more = error.issues.length > MAX_ISSUES ? ` (and ${error.issues.length - MAX_ISSUES} more)` : "";
  return new ApiError(400, "invalid-request", `invalid request: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}${more}`, { errors });
}

/** Map anything thrown while answering to the ApiError to send (5xx for the unexpected, which `log` records). */
export function toApiError(err: unknown, log: (r: LogRecord) => void, where: { method: string; path: string }): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400) return new ApiError(400, "malformed-json", "the request body is not valid JSON", { cause: err });
    if (err.status === 413) return payloadTooLarge();
    if (err.status === 415) return new ApiError(415, "unsupported-media-type", "send the request body as application/json", { cause: err });
    if (err.status < 500) return new ApiError(err.status, "invalid-request", err.message, { cause: err });
  }
  if (err instanceof TransitionError) return new ApiError(409, "illegal-transition", err.message, { cause: err });
  if (err instanceof VersionConflictError) return new ApiError(409, "conflict", "the resource changed concurrently; read it again and retry", { cause: err });
  if (err instanceof AlreadyExistsError) return new ApiError(409, "already-exists", "a resource with that name or id already exists", { cause: err });
  if (err instanceof NotFoundError) return new ApiError(404, "not-found", "no such resource", { cause: err });
  if (err instanceof InvalidValueError) {
    // The edge schemas should have refused it; the store's message may quote the value, so it stays in the log.
    log({ level: "warn", msg: "the store refused a value the request schemas let through", method: where.method, path: where.path, message: err.message });
    return new ApiError(400, "invalid-request", "a value in the request cannot be stored (see the server log); check text for control characters", { cause: err });
  }
  const e = err instanceof Error ? err : new Error(String(err));
  log({ level: "error", msg: "unexpected error while answering a request", method: where.method, path: where.path, error: e.name, message: e.message, stack: e.stack });
  return new ApiError(500, "internal", "the server failed to answer this request; the error is in the server log", { cause: err });
}

export function payloadTooLarge(limit?: number): ApiError {
  return new ApiError(413, "payload-too-large", `the request body is larger than the server accepts${limit === undefined ? "" : ` (${limit} bytes)`}`);
}
