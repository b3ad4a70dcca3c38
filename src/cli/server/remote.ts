/**
 * How `hostplane token` and `hostplane node` reach the control plane: over
 * HTTP (--server or HOSTPLANE_SERVER, token from HOSTPLANE_TOKEN or
 * --token-file), or — for token commands on the server machine — straight to
 * its database (--database), which is how the first admin token is made.
 */
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { resolve } from "node:path";
import type { Repository } from "../../db/index.js";
import { ApiClient } from "../../server/api-client.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";

export const DEFAULT_DATABASE = "sqlite:/var/lib/hostplane/server.db";

export const REMOTE_OPTIONS = {
  server: { type: "string" },
  "token-file": { type: "string" },
} as const;

export const REMOTE_HELP = `Connection:
  --server URL       the control plane, e.g. https://control.example:8443
                     (default: $HOSTPLANE_SERVER)
  --token-file FILE  read the bearer token from FILE (default: $HOSTPLANE_TOKEN)
  A server with a private CA: set NODE_EXTRA_CA_CERTS=/path/to/ca.pem.`;

/** The server URL given, if any. */
export function serverUrl(io: CliIo, flag: string | undefined): string | undefined {
  const url = flag ?? io.env["HOSTPLANE_SERVER"];
  return url === undefined || url === "" ? undefined : url;
}

/** An API client for `server`, with the token from --token-file or HOSTPLANE_TOKEN. */
export function apiClient(io: CliIo, server: string, tokenFile: string | undefined): ApiClient {
  if (!/^https?:\/\//.test(server)) throw new UsageError(`--server ${JSON.stringify(server)}: expected an http:// or https:// URL`);
  let token: string | undefined;
  if (tokenFile !== undefined) {
    try {
      token = readFileSync(resolve(io.cwd, tokenFile), "utf8").trim();
    } catch (err) {
      throw new UsageError(`cannot read --token-file ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
  } else {
    token = io.env["HOSTPLANE_TOKEN"]?.trim();
  }
  if (token === undefined || token === "") {
    throw new UsageError("no token: set HOSTPLANE_TOKEN or pass --token-file FILE (an operator token from hostplane token create)");
  }
  return new ApiClient({ server, token });
}

/** Open (and migrate) the database at `url` for direct access. */
export async function openRepository(url: string): Promise<Repository> {
  const { openDatabase } = await import("../../db/index.js");
  return openDatabase(url, { migrate: true });
}

/** Who acts when the CLI writes to the database directly: the local user. */
export function localActor(): string {
  try {
    return `local:${userInfo().username}`;
  } catch {
    return `local:uid-${process.getuid?.() ?? "unknown"}`;
  }
}
