/**
 * `hostplane sandbox up`: a local fleet on this machine, left running. Test
 * hosts (network + mount namespaces, each with its own Nix store, from the
 * test-host harness), two generations of the fixture NixOS system signed into
 * a local binary cache, generation 1 booted on every host, a detached
 * `hostplane server` on SQLite and a detached agent in every host. Then the
 * release of generation 2 and a canary-first rollout of it, which the caller
 * watches. Everything outlives this process; `down` removes it.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../db/index.js";
import { ApiClient } from "../server/api-client.js";
import { issueOperatorToken } from "../server/index.js";
import type { RolloutPolicyInput } from "../fleet/rollout-policy.js";
import { bootInto, buildSystem, createTestFleet, makeBinaryCache, type TestFleet, type TestHost } from "./hosts/index.js";
import { sandboxDown, SANDBOX_MARKER } from "./down.js";
import { stopPids } from "./_pids.js";
import { freePort } from "./_ports.js";
import { writeState, type SandboxState } from "./_state.js";

const BIN = fileURLToPath(new URL("../../../bin/hostplane.js", import.meta.url));
/** The agents' host-contract checks are off: test hosts have no KVM, systemd or WireGuard of their own. */
const CONTRACT_IGNORE = ["kvm", "kernel", "cgroup", "network", "storage", "services", "hygiene", "nix"];
/**
 * The fleet's name prefix (namespaces and links `hpt-PREFIX-…`), one per sandbox directory: `sbx` for the default
 * directory, `s` + a hash of the directory otherwise, so a second sandbox (the test suite's, say) neither sees nor
 * sweeps away the first.
 */
export function sandboxPrefix(dir: string): string {
  return dir === join(tmpdir(), "hostplane-sandbox") ? "sbx" : `s${createHash("sha256").update(resolve(dir)).digest("hex").slice(0, 5)}`;
}

export interface SandboxUpOptions {
  hosts: number;
  dir: string;
  bakeSeconds: number;
  /** Progress lines for the person waiting. */
  log: (line: string) => void;
}

export interface SandboxUp {
  state: SandboxState;
  client: ApiClient;
  rolloutId: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function poll<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`sandbox: ${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** Starts `argv` detached (its own session), stdin from /dev/null and both outputs appended to `log`; returns its pid. */
function spawnDetached(argv: readonly string[], log: string): number {
  const fd = openSync(log, "a", 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ["ignore", fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error(`Cannot start ${argv.slice(0, 3).join(" ")}: no pid (see ${log})`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * The agent inside the host, detached: a shell in the host's namespaces starts it in a new session with its
 * output in the log and prints its pid; the agent keeps the host's mount namespace alive after we exit.
 */
async function startAgent(host: TestHost, o: { url: string; dir: string; bootstrapToken: string }): Promise<number> {
  const inventory = join(o.dir, "agents", `${host.name}-workloads.json`);
  const contract = join(o.dir, "agents", "contract.json");
  const log = join(o.dir, "agents", `${host.name}.log`);
  await writeFile(inventory, "[]");
  await writeFile(contract, JSON.stringify({ ignore: CONTRACT_IGNORE }));
  await writeFile(join(host.root, "state/bootstrap-token"), o.bootstrapToken, { mode: 0o600 });
  const script = 'log="$1"; shift; setsid "$@" </dev/null >>"$log" 2>&1 & echo $!';
  const r = await host.exec("/bin/sh", ["-c", script, "agent", log, process.execPath, BIN, "agent", "--server", o.url,
    "--state-dir", "/var/lib/hostplane/agent", "--bootstrap-token-file", "/var/lib/hostplane/bootstrap-token",
    "--workloads", `file:${inventory}`, "--contract-config", contract, "--failed-units", "file:/run/hostplane-failed-units"]);
  const pid = Number(r.stdout.toString("utf8").trim());
  if (r.exitCode !== 0 || !Number.isSafeInteger(pid) || pid <= 0) throw new Error(`Cannot start the agent on sandbox host ${host.name}: exited ${r.exitCode ?? r.signal}: ${r.stderr.trim()}`);
  return pid;
}

function manifest(name: string, o: { role?: string; nodes?: Record<string, string> }): Record<string, unknown> {
  const target = (path: string) => ({ path, healthChecks: [{ kind: "command", path: "bin/health-check", timeoutSeconds: 10 }] });
  return {
    schema: "hostplane.release/v1", name, source: { commit: "5a4db0c" },
    ...(o.role === undefined ? {} : { roles: { "microvm-host": target(o.role) } }),
    ...(o.nodes === undefined ? {} : { nodes: Object.fromEntries(Object.entries(o.nodes).map(([n, p]) => [n, target(p)])) }),
  };
}

function sandboxPolicy(bakeSeconds: number): RolloutPolicyInput {
  return {
    canary: { count: 1, bakeSeconds }, waves: ["50%", "100%"], maxUnavailable: "100%", bakeSeconds, drain: "never",
    confirmTimeoutSeconds: 30, healthTimeoutSeconds: 4,
  };
}

/** Sets the fleet up and starts the rollout of generation 2; on failure removes whatever it made. */
export async function sandboxUp(o: SandboxUpOptions): Promise<SandboxUp> {
  const { dir, log } = o;
  const prefix = sandboxPrefix(dir);
  await sandboxDown(dir, prefix);
  await mkdir(join(dir, "agents"), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, SANDBOX_MARKER), "a hostplane sandbox: `hostplane sandbox down` removes this directory\n");
  let fleet: TestFleet | undefined;
  const pids: number[] = [];
  try {
    let t = Date.now();
    const step = (what: string) => { log(`${what} (${((Date.now() - t) / 1000).toFixed(1)} s)`); t = Date.now(); };
    fleet = await createTestFleet({ hosts: o.hosts, prefix, keepAtExit: true });
    step(`${o.hosts} hosts up (network namespaces ${fleet.hosts[0]!.netns}…, each with its own /nix, /run, /boot)`);
    const gen1 = await buildSystem(fleet.buildStore, { name: "node", generationTag: "gen1" });
    const gen2 = await buildSystem(fleet.buildStore, { name: "node", generationTag: "gen2" });
    step(`built generation 1 ${gen1} and generation 2 ${gen2}`);
    const cache = await makeBinaryCache(fleet.buildStore, [gen1, gen2], { dir: join(fleet.dir, "fleet-cache"), keyName: "sandbox-1" });
    step(`signed both into ${cache.url} with key sandbox-1`);
    const f = fleet;
    await Promise.all(f.hosts.map((h) => bootInto(f, h, gen1)));
    step("generation 1 booted on every host");

    const dbPath = join(dir, "control.db");
    const repo = await openDatabase(`sqlite:${dbPath}`, { migrate: true });
    let admin: string;
    try {
      admin = (await issueOperatorToken(repo, { name: "sandbox-admin", role: "admin", expiresAt: null }, { actor: "local:sandbox", at: new Date().toISOString() })).token;
    } finally {
      await repo.close();
    }
    await writeFile(join(dir, "admin-token"), `${admin}\n`, { mode: 0o600 });
    await chmod(join(dir, "admin-token"), 0o600);
    const host = fleet.serverAddress.ipv6;
    const port = await freePort(host);
    const url = fleet.serverUrl(port);
    const serverPid = spawnDetached([process.execPath, BIN, "server", "--listen", `[${host}]:${port}`, "--database", `sqlite:${dbPath}`,
      "--cache", cache.url, "--trusted-key", cache.publicKey], join(dir, "server.log"));
    pids.push(serverPid);
    await writeState({ prefix, dir, fleetDir: fleet.dir, server: { pid: serverPid, url }, agents: {}, systems: { gen1, gen2 }, cacheUrl: cache.url });
    const client = new ApiClient({ server: url, token: admin, timeoutMs: 5000 });
    await poll("the server answering on /v1/health", async () => (await fetch(`${url}/v1/health`)).ok, 20_000)
      .catch((err: Error) => { throw new Error(`${err.message}; see ${join(dir, "server.log")}`); });
    step(`hostplane server on ${url} (SQLite ${dbPath})`);

    // Recorded as each process starts, so `down` finds them even if this command is interrupted.
    const state: SandboxState = { prefix, dir, fleetDir: fleet.dir, server: { pid: serverPid, url }, agents: {}, systems: { gen1, gen2 }, cacheUrl: cache.url };
    await writeState(state);
    for (const h of fleet.hosts) {
      const pid = await startAgent(h, { url, dir, bootstrapToken: (await client.createBootstrapToken({})).token });
      state.agents[h.name] = pid;
      pids.push(pid);
      await writeState(state);
    }
    await writeFile(join(dir, "env"), `# source me: the hostplane CLI then talks to the sandbox's server as admin\nexport HOSTPLANE_SERVER='${url}'\nexport HOSTPLANE_TOKEN="$(cat '${join(dir, "admin-token")}')"\n`);
    for (const h of fleet.hosts) {
      await poll(`${h.name} Ready on generation 1`, async () => {
        const n = await client.getNode(h.name);
        return n.state === "Ready" && n.conditions.length === 0 && n.facts?.currentSystem === gen1;
      }, 60_000).catch((err: Error) => { throw new Error(`${err.message}; see ${join(dir, "agents", `${h.name}.log`)}`); });
    }
    step(`${o.hosts} agents enrolled, every node Ready on generation 1`);

    await client.createRelease(manifest("gen2", { role: gen2 }));
    // For trying an abort afterwards; also what `node rollback` finds as the source of generation 1.
    await client.createRelease(manifest("gen1", { role: gen1 }));
    const rollout = await client.startRollout({ release: "gen2", policy: sandboxPolicy(o.bakeSeconds) });
    log(`release gen2 created; rollout ${rollout.id} started: canary first, then waves of 50% and 100%, bake ${o.bakeSeconds} s`);
    return { state, client, rolloutId: rollout.id };
  } catch (err) {
    await stopPids(pids, { graceMs: 1000 });
    await fleet?.teardown().catch(() => undefined);
    throw err;
  }
}
