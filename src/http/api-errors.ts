/**
 * How a /v1 API client says the server did not give what was asked: the
 * CLI's (src/server/api-client.ts, zod and fetch) and the agent's
 * (src/agent/api.ts, hand-written checks over node:http) throw the same
 * classes. No answer at all is an HttpError (fetch-text.ts).
 */

/** An RFC 9457 problem document as the API answers it (docs/api/openapi.json, Problem). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  /** For invalid-request: every schema violation with its location. */
  errors?: { path: string; message: string }[] | undefined;
}

/** The server refused the request (4xx) with a problem document. */
export class ApiProblemError extends Error {
  override readonly name = "ApiProblemError";
  readonly status: number;
  readonly code: string;
  constructor(
    readonly problem: Problem,
    readonly method: string,
    readonly url: string,
    /** From Retry-After on 429: seconds to wait before trying again. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(`${problem.detail} (HTTP ${problem.status} ${problem.code})`);
    this.status = problem.status;
    this.code = problem.code;
  }
}

/** The server failed (5xx) or answered something the API does not promise. */
export class ApiServerError extends Error {
  override readonly name = "ApiServerError";
  constructor(message: string, readonly status: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}
