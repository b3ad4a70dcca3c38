/** The agent's loops with fake time: an unreachable server is retried on the full-jitter schedule and logged once; facts on demand for an operation's outcome. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { contractSnapshot } from "../../src/agent/contract-report.js";
import { AgentClient, runAgent, StateDir } from "../../src/agent/index.js";
import { resolveContractConfig } from "../../src/contract/index.js";
import { conformingFacts } from "../harness/facts.js";

test("server unreachable: each loop backs off 0.5 s → 30 s with jitter, one warning in all, SIGTERM stops it keeping the identity", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hp-agent-loop-"));
  try {
    const stateDir = new StateDir(join(dir, "state"));
    await stateDir.save({ nodeId: "n_0000000000000001", name: "h1", server: "http://192.0.2.1:1", credential: "hp_node_0000000000000001_" + "s".repeat(43), enrolledAt: "2026-01-01T00:00:00.000Z" });
    const stop = new AbortController();
    const sleeps: number[] = [];
    const logs: { level: string; msg: string }[] = [];
    const refused = () => Promise.reject(new TypeError("request failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) }));
    const snapshot = contractSnapshot(conformingFacts(), resolveContractConfig());
    const exit = await runAgent({
      server: "http://192.0.2.1:1", name: "h1", stateDir,
      bootstrapToken: () => Promise.reject(new Error("must not enroll with a stored identity")),
      client: (token) => new AgentClient({ server: "http://192.0.2.1:1", token, transport: refused }),
      workloads: { list: () => Promise.resolve([]), stop: () => Promise.reject(new Error("must not stop anything")) },
      facts: () => Promise.resolve({ facts: { hostname: "h1", kernel: "6.1", currentSystem: null, bootedSystem: null, generations: [], freeBytes: {}, nixTrust: {}, workloads: [], contract: null, agentVersion: "0" }, contract: snapshot }),
      log: (level, msg) => logs.push({ level, msg }), addSecret: () => undefined,
      signal: stop.signal, random: () => 0.5,
      sleep: (ms) => {
        sleeps.push(ms);
        if (sleeps.length >= 20) stop.abort();
        return Promise.resolve(!stop.signal.aborted);
      },
    });
    assert.equal(exit, "stopped");
    // Two loops interleave; each follows 250, 500, 1000, … capped at 15 000 (half of 30 s).
    const schedule = [250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000, 15_000];
    assert.deepEqual([...sleeps].sort((a, b) => a - b), [...schedule, ...schedule].sort((a, b) => a - b));
    assert.equal(logs.filter((l) => l.msg === "server unreachable; retrying with backoff").length, 1);
    assert.ok(await stateDir.load(), "a stop keeps the identity");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("reportFacts (for an operation's outcome): a heartbeat with facts gathered after the call goes out at once, without waiting for the interval", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hp-agent-facts-"));
  try {
    const stateDir = new StateDir(join(dir, "state"));
    await stateDir.save({ nodeId: "n_0000000000000001", name: "h1", server: "http://192.0.2.1:1", credential: "hp_node_0000000000000001_" + "s".repeat(43), enrolledAt: "2026-01-01T00:00:00.000Z" });
    const stop = new AbortController();
    const snapshot = contractSnapshot(conformingFacts(), resolveContractConfig());
    let system = "/nix/store/00000000000000000000000000000000-old";
    const heartbeats: (string | null)[] = [];
    const desired = { version: 1, state: "Ready", drain: null, decommission: false };
    const transport = (req: { url: string; body?: string; signal: AbortSignal }) => {
      if (req.url.includes("/heartbeat")) {
        const body = JSON.parse(req.body ?? "{}") as { facts?: { currentSystem: string | null } };
        heartbeats.push(body.facts?.currentSystem ?? null);
        return Promise.resolve({ status: 200, retryAfter: null, body: JSON.stringify({ needFacts: false, desired, heartbeatSeconds: 3600 }) });
      }
      // The long-poll: answers when the agent stops.
      return new Promise<{ status: number; retryAfter: null; body: string }>((resolve) => {
        req.signal.addEventListener("abort", () => resolve({ status: 200, retryAfter: null, body: JSON.stringify({ ...desired, operation: null }) }), { once: true });
      });
    };
    let reportFacts: (() => Promise<void>) | undefined;
    const running = runAgent({
      server: "http://192.0.2.1:1", name: "h1", stateDir,
      bootstrapToken: () => Promise.reject(new Error("must not enroll with a stored identity")),
      client: (token) => new AgentClient({ server: "http://192.0.2.1:1", token, transport }),
      workloads: { list: () => Promise.resolve([]), stop: () => Promise.reject(new Error("must not stop anything")) },
      facts: () => Promise.resolve({ facts: { hostname: "h1", kernel: "6.1", currentSystem: system, bootedSystem: null, generations: [], freeBytes: {}, nixTrust: {}, workloads: [], contract: null, agentVersion: "0" }, contract: snapshot }),
      operations: (ctx) => { reportFacts = ctx.reportFacts; return { start: () => undefined, offer: () => undefined, idle: () => Promise.resolve() }; },
      log: () => undefined, addSecret: () => undefined, signal: stop.signal, random: () => 0.5,
    });
    while (heartbeats.length < 1) await new Promise((r) => setTimeout(r, 10));
    system = "/nix/store/11111111111111111111111111111111-new";
    const started = Date.now();
    await reportFacts!();
    assert.ok(Date.now() - started < 2000, "not after the 3600 s heartbeat interval");
    assert.deepEqual(heartbeats, ["/nix/store/00000000000000000000000000000000-old", "/nix/store/11111111111111111111111111111111-new"]);
    stop.abort();
    assert.equal(await running, "stopped");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
