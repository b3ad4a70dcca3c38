/**
 * A real agent process (`node bin/hostplane.js agent`) against a real server
 * on 127.0.0.1 over a SQLite file: enrollment, heartbeats with facts, a cordon
 * waking the long-poll, a server restart, decommission — and no secret in its
 * output.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { AgentTestServer, IGNORE_ALL_CHECKS, logLines, waitFor } from "./_harness.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(REPO, "bin/hostplane.js");

describe("hostplane agent against a real server", () => {
  let dir: string;
  let server: AgentTestServer;
  let child: ChildProcess | undefined;
  let output = "";
  let bootstrapToken = "";
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  const stateDir = () => join(dir, "state");

  const startAgent = () => {
    const args = [BIN, "agent", "--server", server.url(), "--state-dir", stateDir(), "--bootstrap-token-file", join(dir, "bootstrap-token"), "--name", "agent-1",
      "--workloads", `file:${join(dir, "inventory.json")}`, "--contract-config", join(dir, "contract.json"), "--verbose"];
    child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d: Buffer) => { output += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { output += d.toString(); });
    const c = child;
    exited = new Promise((resolve) => c.on("exit", (code, signal) => resolve({ code, signal })));
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hp-agent-it-"));
    server = new AgentTestServer(join(dir, "control.db"), "127.0.0.1");
    await server.start();
    bootstrapToken = (await server.client().createBootstrapToken({ uses: 1 })).token;
    await writeFile(join(dir, "bootstrap-token"), bootstrapToken + "\n", { mode: 0o600 });
    await writeFile(join(dir, "inventory.json"), JSON.stringify([{ id: "vm-a", state: "running" }]));
    await writeFile(join(dir, "contract.json"), JSON.stringify({ ignore: IGNORE_ALL_CHECKS }));
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("enrolls with the bootstrap token, stores its identity 0600, heartbeats facts; the node is admitted", async () => {
    startAgent();
    const node = await waitFor("the node to be Ready with facts", async () => {
      const n = await server.client().getNode("agent-1").catch(() => null);
      return n && n.state === "Ready" && n.facts !== null ? n : null;
    });
    assert.deepEqual(node.facts!.workloads, [{ id: "vm-a", state: "running" }]);
    assert.equal((node.facts as { contract: { schema: string } }).contract.schema, "hostplane.contract-report/v1");
    assert.ok(existsSync(join(stateDir(), "identity.json")));
    assert.ok(existsSync(join(dir, "bootstrap-token")), "the bootstrap token file is left in place");
    assert.equal(logLines(output).filter((l) => l.msg === "enrolled").length, 1);
    // Heartbeats go on, and the unchanged facts are not sent again with each of them.
    await waitFor("4 heartbeats", () => logLines(output).filter((l) => l.msg.startsWith("heartbeat")).length >= 4);
    const beats = logLines(output).filter((l) => l.msg.startsWith("heartbeat"));
    assert.ok(beats.filter((l) => l.msg === "heartbeat with facts").length < beats.length, "hash-only heartbeats in between");
    const costs = beats.map((l) => l.durationMs as number).sort((a, b) => a - b);
    console.log(`# heartbeat cost (facts collection + request, contract cached): median ${costs[Math.floor(costs.length / 2)]} ms, max ${costs.at(-1)} ms over ${costs.length}`);
  });

  test("a cordon through the API reaches the agent's long-poll within a second", async () => {
    await waitFor("the first desired state", () => logLines(output).some((l) => l.msg === "desired state"));
    const at = Date.now();
    await server.client().nodeAction("agent-1", "cordon");
    const seenAt = await waitFor("the agent to log the cordon", () => {
      const l = logLines(output).find((x) => x.msg === "desired state changed" && x.state === "Cordoned");
      return l ? Date.now() : null;
    }, 5000, 20);
    const line = logLines(output).find((x) => x.msg === "desired state changed" && x.state === "Cordoned")!;
    assert.equal(line.via, "long-poll");
    assert.ok(seenAt - at < 1000, `took ${seenAt - at} ms`);
    await server.client().nodeAction("agent-1", "uncordon");
  });

  test("server stopped and started again on the same port and database: the agent goes on without enrolling again", async () => {
    await server.stop();
    const down = Date.now();
    await new Promise((r) => setTimeout(r, 2500));
    await server.start();
    await waitFor("a heartbeat after the restart", async () => {
      const n = await server.client().getNode("agent-1");
      return n.lastHeartbeatAt !== null && Date.parse(n.lastHeartbeatAt) > down + 2500;
    });
    const lines = logLines(output);
    assert.equal(lines.filter((l) => l.msg === "enrolled").length, 1, "not enrolled again");
    assert.equal(lines.filter((l) => l.msg === "server unreachable; retrying with backoff").length, 1, "one warning per outage, not per retry");
    assert.ok(lines.some((l) => l.msg === "server reachable again"));
    assert.equal((await server.client().listNodes()).nodes.length, 1);
  });

  test("decommission: the agent reports until its workloads are gone, then wipes its credential and exits 0; no secret ever reached its output", async () => {
    const credential = (JSON.parse(readFileSync(join(stateDir(), "identity.json"), "utf8")) as { credential: string }).credential;
    await server.client().nodeAction("agent-1", "decommission");
    // The decommission drains first: with vm-a still reported, the node stays Decommissioning and the agent stays.
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await server.client().getNode("agent-1")).state, "Decommissioning");
    assert.equal(child!.exitCode, null, "the agent keeps reporting while its workloads are drained");
    await writeFile(join(dir, "inventory.json"), "[]");
    const exit = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000).unref())]);
    assert.deepEqual(exit, { code: 0, signal: null }, output.slice(-2000));
    assert.ok(!existsSync(join(stateDir(), "identity.json")));
    assert.ok(logLines(output).some((l) => l.msg === "decommissioned: credential wiped, agent stops"));
    assert.ok(!output.includes(bootstrapToken), "bootstrap token in the output");
    assert.ok(!output.includes(credential), "credential in the output");
    assert.ok(!output.includes(credential.slice(-20)), "part of the credential's secret in the output");
  });
});
