/**
 * Enrollment that survives a crash. Before the enroll request the agent makes
 * its own node credential and saves it as a pending enrollment; the server
 * stores that credential (hashed) in the same transaction that spends the
 * bootstrap token. So whatever happened to the answer — the agent crashed,
 * the connection dropped, the request timed out — the agent can find out by
 * presenting the pending credential: accepted means it is enrolled (save the
 * identity), refused (401) means it is not and the token was not spent
 * (enroll again with the same credential). A server that predates proposed
 * credentials answers one of its own, which the agent then keeps.
 */
import { newCredential } from "../server/credentials.js";
import { ApiProblemError, type AgentApi } from "./api.js";
import { Backoff, type Sleep } from "./backoff.js";
import { AgentFatalError, isAuthRefused, isRetryable, Link } from "./_link.js";
import type { AgentLog } from "./log.js";
import type { Identity, PendingEnrollment, StateDir } from "./state-dir.js";

export interface EnrollOptions {
  server: string;
  name: string;
  stateDir: StateDir;
  bootstrapToken: () => Promise<string>;
  client: (token: string) => AgentApi;
  log: AgentLog;
  addSecret: (secret: string) => void;
  signal: AbortSignal;
  sleep: Sleep;
  random: () => number;
  now: () => number;
}

/** Asks the server, with the pending credential, whether the node is enrolled: its identity, null when refused, "stopped" on a signal. */
async function probe(o: EnrollOptions, pending: PendingEnrollment): Promise<Identity | null | "stopped"> {
  const client = o.client(pending.credential);
  const backoff = new Backoff({ random: o.random });
  const link = new Link(o.log, o.server);
  for (;;) {
    try {
      const node = await client.ownNode(pending.name);
      return { nodeId: node.id, name: node.name, server: o.server, credential: pending.credential, enrolledAt: new Date(o.now()).toISOString() };
    } catch (err) {
      if (err instanceof ApiProblemError && !isRetryable(err)) return null;
      const delay = backoff.next();
      link.failed("enrollment check", err, delay);
      if (!(await o.sleep(delay, o.signal))) return "stopped";
    }
  }
}

async function saved(o: EnrollOptions, identity: Identity, how: Record<string, unknown>): Promise<Identity> {
  await o.stateDir.save(identity);
  await o.stateDir.removePending();
  o.log("info", "enrolled", { nodeId: identity.nodeId, name: identity.name, identityFile: o.stateDir.file, ...how });
  return identity;
}

/** Enrolls (or finishes an enrollment a crash interrupted); null when stopped by the signal first. */
export async function enroll(o: EnrollOptions): Promise<Identity | null> {
  let pending = await o.stateDir.loadPending();
  if (pending !== null) {
    o.addSecret(pending.credential);
    o.log("info", "found a pending enrollment; asking the server whether it went through", { name: pending.name, pendingFile: o.stateDir.pendingFile });
    const found = await probe(o, pending);
    if (found === "stopped") return null;
    if (found !== null) {
      if (found.name !== o.name) o.log("warn", "node name differs from the enrolled one; keeping the enrolled name", { enrolled: found.name, given: o.name });
      return saved(o, found, { recovered: true });
    }
    o.log("info", "the pending enrollment did not reach the server; enrolling with the same credential", { name: o.name });
    if (pending.name !== o.name || pending.server !== o.server) {
      pending = { ...pending, name: o.name, server: o.server };
      await o.stateDir.savePending(pending);
    }
  } else {
    pending = { name: o.name, server: o.server, credential: newCredential("node").token, createdAt: new Date(o.now()).toISOString() };
    o.addSecret(pending.credential);
    await o.stateDir.savePending(pending);
  }
  const token = await o.bootstrapToken();
  o.addSecret(token);
  const client = o.client(token);
  const backoff = new Backoff({ random: o.random });
  const link = new Link(o.log, o.server);
  o.log("info", "enrolling", { server: o.server, name: o.name });
  for (;;) {
    try {
      const r = await client.enroll({ name: o.name, credential: pending.credential });
      o.addSecret(r.credential);
      const identity: Identity = { nodeId: r.node.id, name: r.node.name, server: o.server, credential: r.credential, enrolledAt: new Date(o.now()).toISOString() };
      return await saved(o, identity, { state: r.node.state, heartbeatSeconds: r.heartbeatSeconds, proposedCredential: r.credential === pending.credential });
    } catch (err) {
      if (!isRetryable(err)) {
        // A retried request whose first try went through meets a spent token (401) or its own name (409): the credential tells.
        if (err instanceof ApiProblemError && (err.status === 401 || err.code === "name-taken")) {
          const found = await probe(o, pending);
          if (found === "stopped") return null;
          if (found !== null) return saved(o, found, { recovered: true });
        }
        throw new AgentFatalError(`cannot enroll node ${o.name} with ${o.server}: ${(err as Error).message}; ${isAuthRefused(err) ? "the bootstrap token is unknown, expired or used up: create a new one with hostplane token bootstrap" : "fix the request and start the agent again"}`, { cause: err });
      }
      const delay = backoff.next();
      link.failed("enroll", err, delay);
      if (!(await o.sleep(delay, o.signal))) return null;
    }
  }
}
