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
import type { HeartbeatRequest } from "../server/schemas.js";
import type { AgentApi, ApiProblemError } from "./api.js";
import { Backoff, realSleep, type Sleep } from "./backoff.js";
import { enroll } from "./enroll.js";
import type { AgentFacts } from "./facts.js";
import type { ContractSnapshot } from "./contract-report.js";
import { leftoversToStop, mergeStops, stopsLeftovers, type LeftoverStop } from "./leftovers.js";
import { AgentFatalError, isAuthRefused, isRetryable, Link } from "./_link.js";
import type { AgentLog } from "./log.js";
import type { StateDir } from "./state-dir.js";
import type { AgentDesired, Operation } from "./wire.js";
import type { WorkloadAdapter } from "./workloads.js";

/** What applies operations (apply/runner.ts): resumes journals on start, takes operations one at a time. */
export interface Operations {
  start(): void;
  offer(op: Operation): void;
  idle(): Promise<void>;
}

export interface AgentOptions {
  server: string;
  name: string;
  stateDir: StateDir;
  /** Reads the bootstrap token; called only when the state directory holds no identity. */
  bootstrapToken: () => Promise<string>;
  /** An API client bearing `token`. */
  client: (token: string) => AgentApi;
  facts: () => Promise<{ facts: AgentFacts; contract: ContractSnapshot }>;
  /** The workload adapter the facts list; the agent stops through it only the leftovers of a forced drain (leftovers.ts). */
  workloads: Pick<WorkloadAdapter, "list" | "stop">;
  /** Applies the desired state's operations (absent: they are ignored), made once the node's identity is known. */
  operations?: (ctx: { credential: string; nodeId: string; signal: AbortSignal; reportFacts: () => Promise<void> }) => Operations;
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

/** The same data with anonymous object types, which the request schema's open objects accept. */
function wire(facts: AgentFacts, stops: readonly LeftoverStop[]): NonNullable<HeartbeatRequest["facts"]> {
  return {
    ...facts, generations: facts.generations.map((g) => ({ ...g })), workloads: facts.workloads.map((w) => ({ ...w })),
    ...(stops.length > 0 ? { forcedDrainStops: stops.map((s) => ({ ...s })) } : {}),
  };
}

export async function runAgent(o: AgentOptions): Promise<AgentExit> {
  const sleep = o.sleep ?? realSleep;
  const random = o.random ?? Math.random;
  const now = o.now ?? Date.now;
  let identity = await o.stateDir.load();
  if (identity) {
    o.addSecret(identity.credential);
    o.log("info", "using stored credential", { nodeId: identity.nodeId, name: identity.name, identityFile: o.stateDir.file });
    if (identity.name !== o.name) o.log("warn", "node name differs from the enrolled one; keeping the enrolled name", { enrolled: identity.name, given: o.name });
  } else {
    identity = await enroll({ ...o, sleep, random, now });
    if (identity === null) return "stopped";
  }
  const id = identity;
  const client = o.client(id.credential);
  const link = new Link(o.log, o.server);
  const done = new AbortController();
  const signal = AbortSignal.any([o.signal, done.signal]);
  let accepted = false;
  /**
   * Seen Decommissioning: the agent goes on reporting (the decommission drains first, and a drain ends only when
   * the node reports its workloads gone) until the server revokes the credential or shows Decommissioned.
   */
  let decommissioning = false;
  let ending: AgentExit | null = null;
  const finish = (why: AgentExit) => { ending ??= why; done.abort(); };
  /**
   * Facts on demand: an operation that changed the running system has them reported before its outcome, since the
   * rollout's bake judges a node by the system its facts name (a heartbeat later would show the old one meanwhile).
   */
  let gathered = 0;
  let wakeHeartbeat = () => {};
  const factsWaiters: { after: number; done: () => void }[] = [];
  const factsTaken = (gather: number) => {
    for (const w of factsWaiters.filter((x) => x.after <= gather)) { factsWaiters.splice(factsWaiters.indexOf(w), 1); w.done(); }
  };
  const reportFacts = (timeoutMs = 5000): Promise<void> => new Promise((resolve) => {
    const w = { after: gathered + 1, done: () => { clearTimeout(timer); resolve(); } };
    // Not an error when the server is unreachable: the outcome's report waits for it anyway.
    const timer = setTimeout(() => { factsWaiters.splice(factsWaiters.indexOf(w), 1); resolve(); }, timeoutMs);
    factsWaiters.push(w);
    wakeHeartbeat();
  });
  const operations = o.operations?.({ credential: id.credential, nodeId: id.nodeId, signal, reportFacts });
  operations?.start();

  /** Shared handling of a failed call: revoked, fatal, or back off. */
  const failed = async (what: string, err: unknown, backoff: Backoff): Promise<void> => {
    if (signal.aborted) return;
    if (isAuthRefused(err)) {
      if (accepted && decommissioning) { o.log("info", "the server refuses this node's credential: decommissioned", { nodeId: id.nodeId, status: (err as ApiProblemError).status }); finish("decommissioned"); return; }
      if (accepted) { o.log("warn", "the server refuses this node's credential: it was revoked", { nodeId: id.nodeId, status: (err as ApiProblemError).status }); finish("revoked"); return; }
      throw new AgentFatalError(`the server ${o.server} refuses the stored credential of node ${id.name} (${id.nodeId}): ${(err as Error).message}; if this node was decommissioned or the server's database replaced, remove ${o.stateDir.file} and enroll again with a new bootstrap token`, { cause: err });
    }
    const delay = backoff.next();
    if (isRetryable(err)) link.failed(what, err, delay);
    else o.log("error", `${what} refused by the server; retrying`, { error: (err as Error).message, retryInMs: delay });
    await sleep(delay, signal);
  };

  // Leftovers of a forced drain: stopped through the adapter, outcomes reported in the facts until the node leaves that state.
  let desiredNow: AgentDesired | null = null;
  let stops: LeftoverStop[] = [];
  let stopping = null as Promise<void> | null;
  const stopLeftovers = async (d: AgentDesired): Promise<void> => {
    let listed;
    try {
      listed = await o.workloads.list();
    } catch (err) {
      o.log("warn", "cannot list workloads to stop the leftovers of a forced drain", { error: (err as Error).message });
      return;
    }
    const batch: LeftoverStop[] = [];
    for (const workload of leftoversToStop(d, listed)) {
      if (signal.aborted) break;
      const started = performance.now();
      const at = new Date(now()).toISOString();
      try {
        await o.workloads.stop(workload);
        const durationMs = Math.round(performance.now() - started);
        batch.push({ id: workload, stopped: true, at, durationMs });
        o.log("info", "stopped a workload left by a forced drain", { workload, durationMs, drainStartedAt: d.drain?.startedAt });
      } catch (err) {
        const durationMs = Math.round(performance.now() - started);
        batch.push({ id: workload, stopped: false, at, durationMs, error: (err as Error).message });
        o.log("warn", "cannot stop a workload left by a forced drain; trying again at the next heartbeat", { workload, durationMs, error: (err as Error).message });
      }
    }
    stops = mergeStops(stops, batch);
  };
  /**
   * Follows the latest desired state: starts a stop pass when it asks for one and none is under way. Not awaited by
   * the loops: a systemd stop may take minutes, and heartbeats must go on meanwhile; outcomes go out with the next one.
   */
  const converge = (d: AgentDesired): void => {
    desiredNow = d;
    // Not awaited either: an operation takes minutes; the runner applies one at a time and ignores repeats.
    if (d.operation) operations?.offer(d.operation);
    if (!stopsLeftovers(d)) { stops = []; return; }
    // stopLeftovers catches every failure itself (a failed stop is an outcome, not an error).
    stopping ??= stopLeftovers(d).finally(() => { stopping = null; });
  };

  const heartbeats = async () => {
    const backoff = new Backoff({ random });
    let sentHash: string | null = null;
    while (!signal.aborted) {
      try {
        const started = performance.now();
        if (desiredNow !== null) converge(desiredNow);
        const gather = ++gathered;
        const { facts: fresh, contract } = await o.facts();
        const facts = wire(fresh, stops);
        const hash = factsHash(facts);
        const base = { factsHash: hash, contract: contract.summary };
        let withFacts = hash !== sentHash;
        let r = await client.heartbeat(id.nodeId, withFacts ? { ...base, facts } : base);
        if (r.needFacts) {
          withFacts = true;
          r = await client.heartbeat(id.nodeId, { ...base, facts });
        }
        sentHash = hash;
        accepted = true;
        link.ok();
        backoff.reset();
        const durationMs = Math.round((performance.now() - started) * 10) / 10;
        o.log(withFacts ? "info" : "debug", withFacts ? "heartbeat with facts" : "heartbeat", { factsHash: hash, contractOk: contract.summary.ok, durationMs, state: r.desired.state });
        if (decommissionedNow(r.desired, "heartbeat")) return;
        converge(r.desired);
        factsTaken(gather);
        const woken = new AbortController();
        wakeHeartbeat = () => woken.abort();
        if (factsWaiters.length === 0) await sleep(r.heartbeatSeconds * 1000, AbortSignal.any([signal, woken.signal]));
        wakeHeartbeat = () => {};
      } catch (err) {
        await failed("heartbeat", err, backoff);
      }
    }
  };

  /** True when the agent is to stop now (Decommissioned); notes a decommission under way. */
  const decommissionedNow = (d: AgentDesired, via: string): boolean => {
    if (d.decommission && !decommissioning) {
      decommissioning = true;
      o.log("info", "node is being decommissioned; reporting until the server lets it go", { nodeId: id.nodeId, version: d.version, state: d.state, via });
    }
    if (d.state !== "Decommissioned") return false;
    o.log("info", "node is decommissioned; wiping the credential and stopping", { nodeId: id.nodeId, version: d.version, via });
    finish("decommissioned");
    return true;
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
        if (decommissionedNow(d, "long-poll")) return;
        converge(d);
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
  } finally {
    await stopping;
    await operations?.idle();
  }
  const why: AgentExit = ending ?? "stopped";
  if (why !== "stopped") {
    await o.stateDir.wipe();
    o.log("info", why === "decommissioned" ? "decommissioned: credential wiped, agent stops" : "credential revoked: credential wiped, agent stops", { nodeId: id.nodeId, identityFile: o.stateDir.file });
  }
  return why;
}
