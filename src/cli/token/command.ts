/**
 * `hostplane token …`: operator tokens (create, list, revoke) and bootstrap
 * tokens for enrollment, over the API or straight to the database. A new
 * token is printed once, on stdout, and nowhere else.
 */
import { parseArgs } from "node:util";
import type { z } from "zod";
import type { OperatorRole, Repository } from "../../db/index.js";
import type { ApiClient } from "../../server/api-client.js";
import type { TokenInfo } from "../../server/schemas.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { parseDuration } from "../server/duration.js";
import { table } from "../server/table.js";
import { DEFAULT_DATABASE, REMOTE_HELP, REMOTE_OPTIONS, apiClient, localActor, openRepository, serverUrl } from "../server/remote.js";

export const TOKEN_HELP = `Usage: hostplane token <subcommand> [options]

Operator tokens (roles viewer < operator < admin) and bootstrap tokens that
let a host enroll. Tokens are shown once, when created; the server keeps only
a hash.

Subcommands:
  create --name N --role R [--expires-in 30d]   a new operator token (printed once)
  list                                          operator tokens (never their secrets)
  revoke ID                                     revoke an operator token
  bootstrap [--uses N] [--ttl 1h] [--label k=v]… [--role microvm-host|control-plane]
                                                an enrollment token (default 1 use, 1 h)

Where (one of):
  --database URL     write to the server's database directly (on the server
                     machine; how the first admin token is made; default
                     ${DEFAULT_DATABASE})
${REMOTE_HELP.split("\n").slice(1).join("\n")}
  --json             machine-readable output
Exit codes: 0 ok, 2 usage error or refused by the server (4xx), 3 server or database unreachable.
`;

const OPTIONS = {
  ...REMOTE_OPTIONS,
  database: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  name: { type: "string" },
  role: { type: "string" },
  "expires-in": { type: "string" },
  uses: { type: "string" },
  ttl: { type: "string" },
  label: { type: "string", multiple: true },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>["values"];

const ROLES: readonly OperatorRole[] = ["viewer", "operator", "admin"];

/** Either an API client or a repository: each subcommand has both paths. */
type Target = { kind: "api"; api: ApiClient } | { kind: "db"; repo: Repository };

async function withTarget<T>(io: CliIo, v: Values, fn: (t: Target) => Promise<T>): Promise<T> {
  const server = serverUrl(io, v.server);
  if (server !== undefined && v.database !== undefined) throw new UsageError("give --server (over the API) or --database (direct), not both");
  if (server !== undefined) return fn({ kind: "api", api: apiClient(io, server, v["token-file"]) });
  const repo = await openRepository(v.database ?? DEFAULT_DATABASE);
  try {
    return await fn({ kind: "db", repo });
  } finally {
    await repo.close();
  }
}

function now(io: CliIo): string {
  return new Date(io.now()).toISOString();
}

function renderTokens(tokens: TokenInfo[], at: number): string {
  if (tokens.length === 0) return "no operator tokens\n";
  const rows = tokens.map((t) => [t.id, t.name, t.role, t.createdAt.slice(0, 19) + "Z",
    t.revokedAt !== null ? `revoked ${t.revokedAt.slice(0, 19)}Z` : t.expiresAt === null ? "active" : Date.parse(t.expiresAt) <= at ? "expired" : `until ${t.expiresAt.slice(0, 19)}Z`]);
  return table(["ID", "NAME", "ROLE", "CREATED", "STATUS"], rows);
}

/** Direct database writes check their input with the API's own schemas, so both paths accept the same. */
function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new UsageError(`invalid ${what}: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return r.data;
}

function parseLabels(labels: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) {
    const eq = l.indexOf("=");
    if (eq <= 0) throw new UsageError(`--label ${JSON.stringify(l)}: expected key=value`);
    out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

async function create(io: CliIo, v: Values): Promise<number> {
  if (v.name === undefined || v.role === undefined) throw new UsageError("token create needs --name NAME and --role viewer|operator|admin");
  if (!(ROLES as readonly string[]).includes(v.role)) throw new UsageError(`--role ${v.role}: expected one of ${ROLES.join(", ")}`);
  const role = v.role as OperatorRole;
  const expiresIn = v["expires-in"] === undefined ? undefined : parseDuration(v["expires-in"], "--expires-in");
  const name = v.name;
  const created = await withTarget(io, v, async (t) => {
    if (t.kind === "api") return t.api.createToken({ name, role, ...(expiresIn !== undefined ? { expiresInSeconds: expiresIn } : {}) });
    const { TokenCreateSchema } = await import("../../server/schemas.js");
    checked(TokenCreateSchema, { name, role, ...(expiresIn !== undefined ? { expiresInSeconds: expiresIn } : {}) }, "operator token");
    const { issueOperatorToken } = await import("../../server/tokens.js");
    const expiresAt = expiresIn === undefined ? null : new Date(io.now() + expiresIn * 1000).toISOString();
    return issueOperatorToken(t.repo, { name, role, expiresAt }, { actor: localActor(), at: now(io) });
  });
  if (v.json) {
    io.stdout(JSON.stringify(created, null, 2) + "\n");
  } else {
    io.stdout(`${created.token}\n`);
    io.stderr(`token ${created.id} (${created.name}, ${created.role}${created.expiresAt === null ? "" : `, expires ${created.expiresAt}`}) created; it is shown only now — store it (e.g. in a 0600 file for --token-file)\n`);
  }
  return 0;
}

async function list(io: CliIo, v: Values): Promise<number> {
  const tokens = await withTarget(io, v, async (t) => {
    if (t.kind === "api") return (await t.api.listTokens()).tokens;
    const { tokenInfo } = await import("../../server/tokens.js");
    return (await t.repo.listOperatorTokens()).map(tokenInfo);
  });
  io.stdout(v.json ? JSON.stringify({ tokens }, null, 2) + "\n" : renderTokens(tokens, io.now()));
  return 0;
}

async function revoke(io: CliIo, v: Values, id: string | undefined): Promise<number> {
  if (id === undefined) throw new UsageError("token revoke needs the token's ID (hostplane token list shows them)");
  await withTarget(io, v, async (t) => {
    if (t.kind === "api") return t.api.revokeToken(id);
    const { revokeOperatorToken } = await import("../../server/tokens.js");
    if (!(await revokeOperatorToken(t.repo, id, { actor: localActor(), at: now(io) }))) throw new UsageError(`no active operator token ${id} (hostplane token list shows them)`);
    return null;
  });
  io.stdout(v.json ? JSON.stringify({ revoked: id }) + "\n" : `token ${id} revoked\n`);
  return 0;
}

async function bootstrap(io: CliIo, v: Values): Promise<number> {
  const ttlSeconds = v.ttl === undefined ? 3600 : parseDuration(v.ttl, "--ttl");
  const uses = v.uses === undefined ? 1 : Number(v.uses);
  if (!Number.isInteger(uses) || uses < 1 || uses > 10_000) throw new UsageError(`--uses ${v.uses}: expected a whole number from 1 to 10000`);
  const role = v.role ?? "microvm-host";
  if (role !== "microvm-host" && role !== "control-plane") throw new UsageError(`--role ${role}: expected microvm-host or control-plane`);
  const labels = parseLabels(v.label ?? []);
  const created = await withTarget(io, v, async (t) => {
    if (t.kind === "api") return t.api.createBootstrapToken({ ttlSeconds, uses, labels, role });
    const { BootstrapCreateSchema } = await import("../../server/schemas.js");
    const body = checked(BootstrapCreateSchema, { ttlSeconds, uses, labels, role }, "bootstrap token");
    const { issueBootstrapToken } = await import("../../server/tokens.js");
    const expiresAt = new Date(io.now() + body.ttlSeconds * 1000).toISOString();
    return issueBootstrapToken(t.repo, { expiresAt, uses: body.uses, labels: body.labels, role: body.role }, { actor: localActor(), at: now(io) });
  });
  if (v.json) {
    io.stdout(JSON.stringify(created, null, 2) + "\n");
  } else {
    io.stdout(`${created.token}\n`);
    io.stderr(`bootstrap token ${created.id}: ${created.uses} enrollment(s) of ${created.role} nodes until ${created.expiresAt}; shown only now\n`);
  }
  return 0;
}

export async function tokenCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") { io.stdout(TOKEN_HELP); return sub === undefined ? 2 : 0; }
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) { io.stdout(TOKEN_HELP); return 0; }
  const noArgs = () => { if (positionals.length > 0) throw new UsageError(`token ${sub} takes no arguments (got ${positionals.join(" ")})`); };
  switch (sub) {
    case "create": noArgs(); return create(io, values);
    case "list": noArgs(); return list(io, values);
    case "revoke":
      if (positionals.length > 1) throw new UsageError("token revoke takes one token ID");
      return revoke(io, values, positionals[0]);
    case "bootstrap": noArgs(); return bootstrap(io, values);
    default: throw new UsageError(`unknown token subcommand "${sub}" (create, list, revoke, bootstrap)`);
  }
}
