/**
 * The agent's client of the /v1 API: enroll, heartbeat, the desired-state
 * long-poll and its own node. Answers are checked (wire.ts); a problem answer
 * becomes ApiProblemError (4xx), a 5xx or an answer the API does not promise
 * ApiServerError, no answer at all an HttpError. The bearer token goes into
 * the Authorization header and nowhere else. The CLI's client
 * (src/server/api-client.ts) does the same for operators with zod and fetch,
 * which the resident agent cannot afford.
 */
import { ApiProblemError, ApiServerError, HttpError, redactUrl } from "../http/index.js";
import type { HeartbeatRequest } from "../server/schemas.js";
import type { Transport } from "./http-transport.js";
import {
  decode, type AgentDesired, type ConfirmAnswer, type EnrollAnswer, type HeartbeatAnswer, type NodeRef, type OperationStatus, type Problem,
} from "./wire.js";

export { ApiProblemError, ApiServerError };

export interface EnrollBody {
  name: string;
  /** A node credential the agent made itself (hp_node_<id>_<secret>); servers that predate it answer their own. */
  credential?: string;
}

/** What the agent asks of the server (a fake in unit tests). */
export interface AgentApi {
  enroll(body: EnrollBody): Promise<EnrollAnswer>;
  heartbeat(nodeId: string, body: HeartbeatRequest): Promise<HeartbeatAnswer>;
  /** Long-poll: answers when the node's version exceeds `since`, or after `waitSeconds` (≤ 60). */
  desired(nodeId: string, options?: { since?: number; waitSeconds?: number; signal?: AbortSignal }): Promise<AgentDesired>;
  /** The node this client's credential belongs to, looked up by name (a node may read only itself). */
  ownNode(name: string): Promise<NodeRef>;
}

/** One step of an operation, as POST …/operations/{op}/events carries it. */
export interface OperationEvent {
  epoch: number;
  step: string;
  ok: boolean;
  at: string;
  detail?: string;
  data?: Record<string, unknown>;
}

export interface ConfirmRequest {
  epoch: number;
  healthy: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
}

/** The operation calls of the apply protocol (docs/ops/upgrades-and-rollback.md, "Wire protocol"). */
export interface OperationApi {
  operationEvent(nodeId: string, opId: string, event: OperationEvent): Promise<void>;
  /** Over a fresh connection (a new TCP connection, not the heartbeats' keep-alive one); waits up to `waitSeconds` for a decision. */
  confirm(nodeId: string, opId: string, body: ConfirmRequest, options: { waitSeconds: number; signal?: AbortSignal }): Promise<ConfirmAnswer>;
  operationStatus(nodeId: string, opId: string): Promise<OperationStatus>;
}

export interface AgentClientOptions {
  server: string;
  token: string;
  transport: Transport;
  /** For confirmations: a transport that opens a new connection per request (default: `transport`). */
  freshTransport?: Transport;
  /** Per-request deadline (long-polls add their wait on top). Default 10 s. */
  timeoutMs?: number;
}

function opPath(nodeId: string, opId: string): string {
  return `/v1/nodes/${encodeURIComponent(nodeId)}/operations/${encodeURIComponent(opId)}`;
}

export class AgentClient implements AgentApi, OperationApi {
  private readonly base: string;
  private readonly shown: string;

  constructor(private readonly options: AgentClientOptions) {
    let base = options.server;
    while (base.endsWith("/")) base = base.slice(0, -1);
    this.base = base;
    this.shown = redactUrl(base);
  }

  enroll(body: EnrollBody) { return this.call("POST", "/v1/enroll", decode.EnrollResponse, { body }); }
  heartbeat(nodeId: string, body: HeartbeatRequest) {
    return this.call("POST", `/v1/nodes/${encodeURIComponent(nodeId)}/heartbeat`, decode.HeartbeatResponse, { body });
  }
  desired(nodeId: string, options: { since?: number; waitSeconds?: number; signal?: AbortSignal } = {}) {
    const q = new URLSearchParams();
    if (options.since !== undefined) q.set("since", String(options.since));
    if (options.waitSeconds !== undefined) q.set("wait", String(options.waitSeconds));
    return this.call("GET", `/v1/nodes/${encodeURIComponent(nodeId)}/desired?${q.toString()}`, decode.DesiredState, {
      extraMs: (options.waitSeconds ?? 0) * 1000, ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  ownNode(name: string) { return this.call("GET", `/v1/nodes/${encodeURIComponent(name)}`, decode.NodeRef); }

  async operationEvent(nodeId: string, opId: string, event: OperationEvent): Promise<void> {
    await this.call("POST", `${opPath(nodeId, opId)}/events`, () => undefined, { body: event });
  }
  confirm(nodeId: string, opId: string, body: ConfirmRequest, options: { waitSeconds: number; signal?: AbortSignal }) {
    return this.call("POST", `${opPath(nodeId, opId)}/confirm?wait=${options.waitSeconds}`, decode.ConfirmAnswer, {
      body, extraMs: options.waitSeconds * 1000, fresh: true, ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  operationStatus(nodeId: string, opId: string) { return this.call("GET", opPath(nodeId, opId), decode.OperationStatus); }

  private async call<T>(method: string, path: string, check: (v: unknown) => T, options: { body?: unknown; extraMs?: number; signal?: AbortSignal; fresh?: boolean } = {}): Promise<T> {
    const shown = `${method} ${this.shown}${path}`;
    const headers: Record<string, string> = { accept: "application/json, application/problem+json", authorization: `Bearer ${this.options.token}` };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const timeoutMs = (this.options.timeoutMs ?? 10_000) + (options.extraMs ?? 0);
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    let res;
    try {
      const transport = options.fresh === true ? this.options.freshTransport ?? this.options.transport : this.options.transport;
      res = await transport({ method, url: `${this.base}${path}`, headers, signal, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
    } catch (err) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      if (deadline.aborted) throw new HttpError("timeout", this.shown, `${shown} timed out after ${timeoutMs} ms; check that the server is up`, { cause: err });
      const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
      const why = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : (err as Error).message;
      throw new HttpError("cannot-connect", this.shown, `cannot reach the hostplane server: ${shown}: ${why}; check --server, the network and that the server runs`, { cause: err });
    }
    let data: unknown;
    try {
      data = res.body === "" ? undefined : JSON.parse(res.body);
    } catch (err) {
      throw new ApiServerError(`${shown} answered HTTP ${res.status} with a body that is not JSON; is --server a hostplane server?`, res.status, { cause: err });
    }
    if (res.status < 200 || res.status > 299) {
      let problem: Problem | null = null;
      try { problem = decode.Problem(data); } catch { /* not a problem document */ }
      const retryAfter = Number(res.retryAfter ?? "NaN");
      if (problem && res.status < 500) throw new ApiProblemError(problem, method, `${this.shown}${path}`, Number.isFinite(retryAfter) ? retryAfter : null);
      throw new ApiServerError(`${shown} failed: ${problem ? `${problem.detail} (HTTP ${res.status} ${problem.code})` : `HTTP ${res.status}`}`, res.status);
    }
    try {
      return check(data);
    } catch (err) {
      throw new ApiServerError(`${shown} answered HTTP ${res.status} with a body that does not match the API (${(err as Error).message}); is the server a compatible hostplane version?`, res.status, { cause: err });
    }
  }
}
