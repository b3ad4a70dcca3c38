/**
 * The `hostplane` entry point: the only place that maps errors to exit codes
 * (0 ok, 1 findings, 2 usage or config error, 3 internal error).
 */
import { readFileSync } from "node:fs";
import type { CliIo } from "./io.js";
import { UsageError } from "./errors.js";
import { guardCommand, GUARD_HELP } from "./guard/command.js";
import { cacheCommand, CACHE_HELP } from "./cache/command.js";
import { TrustPolicyError } from "../cache/trust-policy.js";
import { NixError } from "../nix/index.js";
import { CacheError, KeyError, ManifestError, NarinfoError } from "../cache/index.js";
import { HttpError } from "../http/index.js";
import { ConfigError } from "../guard/config.js";
import { BaselineError } from "../guard/baseline.js";
import { GitError } from "../git/index.js";
import { SpawnError } from "../process/run.js";

const VERSION = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;

const HELP = `Usage: hostplane <command> [options]

hostplane is the host layer for a microVM PaaS on bare-metal NixOS hosts.

Commands:
  guard      check Nix sources, flake.lock and nix.conf for secrets, store leaks,
             unpinned inputs and unsafe binary-cache trust (CI and pre-commit)
  cache      binary-cache trust chain: signing keys, signatures, trust audits,
             key rotation
  help CMD   show help for a command

Options:
  -h, --help     show this help
  -V, --version  print the version

Run \`hostplane <command> --help\` for a command's options.
`;

const COMMANDS: Record<string, { run: (argv: string[], io: CliIo) => Promise<number>; help: string }> = {
  guard: { run: guardCommand, help: GUARD_HELP },
  cache: { run: cacheCommand, help: CACHE_HELP },
};

function processIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
    now: () => Date.now(),
    version: VERSION,
  };
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === "-h" || cmd === "--help") {
      io.stdout(HELP);
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === "-V" || cmd === "--version") {
      io.stdout(`hostplane ${io.version}\n`);
      return 0;
    }
    if (cmd === "help") {
      const target = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
      io.stdout(target ? target.help : HELP);
      return 0;
    }
    const command = COMMANDS[cmd];
    if (!command) throw new UsageError(`unknown command "${cmd}" (commands: ${Object.keys(COMMANDS).join(", ")}; see hostplane --help)`);
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof BaselineError || err instanceof TrustPolicyError || err instanceof ManifestError || err instanceof KeyError || isArgError(err)) {
      io.stderr(`hostplane: ${(err as Error).message}\n`);
      return 2;
    }
    if (err instanceof GitError || err instanceof SpawnError || err instanceof NixError || err instanceof HttpError || err instanceof CacheError || err instanceof NarinfoError) {
      io.stderr(`hostplane: ${err.message}\n`);
      return 3;
    }
    io.stderr(`hostplane: internal error: ${(err as Error).stack ?? String(err)}\nPlease report this with the command you ran.\n`);
    return 3;
  }
}

/** node:util parseArgs errors (unknown option, missing value) are usage errors. */
function isArgError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}
