/**
 * The server under test: the real app over a real SQLite repository
 * (`:memory:`, migrated), a fake clock, captured log records, and tokens for
 * each operator role. Every secret issued through it is remembered, so a test
 * can check that none reached a log line.
 */
import assert from "node:assert/strict";
import { openDatabase, type Repository } from "../../src/db/index.js";
import { factsHash } from "../../src/fleet/facts-hash.js";
import type { NodeFacts } from "../../src/fleet/node.js";
import { createApp, issueOperatorToken, type App, type LogRecord, type ServerConfig } from "../../src/server/index.js";

export class FakeClock {
  constructor(public t = Date.parse("2026-11-20T10:00:00.000Z")) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary answer shapes
}

export interface RequestOptions {
  token?: string;
  /** A JSON value (serialised) or a string sent as is. */
  body?: unknown;
  raw?: string;
  contentType?: string | null;
  ip?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface TestServer {
  app: App;
  repo: Repository;
  clock: FakeClock;
  logs: LogRecord[];
  /** Every token handed out through this harness or the API (enroll credentials, created tokens). */
  secrets: string[];
  admin: string;
  operator: string;
  viewer: string;
  request(method: string, path: string, options?: RequestOptions): Promise<Answer>;
  /** Create a bootstrap token through the API as admin. */
  bootstrap(body?: Record<string, unknown>): Promise<string>;
  /** Enroll `name` with a fresh bootstrap token; returns the node id and its credential. */
  enroll(name: string): Promise<{ id: string; credential: string }>;
  /** Heartbeat with facts and a contract summary (ok or failing). */
  heartbeat(node: { id: string; credential: string }, options?: { ok?: boolean; failing?: string[]; facts?: NodeFacts }): Promise<Answer>;
  close(): Promise<void>;
}

export function sampleFacts(hostname: string, overrides: Partial<NodeFacts> = {}): NodeFacts {
  return {
    hostname, kernel: "6.1.0-hostplane", currentSystem: "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system", bootedSystem: "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system",
    generations: [{ number: 41, path: "/nix/var/nix/profiles/system-41-link", current: false }, { number: 42, path: "/nix/var/nix/profiles/system-42-link", current: true }],
    freeBytes: { "/nix": 50e9, "/boot": 400e6 }, nixTrust: { "require-sigs": true }, workloads: [], contract: { schema: "hostplane.contract-report/v1" }, agentVersion: "0.1.0",
    ...overrides,
  };
}

export async function startTestServer(config: Partial<ServerConfig> = {}): Promise<TestServer> {
  const repo = await openDatabase(":memory:", { migrate: true });
  const clock = new FakeClock();
  const logs: LogRecord[] = [];
  const app = createApp({ repo, clock, config, logger: (r) => logs.push(r) });
  const secrets: string[] = [];
  const issue = async (name: string, role: "viewer" | "operator" | "admin") => {
    const t = await issueOperatorToken(repo, { name, role, expiresAt: null }, { actor: "local:test", at: new Date(clock.now()).toISOString() });
    secrets.push(t.token);
    return t.token;
  };
  const [admin, operator, viewer] = [await issue("alice", "admin"), await issue("oscar", "operator"), await issue("victor", "viewer")];

  const request = async (method: string, path: string, o: RequestOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined && o.contentType !== null) headers["content-type"] = o.contentType ?? "application/json";
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}), ...(o.signal ? { signal: o.signal } : {}) }, { remoteAddress: o.ip ?? "192.0.2.1" });
    const text = await res.text();
    let json: unknown;
    try { json = JSON.parse(text); } catch { json = undefined; }
    // Remember secrets the API hands out, wherever they appear.
    for (const m of text.matchAll(/hp_(?:op|boot|node)_[0-9a-f]{16}_[\w-]{43}/g)) secrets.push(m[0]);
    return { status: res.status, headers: res.headers, text, json };
  };

  const bootstrap = async (body: Record<string, unknown> = {}) => {
    const r = await request("POST", "/v1/bootstrap-tokens", { token: admin, body });
    assert.equal(r.status, 201, r.text);
    return (r.json as { token: string }).token;
  };

  const enroll = async (name: string) => {
    const r = await request("POST", "/v1/enroll", { token: await bootstrap(), body: { name } });
    assert.equal(r.status, 201, r.text);
    const answer = r.json as { node: { id: string }; credential: string };
    return { id: answer.node.id, credential: answer.credential };
  };

  const heartbeat = (node: { id: string; credential: string }, o: { ok?: boolean; failing?: string[]; facts?: NodeFacts } = {}) => {
    const facts = o.facts ?? sampleFacts(node.id.replace("_", "-"));
    const failing = o.failing ?? (o.ok === false ? ["kvm.device"] : []);
    return request("POST", `/v1/nodes/${node.id}/heartbeat`, {
      token: node.credential,
      body: { factsHash: factsHash(facts), facts, contract: { ok: o.ok ?? failing.length === 0, failing, evaluatedAt: new Date(clock.now()).toISOString() } },
    });
  };

  return { app, repo, clock, logs, secrets, admin, operator, viewer, request, bootstrap, enroll, heartbeat, close: () => repo.close() };
}

/** Assert an RFC 9457 problem answer with this status and code. */
export function assertProblem(r: Answer, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get("content-type"), "application/problem+json", `content-type of ${r.text}`);
  const problem = r.json as Record<string, unknown>;
  assert.equal(problem.status, status);
  assert.equal(problem.code, code);
  assert.equal(problem.type, `urn:hostplane:problem:${code}`);
  assert.equal(typeof problem.title, "string");
  assert.equal(typeof problem.detail, "string");
  assert.doesNotMatch(r.text, /\bat .*\.js:\d+|node_modules|Error:/, "no stack trace or internal error text");
}
