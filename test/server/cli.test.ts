/**
 * The CLI against real sockets: `hostplane server` as a process (first admin
 * token straight into its database, JSON logs, graceful SIGTERM while a
 * long-poll waits), HTTPS with a certificate made at test time, and the
 * token and node commands over HTTP with tables, --json and problem messages.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import { after, before, describe, test } from "node:test";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { openDatabase, type Repository } from "../../src/db/index.js";
import { createApp, issueOperatorToken } from "../../src/server/index.js";
import { listen, type RunningServer } from "../../src/server/listen.js";
import { REPO_ROOT, hostplane, hostplaneAsync } from "../harness/cli.js";

const BIN = join(REPO_ROOT, "bin/hostplane.js");

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "hostplane-server-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function run(argv: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, cwd: process.cwd(), env, isTTY: false, now: () => Date.now(), version: "test" };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Start `hostplane server` and wait for its "listening" line. */
async function startServerProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcessByStdio<null, Readable, Readable>; url: string; lines: () => Record<string, unknown>[]; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, "server", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const lines = () => out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
  const deadline = Date.now() + 20_000;
  while (!out.includes('"msg":"listening"')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start (exit ${child.exitCode}): ${err}${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const url = lines().find((l) => l.msg === "listening")!.url as string;
  return { child, url, lines, exited };
}

describe("hostplane server (process)", () => {
  test("first admin token via the database, then serve; SIGTERM answers the waiting long-poll at once and exits 0", async () => {
    const dir = scratch();
    const db = `sqlite:${join(dir, "server.db")}`;
    const created = hostplane(["token", "create", "--name", "root", "--role", "admin", "--database", db], dir);
    assert.equal(created.code, 0, created.stderr);
    const admin = created.stdout.trim();
    assert.match(admin, /^hp_op_[0-9a-f]{16}_[\w-]{43}$/);
    assert.match(created.stderr, /shown only now/);

    const boot = hostplane(["token", "bootstrap", "--uses", "1", "--ttl", "10m", "--label", "rack=r7", "--database", db, "--json"], dir);
    assert.equal(boot.code, 0, boot.stderr);
    const bootToken = (JSON.parse(boot.stdout) as { token: string }).token;

    const server = await startServerProcess(["--listen", "127.0.0.1:0", "--database", db]);
    try {
      const enrolled = await fetch(`${server.url}/v1/enroll`, { method: "POST", headers: { authorization: `Bearer ${bootToken}`, "content-type": "application/json" }, body: JSON.stringify({ name: "proc-1" }) });
      assert.equal(enrolled.status, 201);
      const { node, credential } = (await enrolled.json()) as { node: { id: string }; credential: string };
      const desired = (await (await fetch(`${server.url}/v1/nodes/${node.id}/desired`, { headers: { authorization: `Bearer ${credential}` } })).json()) as { version: number };

      const t0 = performance.now();
      const poll = fetch(`${server.url}/v1/nodes/${node.id}/desired?since=${desired.version}&wait=30`, { headers: { authorization: `Bearer ${credential}` } });
      await new Promise((r) => setTimeout(r, 200));
      server.child.kill("SIGTERM");
      const answer = await poll;
      assert.equal(answer.status, 200);
      assert.deepEqual(await answer.json(), { version: desired.version, state: "Registered", drain: null, decommission: false, operation: null });
      assert.equal(await server.exited, 0);
      assert.ok(performance.now() - t0 < 5000, "shutdown did not wait for the long-poll's 30 s");
      const msgs = server.lines().map((l) => l.msg);
      assert.deepEqual(msgs.filter((m) => m !== "request" && m !== "node enrolled"), ["listening", "shutting down", "stopped"]);
      const log = server.lines().map((l) => JSON.stringify(l)).join("\n");
      for (const secret of [admin, bootToken, credential]) assert.ok(!log.includes(secret.slice(-43)), "no secret in the server's log");
      // The state survived: a new server process on the same file knows the node.
      const again = await startServerProcess(["--listen", "127.0.0.1:0", "--database", db]);
      const listed = await fetch(`${again.url}/v1/nodes/proc-1`, { headers: { authorization: `Bearer ${admin}` } });
      assert.equal(((await listed.json()) as { labels: Record<string, string> }).labels.rack, "r7");
      again.child.kill("SIGINT");
      assert.equal(await again.exited, 0);
    } finally {
      server.child.kill("SIGKILL");
    }
  });

  test("usage errors exit 2 with a message", () => {
    const dir = scratch();
    for (const [args, pattern] of [
      [["server", "--listen", "nonsense"], /--listen "nonsense": expected HOST:PORT/],
      [["server", "--tls-cert", "x.pem"], /--tls-cert and --tls-key go together/],
      [["server", "--database", "mysql://x"], /Unsupported database URL/],
      [["token", "create", "--name", "x", "--role", "root", "--database", "sqlite:x.db"], /--role root: expected one of viewer, operator, admin/],
      [["token", "create", "--name", "x y", "--role", "admin", "--database", "sqlite:x.db"], /invalid operator token: name:/],
      [["node", "cordon"], /node cordon takes one NODE/],
      [["node", "list"], /pass --server URL or set HOSTPLANE_SERVER/],
    ] as const) {
      const r = hostplane([...args], dir, { HOSTPLANE_SERVER: "", HOSTPLANE_TOKEN: "" });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });
});

describe("HTTPS", () => {
  const openssl = spawnSync("openssl", ["version"], { encoding: "utf8" });
  const skip = openssl.status === 0 ? false : "openssl is not installed: cannot make a self-signed certificate";

  test("serves TLS with a self-signed certificate made now; the CLI trusts it through NODE_EXTRA_CA_CERTS", { skip }, async () => {
    const dir = scratch();
    const made = spawnSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-subj", "/CN=hostplane-test",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    const cert = readFileSync(join(dir, "cert.pem"));
    const repo = await openDatabase(":memory:", { migrate: true });
    const admin = await issueOperatorToken(repo, { name: "root", role: "admin", expiresAt: null }, { actor: "local:test", at: new Date().toISOString() });
    const server = await listen(createApp({ repo }), { host: "127.0.0.1", port: 0, tls: { cert, key: readFileSync(join(dir, "key.pem")) } });
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const health = await new Promise<{ status: number; body: string; protocol: string }>((resolve, reject) => {
        const req = httpsRequest(`${server.url}/v1/health`, { ca: cert }, (res) => {
          const protocol = (res.socket as TLSSocket).getProtocol() ?? "";
          let body = "";
          res.on("data", (d: Buffer) => { body += d.toString(); });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body, protocol }));
        });
        req.on("error", reject);
        req.end();
      });
      assert.deepEqual([health.status, JSON.parse(health.body)], [200, { status: "ok", database: "ok" }]);
      assert.match(health.protocol, /^TLSv1\.[23]$/);
      // Plain HTTP to the TLS port is not served.
      await assert.rejects(fetch(server.url.replace("https:", "http:") + "/v1/health", { signal: AbortSignal.timeout(5000) }));
      // Untrusted without the CA.
      const untrusted = await hostplaneAsync(["node", "list", "--server", server.url], { env: { HOSTPLANE_TOKEN: admin.token }, timeoutMs: 60_000 });
      assert.equal(untrusted.code, 3, untrusted.stderr);
      assert.match(untrusted.stderr, /cannot reach the hostplane server/);
      const trusted = await hostplaneAsync(["node", "list", "--server", server.url, "--json"], { env: { HOSTPLANE_TOKEN: admin.token, NODE_EXTRA_CA_CERTS: join(dir, "cert.pem") }, timeoutMs: 60_000 });
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.deepEqual(JSON.parse(trusted.stdout), { nodes: [] });
    } finally {
      await server.close();
      await repo.close();
    }
  });
});

describe("token and node commands over HTTP", () => {
  let repo: Repository;
  let server: RunningServer;
  let admin: string;
  let env: Record<string, string>;
  before(async () => {
    repo = await openDatabase(":memory:", { migrate: true });
    admin = (await issueOperatorToken(repo, { name: "root", role: "admin", expiresAt: null }, { actor: "local:test", at: new Date().toISOString() })).token;
    server = await listen(createApp({ repo }), { host: "127.0.0.1", port: 0 });
    env = { HOSTPLANE_SERVER: server.url, HOSTPLANE_TOKEN: admin };
  });
  after(async () => {
    await server.close();
    await repo.close();
  });

  test("token create/list/revoke and bootstrap; a revoked token is refused with the problem's detail", async () => {
    const created = await run(["token", "create", "--name", "ci", "--role", "viewer", "--expires-in", "30d"], env);
    assert.equal(created.code, 0, created.stderr);
    const viewer = created.stdout.trim();
    assert.match(viewer, /^hp_op_/);
    const listed = await run(["token", "list"], env);
    assert.match(listed.stdout, /^ID\s+NAME\s+ROLE\s+CREATED\s+STATUS\n/);
    assert.match(listed.stdout, /\bci\s+viewer\b.*until 20/);
    assert.ok(!listed.stdout.includes(viewer.slice(-43)));
    const id = viewer.split("_")[2]!;
    const asJson = JSON.parse((await run(["token", "list", "--json"], env)).stdout) as { tokens: { id: string; role: string }[] };
    assert.equal(asJson.tokens.find((t) => t.id === id)?.role, "viewer");

    const boot = await run(["token", "bootstrap", "--uses", "2", "--ttl", "1h", "--label", "zone=b"], env);
    assert.equal(boot.code, 0, boot.stderr);
    assert.match(boot.stdout, /^hp_boot_/);

    assert.equal((await run(["token", "revoke", id], env)).code, 0);
    const refused = await run(["node", "list"], { ...env, HOSTPLANE_TOKEN: viewer });
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, "hostplane: the bearer token is missing, malformed, unknown, expired or revoked (HTTP 401 unauthenticated)\n");
  });

  test("node list/show/cordon/drain: tables for people, --json for scripts, problems as messages", async () => {
    const boot = (await run(["token", "bootstrap", "--json"], env));
    const { token } = JSON.parse(boot.stdout) as { token: string };
    const enrolled = await fetch(`${server.url}/v1/enroll`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "cli-1" }) });
    const { node, credential } = (await enrolled.json()) as { node: { id: string }; credential: string };
    const { factsHash } = await import("../../src/fleet/facts-hash.js");
    const { sampleFacts } = await import("./_harness.js");
    const facts = sampleFacts("cli-1");
    await fetch(`${server.url}/v1/nodes/${node.id}/heartbeat`, {
      method: "POST", headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
      body: JSON.stringify({ factsHash: factsHash(facts), facts, contract: { ok: false, failing: ["kvm.device"], evaluatedAt: new Date().toISOString() } }),
    });

    const list = await run(["node", "list"], env);
    assert.equal(list.code, 0, list.stderr);
    const [head, row] = list.stdout.split("\n");
    assert.match(head!, /^NAME\s+STATE\s+CONDITIONS\s+CONTRACT\s+GENERATION\s+LAST HEARTBEAT\s+DRIFT$/);
    assert.match(row!, /^cli-1\s+Registered\s+ContractFailing\s+FAIL \(kvm\.device\)\s+42\s+\d+s\s+InSync$/);

    const show = await run(["node", "show", "cli-1"], env);
    assert.match(show.stdout, /^name:\s+cli-1$/m);
    assert.match(show.stdout, /^contract:\s+FAIL: kvm\.device/m);

    const cordon = await run(["node", "cordon", "cli-1"], env);
    assert.equal(cordon.code, 2);
    assert.equal(cordon.stderr, "hostplane: cannot cordon node cli-1: it is Registered (allowed from Ready) (HTTP 409 illegal-transition)\n");

    const drain = await run(["node", "drain", "cli-1", "--deadline", "2h", "--force"], env);
    assert.equal(drain.code, 2, "Registered cannot drain");
    const decommission = await run(["node", "decommission", "cli-1", "--deadline", "2h", "--force", "--json"], env);
    assert.equal(decommission.code, 0, decommission.stderr);
    const after = JSON.parse(decommission.stdout) as { state: string; drain: { startedAt: string; deadline: string; force: boolean } };
    assert.equal(after.state, "Decommissioning");
    assert.equal(Date.parse(after.drain.deadline) - Date.parse(after.drain.startedAt), 7200_000);
    assert.equal(after.drain.force, true);

    const missing = await run(["node", "show", "nope"], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^hostplane: no node with id or name "nope".*\(HTTP 404 not-found\)\n$/);

    const tokenFile = join(scratch(), "token");
    writeFileSync(tokenFile, admin + "\n", { mode: 0o600 });
    const viaFile = await run(["node", "list", "--json", "--token-file", tokenFile], { HOSTPLANE_SERVER: server.url });
    assert.equal(viaFile.code, 0, viaFile.stderr);
    assert.equal((JSON.parse(viaFile.stdout) as { nodes: unknown[] }).nodes.length, 1);

    const closed = await listen(createApp({ repo }), { host: "127.0.0.1", port: 0 });
    await closed.close();
    const down = await run(["node", "list", "--server", `http://127.0.0.1:${closed.port}`], env);
    assert.equal(down.code, 3);
    assert.match(down.stderr, new RegExp(`cannot reach the hostplane server: GET http://127\\.0\\.0\\.1:${closed.port}/v1/nodes: ECONNREFUSED`));
  });
});
