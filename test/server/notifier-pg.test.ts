/**
 * Two real servers (apps on sockets) over one real PostgreSQL database: a
 * change made through one wakes an agent's long-poll on the other within a
 * second, also after the listener's connection was killed; closing leaves no
 * handles. Skips, saying why, when PostgreSQL cannot be reached.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { openDatabase, type Repository } from "../../src/db/index.js";
import { factsHash } from "../../src/fleet/facts-hash.js";
import { createApp, issueOperatorToken, type LogRecord } from "../../src/server/index.js";
import { listen, type RunningServer } from "../../src/server/listen.js";
import { PgNodeNotifier } from "../../src/server/notifier-pg.js";
import { postgresBackend } from "../db/_postgres.js";
import { sampleFacts } from "./_harness.js";

const backend = await postgresBackend();
after(() => backend.cleanup());

const PASSWORD = "hunter2-never-logged";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Server {
  base: string;
  repo: Repository;
  notifier: PgNodeNotifier;
  logs: LogRecord[];
  close(): Promise<void>;
}

async function startServer(url: string): Promise<Server> {
  const logs: LogRecord[] = [];
  const repo = await openDatabase(url, { migrate: true });
  const notifier = await PgNodeNotifier.open({ url, log: (r) => logs.push(r), backoff: { initialMs: 50, maxMs: 400 } });
  const shutdown = new AbortController();
  const app = createApp({ repo, notifier, shutdown: shutdown.signal, logger: (r) => logs.push(r) });
  const server: RunningServer = await listen(app, { host: "127.0.0.1", port: 0 });
  return {
    base: server.url, repo, notifier, logs,
    async close() {
      shutdown.abort();
      await server.close(2000);
      await notifier.close();
      await repo.close();
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of several shapes, read by each caller
async function call<T = any>(base: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${base}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("long-poll wake-ups across servers sharing PostgreSQL", { skip: backend.skip }, () => {
  let url: string;
  let a: Server;
  let b: Server;
  let admin: string;
  let node: { id: string; credential: string };

  before(async () => {
    const plain = await backend.freshUrl();
    url = plain.replace("postgres://postgres@", `postgres://postgres:${PASSWORD}@`);
    a = await startServer(url);
    b = await startServer(url);
    admin = (await issueOperatorToken(a.repo, { name: "alice", role: "admin", expiresAt: null }, { actor: "local:test", at: new Date().toISOString() })).token;
    const boot = await call<{ token: string }>(a.base, "POST", "/v1/bootstrap-tokens", admin, {});
    assert.equal(boot.status, 201);
    const enrolled = await call<{ node: { id: string }; credential: string }>(a.base, "POST", "/v1/enroll", boot.json.token, { name: "web-1" });
    assert.equal(enrolled.status, 201);
    node = { id: enrolled.json.node.id, credential: enrolled.json.credential };
    const facts = sampleFacts("web-1");
    const beat = await call(a.base, "POST", `/v1/nodes/${node.id}/heartbeat`, node.credential, {
      factsHash: factsHash(facts), facts, contract: { ok: true, failing: [], evaluatedAt: new Date().toISOString() },
    });
    assert.equal(beat.status, 200);
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  /** Long-poll B as the agent does, act through A once B waits; resolves with the answer and the time from the action to it. */
  async function pollBWhileAActs(action: string): Promise<{ answer: { version: number; state: string }; since: number; ms: number }> {
    const current = await call<{ version: number }>(b.base, "GET", `/v1/nodes/${node.id}/desired`, node.credential);
    const since = current.json.version;
    const waiting = b.notifier.waiting();
    const poll = call<{ version: number; state: string }>(b.base, "GET", `/v1/nodes/${node.id}/desired?since=${since}&wait=30`, node.credential);
    await until("the poll to wait on B", () => b.notifier.waiting() > waiting);
    const t0 = performance.now();
    const acted = await call(a.base, "POST", `/v1/nodes/${node.id}/${action}`, admin);
    assert.equal(acted.status, 200, JSON.stringify(acted.json));
    const answer = await poll;
    return { answer: answer.json, since, ms: performance.now() - t0 };
  }

  test("a cordon through server A wakes an agent's long-poll on server B within a second", async () => {
    const { answer, since, ms } = await pollBWhileAActs("cordon");
    assert.equal(answer.state, "Cordoned");
    assert.ok(answer.version > since);
    assert.ok(ms < 1000, `woken after ${Math.round(ms)} ms`);
  });

  test("the listener reconnects after its backend is killed, wakes its waiters, and carries changes again", async () => {
    const pid = b.notifier.backendPid();
    assert.ok(pid !== null);
    const waiter = b.notifier.waitForChange("no-such-node", 10_000);
    const killed = await backend.query(url.replace(`:${PASSWORD}@`, "@"), `SELECT pg_terminate_backend(${pid}) AS ok`);
    assert.equal(killed[0]?.ok, true);
    assert.equal(await waiter, "changed", "woken on reconnection: a change may have been missed");
    assert.notEqual(b.notifier.backendPid(), pid);
    const msgs = b.logs.map((r) => r.msg);
    assert.ok(msgs.includes("node-change listener lost its database connection; reconnecting"), msgs.join("; "));
    assert.ok(msgs.includes("node-change listener reconnected"), msgs.join("; "));

    const { answer, ms } = await pollBWhileAActs("uncordon");
    assert.equal(answer.state, "Ready");
    assert.ok(ms < 1000, `woken after ${Math.round(ms)} ms`);
  });

  test("a change made on A while A's listener is down reaches B once A reconnects", async () => {
    const pid = a.notifier.backendPid();
    assert.ok(pid !== null);
    await backend.query(url.replace(`:${PASSWORD}@`, "@"), `SELECT pg_terminate_backend(${pid})`);
    await until("A to notice", () => a.notifier.backendPid() !== pid);
    const { answer, ms } = await pollBWhileAActs("cordon");
    assert.equal(answer.state, "Cordoned");
    assert.ok(ms < 1500, `woken after ${Math.round(ms)} ms`);
  });

  test("nothing logged holds the database password", () => {
    const text = JSON.stringify([...a.logs, ...b.logs]);
    assert.ok(!text.includes(PASSWORD));
    assert.ok(b.logs.filter((r) => r.msg.startsWith("node-change listener")).every((r) => r.database === new URL(url).host + new URL(url).pathname));
  });
});

describe("closing a PostgreSQL notifier", { skip: backend.skip }, () => {
  /** A process that opens a notifier, optionally has its connection killed, closes it and prints how its waiter ended; it must exit by itself. */
  const CHILD = `
    import pg from "pg";
    import { PgNodeNotifier } from ${JSON.stringify(new URL("../../src/server/notifier-pg.js", import.meta.url).href)};
    const url = process.env.URL;
    const notifier = await PgNodeNotifier.open({ url, log: () => {}, backoff: { initialMs: 60000, maxMs: 60000 } });
    const waiter = notifier.waitForChange("x", 60000);
    if (process.env.KILL === "1") {
      const killer = new pg.Client({ connectionString: url });
      await killer.connect();
      await killer.query("SELECT pg_terminate_backend($1)", [notifier.backendPid()]);
      await killer.end();
      while (notifier.backendPid() !== null) await new Promise((r) => setTimeout(r, 10));
    }
    notifier.changed("elsewhere");
    await notifier.close();
    console.log(await waiter, notifier.waiting());
  `;

  for (const kill of [false, true]) {
    test(`releases its waiters and leaves no socket or timer behind${kill ? ", also while it waits 60 s to reconnect" : ""}`, async () => {
      const url = await backend.freshUrl();
      const t0 = performance.now();
      const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], { env: { ...process.env, URL: url, KILL: kill ? "1" : "0" }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
      child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const [code] = (await once(child, "exit")) as [number | null];
      clearTimeout(timer);
      assert.equal(code, 0, `the process exited by itself (a leaked handle keeps it alive): ${out}`);
      assert.equal(out.trim(), "aborted 0");
      assert.ok(performance.now() - t0 < 10_000);
    });
  }

  test("cannot open: a DatabaseOpenError naming the database, not its password", async () => {
    const err = await PgNodeNotifier.open({ url: `postgres://postgres:${PASSWORD}@127.0.0.1:1/nowhere`, log: () => {}, timeoutMs: 1000 }).then(() => null, (e: Error) => e);
    assert.ok(err instanceof Error);
    assert.equal(err.name, "DatabaseOpenError");
    assert.match(err.message, /127\.0\.0\.1:1\/nowhere/);
    assert.ok(!err.message.includes(PASSWORD));
  });
});
