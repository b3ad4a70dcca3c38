/**
 * The agent's control loop: enroll once (or reuse the stored credential), then
 * two loops until stopped — heartbeats every `heartbeatSeconds` the server
 * asks for (facts only when their hash changed or the server needs them), and
 * a desired-state long-poll that the server answers the moment the node
 * changes. Network trouble means bounded backoff with full jitter, logged once
 * per change of reachability. Decommission, or a credential refused after it
 * had worked (revoked), wipes the identity and ends the agent.
 */
import { factsHash } from "../fleet/facts-hash.js";
import { ApiProblemError, type ApiClient } from "../server/api-client.js";
import type { DesiredState, HeartbeatRequest } from "../server/schemas.js";
import { Backoff, realSleep, type Sleep } from "./backoff.js";
import type { AgentFacts } from "./facts.js";
import type { ContractSnapshot } from "./contract-report.js";
import type { AgentLog } from "./log.js";
import type { Identity, StateDir } from "./state-dir.js";

export interface AgentOptions {
  server: string;
  name: string;
  stateDir: StateDir;
  /** Reads the bootstrap token; called only when the state directory holds no identity. */
  bootstrapToken: () => Promise<string>;
  /** An API client bearing `token`. */
  client: (token: string) => ApiClient;
  facts: () => Promise<{ facts: AgentFacts; contract: ContractSnapshot }>;
  log: AgentLog;
  /** Registers a secret the logger must never print. */
  addSecret: (secret: string) => void;
  /** Aborted on SIGTERM/SIGINT: the agent stops and keeps its identity. */
  signal: AbortSignal;
  sleep?: Sleep;
  random?: () => number;
  /** Long-poll wait, seconds (default 30). */
  waitSeconds?: number;
  now?: () => number;
}

export type AgentExit = "stopped" | "decommissioned" | "revoked";

/** A condition the agent cannot retry its way out of (refused bootstrap token, name taken, …): exit 2. */
export class AgentFatalError extends Error {
  override readonly name = "AgentFatalError";
}

/** The same data with anonymous object types, which the request schema's open objects accept. */
function wire(facts: AgentFacts): NonNullable<HeartbeatRequest["facts"]> {
  return { ...facts, generations: facts.generations.map((g) => ({ ...g })), workloads: facts.workloads.map((w) => ({ ...w })) };
}

function isRetryable(err: unknown): boolean {
  return !(err instanceof ApiProblemError) || err.status === 429 || err.status === 408;
}

function isAuthRefused(err: unknown): boolean {
  return err instanceof ApiProblemError && (err.status === 401 || err.status === 403);
}

/** Reachability of the server, logged on change only (not per retry). */
class Link {
  private down: string | null = null;
  constructor(private readonly log: AgentLog, private readonly server: string) {}
  failed(what: string, err: unknown, retryInMs: number): void {
    const reason = (err as Error).message;
    if (this.down === null) this.log("warn", "server unreachable; retrying with backoff", { server: this.server, during: what, error: reason, retryInMs });
    this.down = reason;
  }
  ok(): void {
    if (this.down !== null) this.log("info", "server reachable again", { server: this.server });
    this.down = null;
  }
}

async function enroll(o: AgentOptions, sleep: Sleep, random: () => number): Promise<Identity | null> {
  const token = await o.bootstrapToken();
  o.addSecret(token);
  const client = o.client(token);
  const backoff = new Backoff({ random });
  const link = new Link(o.log, o.server);
  o.log("info", "enrolling", { server: o.server, name: o.name });
  for (;;) {
    try {
      const r = await client.enroll({ name: o.name });
      o.addSecret(r.credential);
      const identity: Identity = { nodeId: r.node.id, name: r.node.name, server: o.server, credential: r.credential, enrolledAt: new Date((o.now ?? Date.now)()).toISOString() };
      await o.stateDir.save(identity);
      o.log("info", "enrolled", { nodeId: identity.nodeId, name: identity.name, state: r.node.state, identityFile: o.stateDir.file, heartbeatSeconds: r.heartbeatSeconds });
      return identity;
    } catch (err) {
      if (!isRetryable(err)) {
        throw new AgentFatalError(`cannot enroll node ${o.name} with ${o.server}: ${(err as Error).message}; ${isAuthRefused(err) ? "the bootstrap token is unknown, expired or used up: create a new one with hostplane token bootstrap" : "fix the request and start the agent again"}`, { cause: err });
      }
      const delay = backoff.next();
      link.failed("enroll", err, delay);
      if (!(await sleep(delay, o.signal))) return null;
    }
  }
}

export async function runAgent(o: AgentOptions): Promise<AgentExit> {
  const sleep = o.sleep ?? realSleep;
  const random = o.random ?? Math.random;
  let identity = await o.stateDir.load();
  if (identity) {
    o.addSecret(identity.credential);
    o.log("info", "using stored credential", { nodeId: identity.nodeId, name: identity.name, identityFile: o.stateDir.file });
    if (identity.name !== o.name) o.log("warn", "node name differs from the enrolled one; keeping the enrolled name", { enrolled: identity.name, given: o.name });
  } else {
    identity = await enroll(o, sleep, random);
    if (identity === null) return "stopped";
  }
  const id = identity;
  const client = o.client(id.credential);
  const link = new Link(o.log, o.server);
  const done = new AbortController();
  const signal = AbortSignal.any([o.signal, done.signal]);
  let accepted = false;
  let ending: AgentExit | null = null;
  const finish = (why: AgentExit) => { ending ??= why; done.abort(); };

  /** Shared handling of a failed call: revoked, fatal, or back off. */
  const failed = async (what: string, err: unknown, backoff: Backoff): Promise<void> => {
    if (signal.aborted) return;
    if (isAuthRefused(err)) {
      if (accepted) { o.log("warn", "the server refuses this node's credential: it was revoked", { nodeId: id.nodeId, status: (err as ApiProblemError).status }); finish("revoked"); return; }
      throw new AgentFatalError(`the server ${o.server} refuses the stored credential of node ${id.name} (${id.nodeId}): ${(err as Error).message}; if this node was decommissioned or the server's database replaced, remove ${o.stateDir.file} and enroll again with a new bootstrap token`, { cause: err });
    }
    const delay = backoff.next();
    if (isRetryable(err)) link.failed(what, err, delay);
    else o.log("error", `${what} refused by the server; retrying`, { error: (err as Error).message, retryInMs: delay });
    await sleep(delay, signal);
  };

  const heartbeats = async () => {
    const backoff = new Backoff({ random });
    let sentHash: string | null = null;
    while (!signal.aborted) {
      try {
        const started = performance.now();
        const { facts, contract } = await o.facts();
        const hash = factsHash(facts);
        const base = { factsHash: hash, contract: contract.summary };
        let withFacts = hash !== sentHash;
        let r = await client.heartbeat(id.nodeId, withFacts ? { ...base, facts: wire(facts) } : base);
        if (r.needFacts) {
          withFacts = true;
          r = await client.heartbeat(id.nodeId, { ...base, facts: wire(facts) });
        }
        sentHash = hash;
        accepted = true;
        link.ok();
        backoff.reset();
        const durationMs = Math.round((performance.now() - started) * 10) / 10;
        o.log(withFacts ? "info" : "debug", withFacts ? "heartbeat with facts" : "heartbeat", { factsHash: hash, contractOk: contract.summary.ok, durationMs, state: r.desired.state });
        if (r.desired.decommission) { decommissioned(r.desired, "heartbeat"); return; }
        await sleep(r.heartbeatSeconds * 1000, signal);
      } catch (err) {
        await failed("heartbeat", err, backoff);
      }
    }
  };

  const decommissioned = (d: DesiredState, via: string) => {
    o.log("info", "node is being decommissioned; wiping the credential and stopping", { nodeId: id.nodeId, version: d.version, state: d.state, via });
    finish("decommissioned");
  };

  const desired = async () => {
    const backoff = new Backoff({ random });
    let since = -1;
    const waitSeconds = o.waitSeconds ?? 30;
    while (!signal.aborted) {
      const started = performance.now();
      try {
        // No `since` on the first call: the server answers at once with the current state.
        const d = await client.desired(id.nodeId, since < 0 ? { waitSeconds, signal } : { since, waitSeconds, signal });
        accepted = true;
        link.ok();
        backoff.reset();
        if (d.version > since) {
          o.log("info", since < 0 ? "desired state" : "desired state changed", { version: d.version, state: d.state, decommission: d.decommission, drain: d.drain !== null, via: "long-poll" });
          since = d.version;
        }
        if (d.decommission) { decommissioned(d, "long-poll"); return; }
        // A server that answers at once without a change (shutting down, a short maxWait) must not make this a busy loop.
        if (performance.now() - started < 1000) await sleep(1000, signal);
      } catch (err) {
        await failed("desired-state poll", err, backoff);
      }
    }
  };

  o.log("info", "agent running", { nodeId: id.nodeId, name: id.name, server: o.server });
  try {
    await Promise.all([heartbeats(), desired()]);
  } catch (err) {
    done.abort();
    throw err;
  }
  const why: AgentExit = ending ?? "stopped";
  if (why !== "stopped") {
    await o.stateDir.wipe();
    o.log("info", why === "decommissioned" ? "decommissioned: credential wiped, agent stops" : "credential revoked: credential wiped, agent stops", { nodeId: id.nodeId, identityFile: o.stateDir.file });
  }
  return why;
}
