/**
 * A client of the /v1 API for the CLI and the agent. Every answer is checked
 * against the same schemas the server answers with; a problem answer becomes
 * ApiProblemError (4xx: the request was refused) or ApiServerError (5xx, or an
 * answer that is not what the API promises); no answer at all is an HttpError.
 * The token goes into the Authorization header and nowhere else (not into
 * messages). Loads zod only, not the server's framework.
 */
import type { z } from "zod";
import { ApiProblemError, ApiServerError, HttpError, redactUrl } from "../http/index.js";
import type { LifecycleAction } from "../fleet/node.js";
import type { ReleaseManifest } from "../fleet/release.js";
import type { RolloutPolicyInput } from "../fleet/rollout-policy.js";
import {
  ConfirmAnswerSchema, DriftListSchema, OperationEventAnswerSchema, OperationListSchema, OperationSchema, ReleaseListSchema, ReleaseSchema,
  RolloutDetailSchema, RolloutEventListSchema, RolloutListSchema,
} from "./rollout-schemas.js";
import {
  AuditListSchema, BootstrapCreatedSchema, DesiredWithOperationSchema, EnrollResponseSchema, HeartbeatResponseSchema, NodeDetailSchema,
  NodeListSchema, ProblemSchema, TokenCreatedSchema, TokenInfoSchema, TokenListSchema, type HeartbeatRequest,
} from "./schemas.js";

export { ApiProblemError, ApiServerError };

export interface ApiClientOptions {
  /** e.g. https://control.example:8443 (a trailing slash is fine). */
  server: string;
  /** Bearer token; absent for unauthenticated calls (health). */
  token?: string;
  /** Per-request deadline (long-polls add their wait on top). Default 30 s. */
  timeoutMs?: number;
  /** A fetch to use instead of the global one (tests pass the app's in-process handler). */
  fetch?: (request: Request) => Promise<Response>;
}

type Action = LifecycleAction & ("cordon" | "uncordon" | "drain" | "decommission");

function opPath(node: string, op: string): string {
  return `/v1/nodes/${encodeURIComponent(node)}/operations/${encodeURIComponent(op)}`;
}

export class ApiClient {
  private readonly base: string;
  private readonly shown: string;

  constructor(private readonly options: ApiClientOptions) {
    let base = options.server;
    while (base.endsWith("/")) base = base.slice(0, -1);
    this.base = base;
    this.shown = redactUrl(this.base);
  }

  // Operators.
  listNodes() { return this.call("GET", "/v1/nodes", NodeListSchema); }
  getNode(ref: string) { return this.call("GET", `/v1/nodes/${encodeURIComponent(ref)}`, NodeDetailSchema); }
  nodeAction(ref: string, action: Action, body?: { deadlineSeconds?: number; force?: boolean }) {
    return this.call("POST", `/v1/nodes/${encodeURIComponent(ref)}/${action}`, NodeDetailSchema, body === undefined ? {} : { body });
  }
  createToken(body: { name: string; role: "viewer" | "operator" | "admin"; expiresInSeconds?: number }) {
    return this.call("POST", "/v1/tokens", TokenCreatedSchema, { body });
  }
  listTokens() { return this.call("GET", "/v1/tokens", TokenListSchema); }
  revokeToken(id: string) { return this.call("DELETE", `/v1/tokens/${encodeURIComponent(id)}`, TokenInfoSchema); }
  createBootstrapToken(body: { ttlSeconds?: number; uses?: number; labels?: Record<string, string>; role?: "microvm-host" | "control-plane" }) {
    return this.call("POST", "/v1/bootstrap-tokens", BootstrapCreatedSchema, { body });
  }
  listAudit(query: { target?: string; after?: number; limit?: number } = {}) {
    const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.call("GET", `/v1/audit${q.size > 0 ? `?${q.toString()}` : ""}`, AuditListSchema);
  }

  // Releases, rollouts, operations and drift.
  /** The manifest as read from its file: the server validates it (400 with every problem) and checks its closures (422). */
  createRelease(manifest: ReleaseManifest | Record<string, unknown>) { return this.call("POST", "/v1/releases", ReleaseSchema, { body: manifest }); }
  listReleases() { return this.call("GET", "/v1/releases", ReleaseListSchema); }
  getRelease(ref: string) { return this.call("GET", `/v1/releases/${encodeURIComponent(ref)}`, ReleaseSchema); }
  startRollout(body: { release: string; policy?: RolloutPolicyInput }) { return this.call("POST", "/v1/rollouts", RolloutDetailSchema, { body }); }
  listRollouts() { return this.call("GET", "/v1/rollouts", RolloutListSchema); }
  getRollout(id: string) { return this.call("GET", `/v1/rollouts/${encodeURIComponent(id)}`, RolloutDetailSchema); }
  pauseRollout(id: string) { return this.call("POST", `/v1/rollouts/${encodeURIComponent(id)}/pause`, RolloutDetailSchema); }
  resumeRollout(id: string) { return this.call("POST", `/v1/rollouts/${encodeURIComponent(id)}/resume`, RolloutDetailSchema); }
  abortRollout(id: string, body: { reason: string; rollback?: boolean }) {
    return this.call("POST", `/v1/rollouts/${encodeURIComponent(id)}/abort`, RolloutDetailSchema, { body });
  }
  /** Long-poll: the events after `after`, waiting up to `waitSeconds` (≤ 60) when there are none yet; `next` is the next `after`. */
  rolloutEvents(id: string, options: { after?: number; waitSeconds?: number; signal?: AbortSignal } = {}) {
    const q = new URLSearchParams();
    if (options.after !== undefined) q.set("after", String(options.after));
    if (options.waitSeconds !== undefined) q.set("wait", String(options.waitSeconds));
    return this.call("GET", `/v1/rollouts/${encodeURIComponent(id)}/events?${q.toString()}`, RolloutEventListSchema, {
      extraMs: (options.waitSeconds ?? 0) * 1000, ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  nodeOperations(ref: string, query: { before?: number; limit?: number } = {}) {
    const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.call("GET", `/v1/nodes/${encodeURIComponent(ref)}/operations${q.size > 0 ? `?${q.toString()}` : ""}`, OperationListSchema);
  }
  getOperation(ref: string, op: string) { return this.call("GET", opPath(ref, op), OperationSchema); }
  drift() { return this.call("GET", "/v1/drift", DriftListSchema); }

  // Agents.
  enroll(body: { name: string; role?: "microvm-host" | "control-plane"; facts?: unknown }) {
    return this.call("POST", "/v1/enroll", EnrollResponseSchema, { body });
  }
  heartbeat(nodeId: string, body: HeartbeatRequest) {
    return this.call("POST", `/v1/nodes/${encodeURIComponent(nodeId)}/heartbeat`, HeartbeatResponseSchema, { body });
  }
  /** Long-poll: answers when the node's version exceeds `since`, or after `waitSeconds` (≤ 60). */
  desired(nodeId: string, options: { since?: number; waitSeconds?: number; signal?: AbortSignal } = {}) {
    const q = new URLSearchParams();
    if (options.since !== undefined) q.set("since", String(options.since));
    if (options.waitSeconds !== undefined) q.set("wait", String(options.waitSeconds));
    return this.call("GET", `/v1/nodes/${encodeURIComponent(nodeId)}/desired?${q.toString()}`, DesiredWithOperationSchema, {
      extraMs: (options.waitSeconds ?? 0) * 1000, ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  operationEvent(nodeId: string, op: string, body: { epoch: number; step: string; ok: boolean; at: string; detail?: string; data?: Record<string, unknown> }) {
    return this.call("POST", `${opPath(nodeId, op)}/events`, OperationEventAnswerSchema, { body });
  }
  /** Waits up to `waitSeconds` (≤ 60) for the rollout's decision. */
  confirm(nodeId: string, op: string, body: { epoch: number; healthy: boolean; checks: { name: string; ok: boolean; detail: string }[] }, waitSeconds = 0) {
    return this.call("POST", `${opPath(nodeId, op)}/confirm?wait=${waitSeconds}`, ConfirmAnswerSchema, { body, extraMs: waitSeconds * 1000 });
  }

  private async call<S extends z.ZodType>(
    method: string, path: string, schema: S,
    options: { body?: unknown; extraMs?: number; signal?: AbortSignal } = {},
  ): Promise<z.output<S>> {
    const url = `${this.base}${path}`;
    const shown = `${method} ${this.shown}${path}`;
    const headers: Record<string, string> = { accept: "application/json, application/problem+json" };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const timeoutMs = (this.options.timeoutMs ?? 30_000) + (options.extraMs ?? 0);
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const init: RequestInit = { method, headers, signal, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) };
    let res: Response;
    let text: string;
    try {
      res = await (this.options.fetch ? this.options.fetch(new Request(url, init)) : fetch(url, init));
      text = await res.text();
    } catch (err) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      if (deadline.aborted) throw new HttpError("timeout", this.shown, `${shown} timed out after ${timeoutMs} ms; check that the server is up`, { cause: err });
      const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
      const why = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : (err as Error).message;
      throw new HttpError("cannot-connect", this.shown, `cannot reach the hostplane server: ${shown}: ${why}; check --server, the network and that the server runs`, { cause: err });
    }
    let data: unknown;
    try {
      data = text === "" ? undefined : JSON.parse(text);
    } catch (err) {
      throw new ApiServerError(`${shown} answered HTTP ${res.status} with a body that is not JSON; is --server a hostplane server?`, res.status, { cause: err });
    }
    if (!res.ok) {
      const problem = ProblemSchema.safeParse(data);
      const retryAfter = Number(res.headers.get("retry-after") ?? "NaN");
      if (problem.success && res.status < 500) throw new ApiProblemError(problem.data, method, url, Number.isFinite(retryAfter) ? retryAfter : null);
      const detail = problem.success ? `${problem.data.detail} (HTTP ${res.status} ${problem.data.code})` : `HTTP ${res.status}`;
      throw new ApiServerError(`${shown} failed: ${detail}`, res.status);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new ApiServerError(`${shown} answered HTTP ${res.status} with a body that does not match the API (${parsed.error.issues[0]?.path.join(".") ?? ""}: ${parsed.error.issues[0]?.message ?? ""}); is the server a compatible hostplane version?`, res.status);
    }
    return parsed.data;
  }
}
