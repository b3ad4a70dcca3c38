/**
 * The control plane's HTTP server: the app (a fetch handler) and its OpenAPI
 * document. The socket adapter (listen.ts), the API client (api-client.ts)
 * and token issuing (tokens.ts) are imported directly by the CLI, which loads
 * them lazily: a `hostplane token` command need not load the HTTP framework.
 */
export { createApp } from "./app.js";
export type { App, ServerConfig } from "./context.js";
export { jsonLineLogger, type LogRecord } from "./logger.js";
export { openApiDocument } from "./openapi.js";
export { startReconciler, type Reconciler } from "./reconcile.js";
export { startRolloutLoop } from "./rollout-loop.js";
export { issueOperatorToken } from "./tokens.js";
