/**
 * A fleet for rollout tests: the real app (on a SQLite file, so a test can
 * restart it) with a real file:// binary cache whose narinfos carry real
 * Ed25519 signatures, the drain loop and the rollout loop ticked by hand under
 * a fake clock, and simulated agents that speak the wire protocol to the real
 * endpoints in-process: heartbeat with facts, desired-state poll, step
 * reports, confirmation, commit or self-rollback.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { formatPublicKey, generateKeyPair, type KeyPair } from "../../src/cache/index.js";
import { openDatabase, type Repository } from "../../src/db/index.js";
import { factsHash } from "../../src/fleet/facts-hash.js";
import { createApp, issueOperatorToken, startReconciler, startRolloutLoop, type App, type LogRecord, type Reconciler } from "../../src/server/index.js";
import { baseName, makeNarinfo, signedBy } from "../cache/_fixtures.js";
import { writeCache } from "../cache/_synthetic-cache.js";
import { FakeClock, sampleFacts, type Answer } from "./_harness.js";

/** Store paths of the systems the tests roll out; all but UNSIGNED are in the cache, signed. */
export const SYSTEMS = {
  old: `/nix/store/${baseName("nixos-system-old")}`,
  new: `/nix/store/${baseName("nixos-system-new")}`,
  other: `/nix/store/${baseName("nixos-system-other")}`,
  unsigned: `/nix/store/${baseName("nixos-system-unsigned")}`,
  missing: `/nix/store/${baseName("nixos-system-missing")}`,
};

export interface Env {
  dir: string;
  dbPath: string;
  key: KeyPair;
  cacheUrl: string;
  clock: FakeClock;
  cleanup(): void;
}

export function makeEnv(): Env {
  const dir = mkdtempSync(join(tmpdir(), "hostplane-rollouts-"));
  const key = generateKeyPair("fleet-1");
  const cacheDir = join(dir, "cache");
  const stranger = generateKeyPair("stranger-1");
  writeCache(cacheDir, [
    signedBy(makeNarinfo("libc"), key),
    signedBy(makeNarinfo("nixos-system-old", ["libc"]), key),
    signedBy(makeNarinfo("nixos-system-new", ["libc"]), key),
    signedBy(makeNarinfo("nixos-system-other", ["libc"]), key),
    signedBy(makeNarinfo("nixos-system-unsigned", ["libc"]), stranger),
  ]);
  return { dir, dbPath: join(dir, "state.db"), key, cacheUrl: pathToFileURL(cacheDir).href, clock: new FakeClock(), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Server {
  app: App;
  repo: Repository;
  logs: LogRecord[];
  admin: string;
  operator: string;
  viewer: string;
  loop: Reconciler;
  drains: Reconciler;
  request(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<Answer>;
  close(): Promise<void>;
}

export async function startServer(env: Env, options: { cache?: boolean } = {}): Promise<Server> {
  const repo = await openDatabase(`sqlite:${env.dbPath}`, { migrate: true });
  const logs: LogRecord[] = [];
  const cache = options.cache === false ? {} : { cache: { url: env.cacheUrl, publicKeys: [formatPublicKey(env.key.publicKey)], revoked: [] } };
  const app = createApp({ repo, clock: env.clock, logger: (r) => logs.push(r), ...cache });
  const at = new Date(env.clock.now()).toISOString();
  const issue = async (name: string, role: "viewer" | "operator" | "admin") => (await issueOperatorToken(repo, { name, role, expiresAt: null }, { actor: "local:test", at })).token;
  const [admin, operator, viewer] = [await issue("alice", "admin"), await issue("oscar", "operator"), await issue("victor", "viewer")];
  const request = async (method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers["content-type"] = "application/json";
    const res = await app.request(path, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) }, { remoteAddress: "192.0.2.1" });
    const text = await res.text();
    let json: unknown;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, headers: res.headers, text, json };
  };
  const loop = startRolloutLoop(app, { intervalMs: 0 });
  const drains = startReconciler(app, { intervalMs: 0 });
  return {
    app, repo, logs, admin, operator, viewer, loop, drains, request,
    close: async () => { await loop.stop(); await drains.stop(); await repo.close(); },
  };
}

/** An agent that applies operations in steps, one step of the protocol per `step()`. */
export class SimAgent {
  current: string = SYSTEMS.old;
  /** The system profile's generations (as the real agent reports them: link targets), newest last. */
  generations: { number: number; path: string; current: boolean }[] = [{ number: 1, path: SYSTEMS.old, current: true }];
  healthy = true;
  /** Stops heartbeating and polling (its lease lapses). */
  silent = false;
  /** Takes the operation but never reports (to test withdrawal and timeouts). */
  stalls = false;
  readonly conflicts: { op: string; step: string; code: string }[] = [];
  readonly applied: string[] = [];
  private op: { id: string; epoch: number; target: string; previous: string | null; phase: "confirming" | "done" } | null = null;

  constructor(readonly name: string, readonly id: string, readonly credential: string, private server: Server, private readonly clock: FakeClock) {}

  /** Talk to another server (a restarted one). */
  use(server: Server): void { this.server = server; }

  heartbeat(): Promise<Answer> {
    const facts = sampleFacts(this.name, { currentSystem: this.current, bootedSystem: this.current, generations: this.generations, boot: { current: { kernel: "k", initrd: "i" }, booted: { kernel: "k", initrd: "i" } } });
    return this.server.request("POST", `/v1/nodes/${this.id}/heartbeat`, {
      token: this.credential, body: { factsHash: factsHash(facts), facts, contract: { ok: true, failing: [], evaluatedAt: new Date(this.clock.now()).toISOString() } },
    });
  }

  private async report(step: string, ok = true, detail?: string): Promise<boolean> {
    const op = this.op!;
    const r = await this.server.request("POST", `/v1/nodes/${this.id}/operations/${op.id}/events`, {
      token: this.credential, body: { epoch: op.epoch, step, ok, at: new Date(this.clock.now()).toISOString(), ...(detail === undefined ? {} : { detail }) },
    });
    if (r.status === 409) {
      this.conflicts.push({ op: op.id, step, code: (r.json as { code: string }).code });
      return false;
    }
    assert.equal(r.status, 200, r.text);
    return true;
  }

  async step(): Promise<void> {
    if (this.silent) return;
    assert.equal((await this.heartbeat()).status, 200);
    if (this.op?.phase === "confirming") return this.confirm();
    const desired = await this.server.request("GET", `/v1/nodes/${this.id}/desired`, { token: this.credential });
    assert.equal(desired.status, 200, desired.text);
    const offered = (desired.json as { operation: { id: string; epoch: number; target: string; previous: string | null } | null }).operation;
    if (offered === null || offered.id === this.op?.id || this.stalls) return;
    this.op = { id: offered.id, epoch: offered.epoch, target: offered.target, previous: offered.previous, phase: "confirming" };
    this.applied.push(offered.id);
    if (!(await this.report("received"))) { this.op.phase = "done"; return; }
    for (const s of ["preflight", "fetched"]) await this.report(s);
    this.current = offered.target;
    await this.report("activated");
    await this.report("health", this.healthy, this.healthy ? undefined : "bin/health-check exited 1");
    await this.report("confirm-requested");
    return this.confirm();
  }

  private async confirm(): Promise<void> {
    const op = this.op!;
    const r = await this.server.request("POST", `/v1/nodes/${this.id}/operations/${op.id}/confirm?wait=0`, {
      token: this.credential, body: { epoch: op.epoch, healthy: this.healthy, checks: [{ name: "bin/health-check", ok: this.healthy, detail: this.healthy ? "ok" : "exit 1" }] },
    });
    if (r.status === 409) {
      this.conflicts.push({ op: op.id, step: "confirm", code: (r.json as { code: string }).code });
      return this.rollBack("stale");
    }
    assert.equal(r.status, 200, r.text);
    const { decision } = r.json as { decision: string };
    if (decision === "pending") return;
    if (decision === "confirmed") {
      await this.report("confirmed");
      // Committing sets the system profile: a new generation, now the current one.
      this.generations = [...this.generations.map((g) => ({ ...g, current: false })), { number: (this.generations.at(-1)?.number ?? 0) + 1, path: op.target, current: true }];
      await this.report("committed");
      op.phase = "done";
      return;
    }
    await this.report("refused", false);
    return this.rollBack("refused");
  }

  private async rollBack(why: string): Promise<void> {
    const op = this.op!;
    if (op.previous !== null) this.current = op.previous;
    await this.report("rolled-back", true, `rolled back: ${why}`);
    op.phase = "done";
  }
}

/** Enroll `names` and bring each to Ready running SYSTEMS.old. */
export async function enrollAgents(s: Server, clock: FakeClock, names: readonly string[]): Promise<Map<string, SimAgent>> {
  const agents = new Map<string, SimAgent>();
  for (const name of names) {
    const boot = await s.request("POST", "/v1/bootstrap-tokens", { token: s.admin, body: {} });
    const r = await s.request("POST", "/v1/enroll", { token: (boot.json as { token: string }).token, body: { name } });
    assert.equal(r.status, 201, r.text);
    const { node, credential } = r.json as { node: { id: string }; credential: string };
    const agent = new SimAgent(name, node.id, credential, s, clock);
    assert.equal((await agent.heartbeat()).status, 200);
    agents.set(name, agent);
  }
  return agents;
}

export function manifest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema: "hostplane.release/v1", name: "2026-11-26.1", source: { commit: "4b1e0c2" },
    roles: { "microvm-host": { path: SYSTEMS.new, closureSize: 1_480_000_000, healthChecks: [{ kind: "command", path: "bin/health-check" }] } },
    ...extra,
  };
}

/** One round: every agent takes a step, then the drain loop and the rollout loop tick, then time moves on. */
export async function round(s: Server, clock: FakeClock, agents: ReadonlyMap<string, SimAgent>, advanceMs = 10_000): Promise<void> {
  for (const a of agents.values()) await a.step();
  await s.drains.tick();
  await s.loop.tick();
  clock.advance(advanceMs);
}

export async function rolloutOf(s: Server, id: string): Promise<{ status: string; wave: number; nodes: { name: string; outcome: string; reason: string | null; operation: { id: string; status: string } | null }[] }> {
  const r = await s.request("GET", `/v1/rollouts/${id}`, { token: s.viewer });
  assert.equal(r.status, 200, r.text);
  return r.json as never;
}

/** Rounds until the rollout's status is one of `statuses` (or fail after `max`). */
export async function until(s: Server, clock: FakeClock, agents: ReadonlyMap<string, SimAgent>, id: string, statuses: readonly string[], max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (statuses.includes((await rolloutOf(s, id)).status)) return;
    await round(s, clock, agents);
  }
  assert.fail(`rollout ${id} did not reach ${statuses.join("/")} in ${max} rounds: ${JSON.stringify(await rolloutOf(s, id))}`);
}

export async function startRollout(s: Server, policy: Record<string, unknown>, release = "2026-11-26.1"): Promise<string> {
  const r = await s.request("POST", "/v1/rollouts", { token: s.operator, body: { release, policy } });
  assert.equal(r.status, 201, r.text);
  return (r.json as { id: string }).id;
}

export async function createRelease(s: Server, body: Record<string, unknown> = manifest()): Promise<Answer> {
  return s.request("POST", "/v1/releases", { token: s.operator, body });
}
