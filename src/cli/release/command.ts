/**
 * `hostplane release …`: create a release from a manifest (checked here
 * first, then by the server against the fleet cache), list and show
 * releases, print the manifest's JSON Schema.
 */
import { parseArgs } from "node:util";
import { ApiProblemError } from "../../server/api-client.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { serverIssuesError } from "../issues.js";
import { REMOTE_HELP, REMOTE_OPTIONS, apiClient, serverUrl } from "../server/remote.js";
import { loadManifest, releaseManifestJsonSchema } from "./manifest-file.js";
import { renderRelease, renderReleaseList } from "./render.js";

export const RELEASE_HELP = `Usage: hostplane release <subcommand> [options]

A release says which NixOS system each node should run (a manifest,
hostplane.release/v1); \`hostplane rollout start\` rolls it out.

Subcommands:
  create MANIFEST.json  check the manifest here (every problem with its JSON
                        path; nothing is sent when there is one), then store it:
                        the server checks that every system closure is in the
                        fleet cache, signed by a trusted key
  list                  releases, newest first
  show ID|NAME          one release with its systems
  schema                print the manifest's JSON Schema

${REMOTE_HELP}
  --json             machine-readable output
Exit codes: 0 ok, 2 usage error, an invalid manifest or refused by the server
(closures missing or not signed, name taken, unknown release: the message says
which), 3 server unreachable or failing.
`;

const OPTIONS = {
  ...REMOTE_OPTIONS,
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const SUBCOMMANDS = ["create", "list", "show", "schema"] as const;
const HINT = "see hostplane release --help";

export async function releaseCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") { io.stdout(RELEASE_HELP); return sub === undefined ? 2 : 0; }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown release subcommand "${sub}" (${SUBCOMMANDS.join(", ")}; ${HINT})`);
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) { io.stdout(RELEASE_HELP); return 0; }
  const json = (data: unknown) => io.stdout(JSON.stringify(data, null, 2) + "\n");

  if (sub === "schema") {
    if (positionals.length > 0) throw new UsageError(`release schema takes no arguments (${HINT})`);
    json(releaseManifestJsonSchema());
    return 0;
  }
  const wants = sub === "list" ? 0 : 1;
  if (positionals.length !== wants) {
    throw new UsageError(sub === "list" ? `release list takes no arguments (${HINT})`
      : sub === "create" ? `release create takes one MANIFEST.json (${HINT})` : `release show takes one release ID or NAME (hostplane release list shows them)`);
  }
  // The manifest is checked before the server is even looked for: a bad file needs no connection to be told so.
  const loaded = sub === "create" ? loadManifest(io.cwd, positionals[0]!) : undefined;
  const server = serverUrl(io, values.server);
  if (server === undefined) throw new UsageError(`which control plane? pass --server URL or set HOSTPLANE_SERVER (${HINT})`);
  const api = apiClient(io, server, values["token-file"]);

  if (sub === "list") {
    const { releases } = await api.listReleases();
    if (values.json) json({ releases }); else io.stdout(renderReleaseList(releases));
    return 0;
  }
  if (sub === "show") {
    const release = await api.getRelease(positionals[0]!);
    if (values.json) json(release); else io.stdout(renderRelease(release));
    return 0;
  }
  const file = positionals[0]!;
  let created;
  try {
    // The file's own JSON is sent, not the parsed copy: the server applies its defaults itself.
    created = await api.createRelease(loaded!.raw as Record<string, unknown>);
  } catch (err) {
    if (err instanceof ApiProblemError) {
      const listed = serverIssuesError(err, `the server refused release manifest ${file}, nothing was stored`,
        err.code === "release-rejected" ? "Push the closures to the fleet cache signed by a trusted key (hostplane cache audit shows what is missing), then create the release again." : "The format: hostplane release schema.");
      if (listed) throw listed;
    }
    throw err;
  }
  if (values.json) json(created);
  else io.stdout(`release ${created.name} (${created.id}) stored: ${created.paths.length} system${created.paths.length === 1 ? "" : "s"}, every closure signed by a trusted key\nroll it out: hostplane rollout start ${created.name}\n`);
  return 0;
}
