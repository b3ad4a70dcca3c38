/**
 * The control plane's HTTP server: the app (a fetch handler), its OpenAPI
 * document, the socket adapter, and the token issuing the CLI shares with it.
 */
export { createApp, type AppOptions } from "./app.js";
export { DEFAULT_SERVER_CONFIG, type App, type Clock, type ServerConfig } from "./context.js";
export { jsonLineLogger, type Logger, type LogRecord } from "./logger.js";
export { openApiDocument } from "./openapi.js";
export { issueBootstrapToken, issueOperatorToken, revokeOperatorToken, tokenInfo } from "./tokens.js";
