/**
 * `hostplane sandbox up|status|down`: a local fleet to try hostplane on (test
 * hosts with real Nix stores, a signed local cache, a server on SQLite, real
 * agents), brought up with a canary-first rollout to watch, and left running.
 */
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { CliIo } from "../io.js";
import { UsageError } from "../errors.js";
import { watchRollout } from "../rollout/watch.js";
import { nextSteps, statusText } from "./render.js";

export const SANDBOX_HELP = `Usage: hostplane sandbox <up|status|down> [options]

A local fleet on this machine (root only): test hosts that are network and
mount namespaces, each with its own /nix store, /run and /boot; a signed local
binary cache; a hostplane server on SQLite and an agent in every host.

  up      remove any earlier sandbox, bring the fleet up on generation 1,
          release generation 2 and roll it out canary-first while you watch;
          the fleet stays running afterwards
  status  what is running: server, agents, namespaces
  down    stop the processes and remove namespaces, links, mounts and DIR

Options:
  --hosts N     number of hosts (up; default 4, at most 150)
  --dir DIR     the sandbox's directory: database, logs, admin token, env file
                (default ${join(tmpdir(), "hostplane-sandbox")})
  --bake TIME   bake time of every wave, e.g. 10s or 1m (up; default 10s)
  -h, --help    show this help
Exit codes: 0 ok (up: the rollout succeeded), 1 up: the rollout was aborted,
2 usage error or not root, 3 setup failed.
`;

/** Setting the fleet up failed (exit 3 with the message; the entry point knows it by name). */
class SandboxError extends Error {
  override readonly name = "SandboxError";
}

/** Where hosts mount their own directories: a sandbox directory there would be hidden from the agents. */
const HOST_MOUNTS = ["/nix", "/run", "/boot", "/var/lib/hostplane"];

function parseBake(text: string): number {
  const m = /^(\d+)(s|m)?$/.exec(text.trim());
  if (m === null) throw new UsageError(`--bake ${JSON.stringify(text)}: give whole seconds or minutes, e.g. 10s or 1m`);
  const n = Number(m[1]) * (m[2] === "m" ? 60 : 1);
  if (n > 3600) throw new UsageError(`--bake ${text}: at most 1 hour in a sandbox`);
  return n;
}

function parseDir(text: string | undefined, io: CliIo): string {
  const dir = text === undefined ? join(tmpdir(), "hostplane-sandbox") : resolve(io.cwd, text);
  if (!isAbsolute(dir) || dir === "/") throw new UsageError(`--dir ${text ?? ""}: not a usable directory`);
  const hidden = HOST_MOUNTS.find((m) => dir === m || dir.startsWith(`${m}/`));
  if (hidden !== undefined) throw new UsageError(`--dir ${dir}: the hosts mount their own ${hidden}, so the agents could not write their logs there; choose a directory elsewhere (e.g. under /tmp or /var/tmp)`);
  return dir;
}

export async function sandboxCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { hosts: { type: "string" }, dir: { type: "string" }, bake: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  const sub = positionals[0];
  if (values.help === true || sub === undefined) {
    io.stdout(SANDBOX_HELP);
    return values.help === true ? 0 : 2;
  }
  if (!["up", "status", "down"].includes(sub)) throw new UsageError(`unknown sandbox subcommand "${sub}" (up, status, down)`);
  if (positionals.length > 1) throw new UsageError(`sandbox ${sub} takes no arguments, got ${positionals.slice(1).join(" ")}`);
  if (sub !== "up" && (values.hosts !== undefined || values.bake !== undefined)) throw new UsageError(`--hosts and --bake are options of sandbox up, not sandbox ${sub}`);
  const hosts = Number(values.hosts ?? "4");
  if (!Number.isSafeInteger(hosts) || hosts < 1 || hosts > 150) throw new UsageError(`--hosts ${values.hosts ?? ""}: a whole number from 1 to 150`);
  const bakeSeconds = parseBake(values.bake ?? "10s");
  const dir = parseDir(values.dir, io);
  if (process.getuid?.() !== 0) {
    throw new UsageError(`sandbox ${sub} needs root: its hosts are network and mount namespaces with bind mounts and veth links (run it with sudo, or as root)`);
  }
  // Loaded only now: the harness checks this machine's tools when it loads.
  const sandbox = await import("../../sandbox/index.js");
  if (sandbox.HOSTS_SKIP !== undefined && sub === "up") throw new UsageError(`sandbox up cannot make hosts on this machine: ${sandbox.HOSTS_SKIP} (bash scripts/setup.sh installs what is missing)`);
  if (sub === "status") {
    io.stdout(statusText(await sandbox.sandboxStatus(dir)));
    return 0;
  }
  if (sub === "down") {
    const r = await sandbox.sandboxDown(dir, sandbox.sandboxPrefix(dir));
    io.stdout(`sandbox down: stopped ${r.stopped.length} process(es), removed ${r.netns.length} host namespace(s) and ${r.links.length} link(s)${r.removedDir ? `, and ${dir}` : ""}\n`);
    return 0;
  }
  const started = io.now();
  const up = await sandbox.sandboxUp({ hosts, dir, bakeSeconds, log: (line) => io.stdout(`sandbox: ${line}\n`) }).catch((err: unknown) => {
    if (err instanceof Error && err.name === "SandboxDirError") throw err;
    throw new SandboxError(`Cannot bring the sandbox up: ${(err as Error).message} (the hosts and processes are removed; logs stay in ${dir})`, { cause: err });
  });
  const code = await watchRollout(up.client, up.rolloutId, io, { json: false });
  io.stdout(`\nsandbox up in ${((io.now() - started) / 1000).toFixed(1)} s\n`);
  io.stdout(nextSteps(up.state, up.rolloutId));
  return code;
}
