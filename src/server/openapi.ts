/**
 * The OpenAPI 3.1 document of the /v1 API, generated from the route schemas.
 * The server serves it at /v1/openapi.json; the docs script writes it to
 * docs/api/openapi.json with this function.
 */
import type { Repository } from "../db/index.js";
import { API_INFO, createApp } from "./app.js";

/** Building the document registers the routes but never runs one: a repository that refuses every call is enough. */
const NO_REPOSITORY = new Proxy({}, {
  get: (_target, prop) => () => { throw new Error(`openApiDocument(): repository.${String(prop)} called while only describing the API`); },
}) as Repository;

export function openApiDocument(): Record<string, unknown> {
  const app = createApp({ repo: NO_REPOSITORY });
  return app.getOpenAPI31Document({ openapi: "3.1.0", info: API_INFO }) as unknown as Record<string, unknown>;
}
