/**
 * The node lifecycle end to end, once on SQLite and once on PostgreSQL: six
 * test hosts (network + mount namespaces) each run a real agent process that
 * talks HTTP over its veth to a real server with the drain loop running and a
 * real HTTP eviction hook standing in for the PaaS scheduler.
 *
 * - five hosts enroll and are admitted; the sixth's contract fails and it is
 *   not, until its agent restarts with a contract it passes;
 * - a killed agent's node turns NotReady after the lease; restarted, Ready again;
 * - a drain whose first workload the scheduler answers 429 twice and then
 *   evicts (it leaves the host's inventory), and whose second never leaves:
 *   the deadline passes, the drain stays Draining; escalated with --force, the
 *   node is Drained and its agent stops the leftover itself;
 * - decommission: the agent wipes its credential and exits; the old credential is refused;
 * - the server killed and started again on the same database keeps every node,
 *   and the agents carry on with their credentials, without enrolling again.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { ApiClient, ApiProblemError } from "../../src/server/api-client.js";
import { HOSTS_SKIP, createTestFleet, type HostProcess, type TestFleet, type TestHost } from "../harness/hosts/index.js";
import { postgresBackend } from "../db/_postgres.js";
import type { Backend } from "../db/repository-suite.js";
import { AgentTestServer, IGNORE_ALL_CHECKS, logLines, waitFor } from "./_harness.js";

const BIN = fileURLToPath(new URL("../../../bin/hostplane.js", import.meta.url));

/** The scheduler's side of a drain: answers per workload, and evicting one removes it from that host's inventory. */
interface Scheduler {
  url: string;
  calls: { node: string; workload: string; status: number }[];
  close(): Promise<void>;
}

async function startScheduler(answer: (workload: string, attempt: number) => number, evict: (node: string, workload: string) => Promise<void>): Promise<Scheduler> {
  const calls: Scheduler["calls"] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => { body += c.toString(); });
    req.on("end", () => {
      const { node, workload } = JSON.parse(body) as { node: string; workload: string };
      const status = answer(workload, calls.filter((c) => c.workload === workload).length + 1);
      calls.push({ node, workload, status });
      void (status === 200 ? evict(node, workload) : Promise.resolve()).then(() => {
        if (status === 429) res.setHeader("retry-after", "1");
        res.writeHead(status).end();
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/evict`, calls,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function lifecycleSuite(backend: "SQLite" | "PostgreSQL", prefix: string): void {
  let pg: Backend | undefined;
  let skip: string | false | undefined = HOSTS_SKIP;
  let fleet: TestFleet;
  let server: AgentTestServer;
  let scheduler: Scheduler;
  let dir: string;
  const agents = new Map<string, HostProcess>();
  const inventory = (name: string) => join(dir, `${name}-workloads.json`);
  const setWorkloads = (name: string, ids: string[]) => writeFile(inventory(name), JSON.stringify(ids.map((id) => ({ id, state: "running" }))));
  /** h6's site values: every check ignored but storage.state, whose path does not exist, so its contract fails. */
  const failingContract = () => join(dir, "contract-failing.json");
  const output = (name: string) => `${agents.get(name)?.stdout() ?? ""}${agents.get(name)?.stderr() ?? ""}`;

  const spawnAgent = (h: TestHost, contract = join(dir, "contract.json")) => {
    agents.set(h.name, h.spawn(process.execPath, [BIN, "agent", "--server", fleet.serverUrl(server.port), "--state-dir", "/var/lib/hostplane/agent",
      "--bootstrap-token-file", "/var/lib/hostplane/bootstrap-token", "--workloads", `file:${inventory(h.name)}`, "--contract-config", contract]));
  };
  const node = (name: string) => server.client().getNode(name);
  const until = <T>(what: string, name: string, probe: () => Promise<T | null | false | undefined>, ms = 30_000) =>
    waitFor(`${name}: ${what}`, probe, ms, 200).catch((err: Error) => { throw new Error(`${err.message}\nagent output:\n${output(name).slice(-3000)}`); });

  describe(`the node lifecycle with six test hosts on ${backend}`, { skip: HOSTS_SKIP }, () => {
    before(async () => {
      if (HOSTS_SKIP) return;
      let database: string;
      dir = await mkdtemp(join(tmpdir(), `hp-life-${prefix}-`));
      if (backend === "PostgreSQL") {
        pg = await postgresBackend();
        if (pg.skip !== false) { skip = pg.skip; return; }
        database = await pg.freshUrl();
      } else {
        database = join(dir, "control.db");
      }
      fleet = await createTestFleet({ hosts: 6, prefix });
      scheduler = await startScheduler(
        // vm-a: "not now" twice, then evicted; vm-b: evicted as far as the scheduler knows, but it never leaves the host.
        (workload, attempt) => (workload === "vm-a" && attempt <= 2 ? 429 : 200),
        async (name, workload) => { if (workload === "vm-a") await setWorkloads(name, (JSON.parse(await readFile(inventory(name), "utf8")) as { id: string }[]).map((w) => w.id).filter((id) => id !== workload)); },
      );
      server = new AgentTestServer(database, fleet.serverAddress.ipv6, { evictionHook: scheduler.url });
      await server.start();
      await writeFile(join(dir, "contract.json"), JSON.stringify({ ignore: IGNORE_ALL_CHECKS }));
      await writeFile(failingContract(), JSON.stringify({
        ignore: [...IGNORE_ALL_CHECKS.filter((g) => g !== "storage"), "storage.nix", "storage.boot", "storage.images", "storage.volumes", "storage.logs"],
        paths: { state: { path: "/nonexistent/hostplane-state" } },
      }));
      for (const h of fleet.hosts) {
        await setWorkloads(h.name, h.name === "h3" ? ["vm-a", "vm-b"] : []);
        await writeFile(join(h.root, "state/bootstrap-token"), (await server.client().createBootstrapToken({})).token, { mode: 0o600 });
        spawnAgent(h, h.name === "h6" ? failingContract() : undefined);
      }
    });

    after(async () => {
      await fleet?.teardown();
      await server?.stop();
      await scheduler?.close();
      await pg?.cleanup();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test("five hosts enroll over their veth and are admitted; the one whose contract fails stays Registered", async (t) => {
      if (skip) { t.skip(skip); return; }
      for (const h of fleet.hosts.slice(0, 5)) {
        const n = await until("Ready with facts", h.name, async () => { const x = await node(h.name).catch(() => null); return x?.state === "Ready" && x.facts !== null ? x : null; });
        assert.equal(n.facts!.hostname, h.name);
        assert.deepEqual(n.conditions, []);
        assert.equal(n.contract?.ok, true);
      }
      const h6 = await until("its failing contract reported", "h6", async () => { const x = await node("h6").catch(() => null); return x?.contract ? x : null; });
      assert.equal(h6.state, "Registered");
      assert.deepEqual(h6.contract?.failing, ["storage.state"]);
      assert.deepEqual(h6.conditions, ["ContractFailing"]);
      // Restarted with site values it meets, the same node (no second enrollment) is admitted.
      agents.get("h6")!.kill("SIGTERM");
      assert.equal((await agents.get("h6")!.exited).exitCode, 0);
      spawnAgent(fleet.hosts[5]!);
      await until("admitted", "h6", async () => (await node("h6")).state === "Ready");
      assert.equal(logLines(output("h6")).filter((l) => l.msg === "enrolled").length, 0, "the restarted agent used its stored credential");
      assert.equal((await server.client().listNodes()).nodes.length, 6);
    });

    test("a killed agent's node is NotReady after the lease; restarted, it is Ready again with the same credential", async (t) => {
      if (skip) { t.skip(skip); return; }
      const h2 = fleet.hosts[1]!;
      agents.get("h2")!.kill("SIGKILL");
      await agents.get("h2")!.exited;
      const stale = await until("NotReady", "h2", async () => { const x = await node("h2"); return x.conditions.includes("NotReady") ? x : null; }, 15_000);
      assert.equal(stale.state, "Ready", "a lease is a condition, not a state change");
      assert.ok(stale.heartbeatAgeSeconds! >= 4, `lease is 4 s; heartbeat age ${stale.heartbeatAgeSeconds}`);
      assert.deepEqual((await node("h1")).conditions, [], "the others heartbeat on");
      spawnAgent(h2);
      await until("no condition again", "h2", async () => (await node("h2")).conditions.length === 0);
      assert.equal(logLines(output("h2")).filter((l) => l.msg === "enrolled").length, 0);
    });

    test("drain: 429 twice then evicted, and one workload that never leaves — deadline passes, escalated with --force → Drained", async (t) => {
      if (skip) { t.skip(skip); return; }
      await until("reporting vm-a and vm-b", "h3", async () => (await node("h3")).facts?.workloads.length === 2);
      const started = await server.client().nodeAction("h3", "drain", { deadlineSeconds: 6 });
      assert.equal(started.state, "Draining");
      const passed = await until("deadline passed with vm-b left", "h3", async () => { const x = await node("h3"); return x.drain?.deadlinePassed ? x : null; }, 20_000);
      assert.equal(passed.state, "Draining", "an unforced drain does not declare itself done");
      assert.deepEqual(passed.facts?.workloads.map((w) => w.id), ["vm-b"], "vm-a left the host once evicted");
      assert.deepEqual(scheduler.calls.filter((c) => c.workload === "vm-a").map((c) => c.status), [429, 429, 200]);
      assert.equal(passed.drain?.evictions["vm-a"]?.status, "evicted");
      assert.ok(scheduler.calls.every((c) => c.node === "h3"));
      const escalated = await server.client().nodeAction("h3", "drain", { deadlineSeconds: 0, force: true });
      assert.equal(escalated.drain?.startedAt, started.drain?.startedAt);
      const drained = await until("Drained by force", "h3", async () => { const x = await node("h3"); return x.state === "Drained" ? x : null; });
      assert.equal(drained.drain?.force, true);
      const audit = await server.client().listAudit({ target: "node:h3", limit: 100 });
      assert.deepEqual(audit.entries.filter((e) => e.action.startsWith("node.drain")).map((e) => e.action), ["node.drain", "node.drain-deadline-passed", "node.drain", "node.drain-forced", "node.drained"]);
      // What the forced drain left, the agent stops itself (here: the file adapter takes it off the inventory) and reports.
      await until("vm-b stopped by the agent and reported gone", "h3", async () => (await node("h3")).facts?.workloads.length === 0);
      assert.ok(logLines(output("h3")).some((l) => l.msg === "stopped a workload left by a forced drain" && l["workload"] === "vm-b"), output("h3").slice(-2000));
      await server.client().nodeAction("h3", "uncordon");
      assert.equal((await node("h3")).state, "Ready");
    });

    test("decommission: the agent wipes its credential and exits 0; the old credential is refused", async (t) => {
      if (skip) { t.skip(skip); return; }
      const h4 = fleet.hosts[3]!;
      const identity = join(h4.root, "state/agent/identity.json");
      const { nodeId, credential } = JSON.parse(await readFile(identity, "utf8")) as { nodeId: string; credential: string };
      await server.client().nodeAction("h4", "decommission");
      const exit = await Promise.race([agents.get("h4")!.exited, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
      assert.deepEqual(exit, { exitCode: 0, signal: null }, output("h4").slice(-2000));
      assert.equal((await node("h4")).state, "Decommissioned");
      await assert.rejects(readFile(identity), { code: "ENOENT" });
      await assert.rejects(
        new ApiClient({ server: server.url(), token: credential }).heartbeat(nodeId, { factsHash: "0".repeat(64) }),
        (err: unknown) => err instanceof ApiProblemError && err.problem.status === 401,
      );
      // The whole credential and its last 20 characters (part of the secret, which may itself contain '_').
      assert.ok(!output("h4").includes(credential) && !output("h4").includes(credential.slice(-20)), "the secret never reached the agent's output");
    });

    test("the server killed and started on the same database keeps every node; agents carry on without enrolling again", async (t) => {
      if (skip) { t.skip(skip); return; }
      const enrolled = (name: string) => logLines(output(name)).filter((l) => l.msg === "enrolled").length;
      const enrollments = ["h1", "h2", "h3", "h5", "h6"].map(enrolled);
      const before = (await server.client().listNodes()).nodes.map((n) => ({ name: n.name, state: n.state, version: n.version })).sort((a, b) => a.name.localeCompare(b.name));
      await server.stop();
      await new Promise((r) => setTimeout(r, 1500));
      await server.start();
      const after = (await server.client().listNodes()).nodes.map((n) => ({ name: n.name, state: n.state, version: n.version })).sort((a, b) => a.name.localeCompare(b.name));
      assert.deepEqual(after, before);
      for (const name of ["h1", "h2", "h3", "h5", "h6"]) {
        const since = Date.now();
        await until("heartbeating again", name, async () => { const x = await node(name); return x.lastHeartbeatAt !== null && Date.parse(x.lastHeartbeatAt) > since; });
      }
      assert.deepEqual(["h1", "h2", "h3", "h5", "h6"].map(enrolled), enrollments, "no agent enrolled again");
    });
  });
}

lifecycleSuite("SQLite", "lcs");
lifecycleSuite("PostgreSQL", "lcp");
