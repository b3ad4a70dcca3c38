/**
 * A stand-in control plane for apply tests: the agent-facing endpoints a real
 * agent needs (enroll, heartbeat, the desired-state long-poll, its own node)
 * plus the operation endpoints of docs/ops/upgrades-and-rollback.md ("Wire
 * protocol"): events, confirm?wait=S, GET operation. The real server's
 * endpoints are being built in parallel to the same document; the end-to-end
 * suite with the real server comes later. This one records every call, lets
 * a test decide confirmations (confirm, refuse, or never decide), and counts
 * the TCP connections each confirmation arrived on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface OpEvent { node: string; op: string; epoch: number; step: string; ok: boolean; at: string; detail?: string; data?: Record<string, unknown> }
export interface ConfirmCall { node: string; op: string; wait: number; body: { epoch: number; healthy: boolean; checks: { name: string; ok: boolean; detail: string }[] }; socket: number; at: number }
export type Decision = "confirmed" | "refused" | "pending";

interface NodeState {
  id: string;
  name: string;
  version: number;
  operation: Record<string, unknown> | null;
  facts: Record<string, unknown> | null;
  waiters: Set<() => void>;
}

export class ApplyControlPlane {
  private server: Server | undefined;
  private readonly nodes = new Map<string, NodeState>();
  private readonly sockets = new WeakMap<Socket, number>();
  private nextSocket = 1;
  readonly events: OpEvent[] = [];
  readonly confirms: ConfirmCall[] = [];
  readonly statusCalls: { node: string; op: string }[] = [];
  /** How confirmations are answered, per operation id (default: confirmed when healthy). */
  decide: (op: string, healthy: boolean) => Decision = (_op, healthy) => (healthy ? "confirmed" : "refused");
  /** The decision GET …/operations/{op} reports (default: the last confirm answer given, else null). */
  readonly decisions = new Map<string, Decision>();
  port = 0;

  async start(host: string): Promise<void> {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    this.server.on("connection", (s: Socket) => { this.sockets.set(s, this.nextSocket++); });
    await new Promise<void>((r) => this.server!.listen(0, host, r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const n of this.nodes.values()) for (const w of n.waiters) w();
    await new Promise<void>((r) => { this.server?.closeAllConnections(); this.server?.close(() => r()); });
  }

  node(name: string): NodeState {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`node ${name} has not enrolled`);
    return n;
  }

  hasNode(name: string): boolean {
    return this.nodes.has(name);
  }

  /** Offers `op` (or null) in the node's desired state, waking its long-poll. */
  setOperation(name: string, op: Record<string, unknown> | null): void {
    const n = this.node(name);
    n.operation = op;
    n.version++;
    for (const w of n.waiters) w();
  }

  stepsOf(op: string): string[] {
    return this.events.filter((e) => e.op === op).map((e) => e.step);
  }

  private desired(n: NodeState) {
    return { version: n.version, state: "Ready", drain: null, decommission: false, operation: n.operation };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = "";
    for await (const c of req) text += (c as Buffer).toString("utf8");
    const body = text === "" ? undefined : JSON.parse(text) as Record<string, unknown>;
    const url = new URL(req.url ?? "/", "http://x");
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { "content-type": status >= 400 ? "application/problem+json" : "application/json" }).end(JSON.stringify(data));
    };
    const problem = (status: number, code: string, detail: string) => send(status, { type: `urn:hostplane:${code}`, title: code, status, detail, code });
    const parts = url.pathname.split("/").filter((p) => p !== "").map(decodeURIComponent);
    if (req.method === "POST" && url.pathname === "/v1/enroll") {
      const name = String(body?.name);
      const id = `n_${name}`;
      if (!this.nodes.has(name)) this.nodes.set(name, { id, name, version: 1, operation: null, facts: null, waiters: new Set() });
      send(201, { node: { id, name, state: "Ready" }, credential: body?.credential ?? `hp_node_${name}`, heartbeatSeconds: 1, leaseSeconds: 10 });
      return;
    }
    const n = [...this.nodes.values()].find((x) => x.id === parts[2] || x.name === parts[2]);
    if (parts[0] !== "v1" || parts[1] !== "nodes" || n === undefined) { problem(404, "not-found", `no route or node for ${req.method} ${url.pathname}`); return; }
    if (req.method === "GET" && parts.length === 3) { send(200, { id: n.id, name: n.name, state: "Ready" }); return; }
    if (req.method === "POST" && parts[3] === "heartbeat") {
      if (body?.facts !== undefined) n.facts = body.facts as Record<string, unknown>;
      send(200, { needFacts: n.facts === null, desired: this.desired(n), heartbeatSeconds: 1 });
      return;
    }
    if (req.method === "GET" && parts[3] === "desired") {
      const since = Number(url.searchParams.get("since") ?? "-1");
      const wait = Number(url.searchParams.get("wait") ?? "0");
      if (n.version <= since && wait > 0) {
        await new Promise<void>((resolve) => {
          const done = () => { clearTimeout(timer); n.waiters.delete(done); resolve(); };
          const timer = setTimeout(done, wait * 1000);
          n.waiters.add(done);
          req.on("close", done);
        });
      }
      if (!res.writableEnded && !res.destroyed) send(200, this.desired(n));
      return;
    }
    if (parts[3] === "operations" && parts[4] !== undefined) {
      const op = parts[4];
      const current = n.operation?.id === op ? n.operation : null;
      if (req.method === "POST" && parts[5] === "events") {
        const e = body as unknown as Omit<OpEvent, "node" | "op">;
        this.events.push({ node: n.name, op, ...e });
        if (current === null || current.epoch !== e.epoch) { problem(409, "stale-operation", `operation ${op} epoch ${e.epoch} is not this node's current operation`); return; }
        res.writeHead(204).end();
        return;
      }
      if (req.method === "POST" && parts[5] === "confirm") {
        const call: ConfirmCall = { node: n.name, op, wait: Number(url.searchParams.get("wait")), body: body as unknown as ConfirmCall["body"], socket: this.sockets.get(req.socket) ?? 0, at: Date.now() };
        this.confirms.push(call);
        if (current === null) { problem(409, "stale-operation", `operation ${op} was withdrawn`); return; }
        let decision = this.decide(op, call.body.healthy);
        if (decision === "pending" && call.wait > 0) {
          // Holds the request for its wait (capped, so test runs stay short), as the real server's long-poll does.
          await new Promise((r) => setTimeout(r, Math.min(call.wait, 3) * 1000));
          decision = this.decide(op, call.body.healthy);
        }
        if (decision !== "pending") this.decisions.set(op, decision);
        if (!res.destroyed) send(200, { decision, ...(decision === "refused" ? { reason: "refused by the test's control plane" } : {}) });
        return;
      }
      if (req.method === "GET" && parts.length === 5) {
        this.statusCalls.push({ node: n.name, op });
        const decision = this.decisions.get(op) ?? null;
        const steps = this.stepsOf(op);
        send(200, { id: op, status: decision === "confirmed" ? "confirmed" : steps.includes("confirm-requested") ? "confirming" : steps.length > 0 ? "running" : "pending", decision });
        return;
      }
    }
    problem(404, "not-found", `no route for ${req.method} ${url.pathname}`);
  }
}
