/** `hostplane cache …`: signing keys, signatures, audits, revocation and rotation of the binary-cache trust chain. */
import { parseArgs } from "node:util";
import { Nix } from "../../nix/index.js";
import { trustPolicyJsonSchema } from "../../cache/trust-policy.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { keyCommand } from "./keys-command.js";
import { trustAuditCommand } from "./trust-command.js";
import { rotateCommand } from "./rotate-command.js";
import { auditCommand, revokeCommand } from "./audit-command.js";
import { scanCommand } from "./scan-command.js";

export const CACHE_HELP = `Usage: hostplane cache <subcommand> [options]

The binary-cache trust chain: signing keys, signatures, audits, revocation and rotation.

Subcommands:
  key generate --name NAME      new signing key NAME-N (next free N); secret 0600, public key printed
  sign --key FILE PATH…         sign store paths (and with --recursive their closures) in a Nix store
  audit --cache URL PATH…       every path of the closures in the cache, signed by a trusted key?
  revoke --key NAME             revoke a key in the policy and report the paths only it signed
  scan-closure PATH…            find credentials in the files of a built closure (never prints them)
  trust-audit [nix.conf…]       check Nix trust settings (this host's, or files) against the trust policy
  rotate plan|status --name B   the staged key rotation and where it stands
  schema                        print the JSON Schema of the trust policy file

Common options: --policy FILE (default hostplane-trust.yaml), --json.
Run \`hostplane cache <subcommand> --help\` for details.
`;

const SIGN_HELP = `Usage: hostplane cache sign --key FILE [--store STORE] [--recursive] PATH…

Add a signature by the secret key FILE (Nix format, as written by
\`hostplane cache key generate\`) to each store PATH in STORE (default: the
machine's store; a directory for a chroot store, or a store URL). The key's
contents are never printed.
`;

async function signCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: { key: { type: "string" }, store: { type: "string" }, recursive: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    io.stdout(SIGN_HELP);
    return 0;
  }
  if (values.key === undefined) throw new UsageError("--key FILE is required (the secret signing key)");
  if (positionals.length === 0) throw new UsageError("give at least one store path to sign");
  const nix = new Nix(values.store !== undefined ? { store: values.store } : {});
  const { added } = await nix.sign(positionals, values.key, { recursive: values.recursive ?? false });
  io.stdout(`added ${added} signature${added === 1 ? "" : "s"}\n`);
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[], io: CliIo) => number | Promise<number>> = {
  key: keyCommand,
  sign: signCommand,
  "trust-audit": trustAuditCommand,
  audit: auditCommand,
  revoke: revokeCommand,
  "scan-closure": scanCommand,
  rotate: rotateCommand,
  schema: (_argv, io) => {
    io.stdout(JSON.stringify(trustPolicyJsonSchema(), null, 2) + "\n");
    return 0;
  },
};

export async function cacheCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    io.stdout(CACHE_HELP);
    return sub === undefined ? 2 : 0;
  }
  const run = SUBCOMMANDS[sub];
  if (!run) throw new UsageError(`unknown subcommand "cache ${sub}" (subcommands: ${Object.keys(SUBCOMMANDS).join(", ")})`);
  return run(rest, io);
}
