/**
 * The `hostplane` entry point: the only place that maps errors to exit codes
 * (0 ok, 1 findings, 2 usage or config error, 3 internal error).
 */
import { readFileSync } from "node:fs";
import type { CliIo } from "./io.js";
import { UsageError } from "./errors.js";

const VERSION = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;

const HELP = `Usage: hostplane <command> [options]

hostplane is the host layer for a microVM PaaS on bare-metal NixOS hosts.

Commands:
  guard      check Nix sources, flake.lock and nix.conf for secrets, store leaks,
             unpinned inputs and unsafe binary-cache trust (CI and pre-commit)
  cache      binary-cache trust chain: signing keys, signatures, trust audits,
             key rotation
  contract   does this host honour the host contract? (KVM, cgroup v2, nftables,
             WireGuard, bridge/tap, storage, systemd, journald, Nix trust)
  server     run the control plane (HTTP API, metrics, audit log)
  token      operator tokens and bootstrap (enrollment) tokens
  node       list, show, cordon, uncordon, drain, decommission nodes; their
             operation history
  release    create (from a manifest, checked against the fleet cache), list,
             show releases; the manifest's JSON Schema
  rollout    start, list, show, pause, resume, abort and watch rollouts
  drift      does every node run what the control plane last committed on it?
  sandbox    a local fleet to try it on: up (with a canary-first rollout to
             watch), status, down (root)
  help CMD   show help for a command

Options:
  -h, --help     show this help
  -V, --version  print the version

Run \`hostplane <command> --help\` for a command's options.
`;

interface Command {
  run: (argv: string[], io: CliIo) => Promise<number>;
  help: string;
}

/** Commands load on demand: `guard` in CI should not pay for the Nix adapter and HTTP client at start-up. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  guard: async () => {
    const m = await import("./guard/command.js");
    return { run: m.guardCommand, help: m.GUARD_HELP };
  },
  cache: async () => {
    const m = await import("./cache/command.js");
    return { run: m.cacheCommand, help: m.CACHE_HELP };
  },
  contract: async () => {
    const m = await import("./contract/command.js");
    return { run: m.contractCommand, help: m.CONTRACT_HELP };
  },
  server: async () => {
    const m = await import("./server/command.js");
    return { run: m.serverCommand, help: m.SERVER_HELP };
  },
  token: async () => {
    const m = await import("./token/command.js");
    return { run: m.tokenCommand, help: m.TOKEN_HELP };
  },
  node: async () => {
    const m = await import("./node/command.js");
    return { run: m.nodeCommand, help: m.NODE_HELP };
  },
  release: async () => {
    const m = await import("./release/command.js");
    return { run: m.releaseCommand, help: m.RELEASE_HELP };
  },
  rollout: async () => {
    const m = await import("./rollout/command.js");
    return { run: m.rolloutCommand, help: m.ROLLOUT_HELP };
  },
  drift: async () => {
    const m = await import("./drift/command.js");
    return { run: m.driftCommand, help: m.DRIFT_HELP };
  },
  sandbox: async () => {
    const m = await import("./sandbox/command.js");
    return { run: m.sandboxCommand, help: m.SANDBOX_HELP };
  },
  agent: async () => ({ run: (await import("./agent/command.js")).agentCommand, help: (await import("./agent/command.js")).AGENT_HELP }),
};

function processIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
    ...(process.stdout.isTTY ? { columns: process.stdout.columns, rows: process.stdout.rows } : {}),
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
      io.stdout(target ? (await target()).help : HELP);
      return 0;
    }
    const load = COMMANDS[cmd];
    if (!load) throw new UsageError(`unknown command "${cmd}" (commands: ${Object.keys(COMMANDS).join(", ")}; see hostplane --help)`);
    return await (await load()).run(rest, io);
  } catch (err) {
    if (err instanceof UsageError || USER_ERRORS.has(errorName(err)) || isArgError(err)) {
      io.stderr(`hostplane: ${(err as Error).message}\n`);
      return 2;
    }
    if (EXTERNAL_ERRORS.has(errorName(err))) {
      io.stderr(`hostplane: ${(err as Error).message}\n`);
      return 3;
    }
    io.stderr(`hostplane: internal error: ${(err as Error).stack ?? String(err)}\nPlease report this with the command you ran.\n`);
    return 3;
  }
}

/**
 * Error classes by name, so this entry point need not load every module that
 * defines one: bad input from the user (exit 2) and failures of an external
 * system — git, Nix, a cache, the network (exit 3, with its message, no stack).
 */
const USER_ERRORS = new Set(["ConfigError", "BaselineError", "TrustPolicyError", "ManifestError", "KeyError", "ContractConfigError", "FactsError", "UnknownCheckError", "ApiProblemError", "DatabaseUrlError", "SandboxDirError"]);
const EXTERNAL_ERRORS = new Set(["GitError", "SpawnError", "NixError", "HttpError", "CacheError", "NarinfoError", "ScanClosureError", "ApiServerError", "ListenError", "DatabaseOpenError", "SchemaTooNewError", "SandboxError"]);

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "";
}

/** node:util parseArgs errors (unknown option, missing value) are usage errors. */
function isArgError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}
