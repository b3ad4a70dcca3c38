/**
 * The HTTP client adapter: every outgoing request of hostplane goes through
 * here (see fetch-text.ts), so timeouts, error codes and credential redaction
 * are decided in one place.
 */
export { ApiProblemError, ApiServerError } from "./api-errors.js";
export { fetchText, HttpError } from "./fetch-text.js";
export type { FetchTextResult } from "./fetch-text.js";
export { redactUrl } from "./redact-url.js";
