/**
 * Leftovers of a forced drain, with a real agent process against a real
 * server and its reconcile loop (no eviction hook: workloads never leave by
 * themselves): nothing is stopped while the drain is unforced, even past its
 * deadline; once the node is Drained by force the agent stops what is left
 * through its workload adapter, logs each stop and reports them in its facts.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { openDatabase, type Repository } from "../../src/db/index.js";
import { ApiClient } from "../../src/server/api-client.js";
import { createApp, issueOperatorToken, startReconciler, type Reconciler } from "../../src/server/index.js";
import { listen, type RunningServer } from "../../src/server/listen.js";
import { FAST_LEASE, IGNORE_ALL_CHECKS, logLines, waitFor } from "./_harness.js";

const BIN = join(fileURLToPath(new URL("../../../", import.meta.url)), "bin/hostplane.js");

let dir: string;
let repo: Repository;
let reconciler: Reconciler;
let running: RunningServer;
let admin: ApiClient;
let agent: ChildProcess | undefined;
let output = "";
const shutdown = new AbortController();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "hp-agent-drain-"));
  repo = await openDatabase(`sqlite:${join(dir, "control.db")}`, { migrate: true });
  const token = (await issueOperatorToken(repo, { name: "test-admin", role: "admin", expiresAt: null }, { actor: "local:test", at: new Date().toISOString() })).token;
  const app = createApp({ repo, config: { lease: FAST_LEASE }, shutdown: shutdown.signal });
  reconciler = startReconciler(app, { intervalMs: 200 });
  running = await listen(app, { host: "127.0.0.1", port: 0 });
  admin = new ApiClient({ server: running.url, token, timeoutMs: 5000 });
});

after(async () => {
  if (agent && agent.exitCode === null) {
    agent.kill("SIGKILL");
    await new Promise((r) => agent!.once("exit", r));
  }
  await reconciler.stop();
  shutdown.abort();
  await running.close(0);
  await repo.close();
  await rm(dir, { recursive: true, force: true });
});

test("an unforced drain past its deadline stops nothing; Drained by force, the agent stops the leftovers and reports them", async () => {
  const inventory = join(dir, "inventory.json");
  await writeFile(inventory, JSON.stringify([{ id: "vm-a", state: "running" }, { id: "vm-b", state: "running" }, { id: "vm-c", state: "dead" }]));
  await writeFile(join(dir, "contract.json"), JSON.stringify({ ignore: IGNORE_ALL_CHECKS }));
  await writeFile(join(dir, "token"), (await admin.createBootstrapToken({ uses: 1 })).token, { mode: 0o600 });
  agent = spawn(process.execPath, [BIN, "agent", "--server", running.url, "--state-dir", join(dir, "state"), "--bootstrap-token-file", join(dir, "token"), "--name", "drainee",
    "--workloads", `file:${inventory}`, "--contract-config", join(dir, "contract.json"), "--verbose"], { stdio: ["ignore", "pipe", "pipe"] });
  agent.stdout!.on("data", (d: Buffer) => { output += d.toString(); });
  agent.stderr!.on("data", (d: Buffer) => { output += d.toString(); });
  await waitFor("Ready with three workloads", async () => { const n = await admin.getNode("drainee").catch(() => null); return n?.state === "Ready" && n.facts?.workloads.length === 3; });

  // Unforced: the deadline passes with workloads left; the agent leaves them alone.
  await admin.nodeAction("drainee", "drain", { deadlineSeconds: 1 });
  await waitFor("the deadline marked passed", async () => (await admin.getNode("drainee")).drain?.deadlinePassed === true);
  const beatsBefore = logLines(output).filter((l) => l.msg.startsWith("heartbeat")).length;
  await waitFor("two more heartbeats", () => logLines(output).filter((l) => l.msg.startsWith("heartbeat")).length >= beatsBefore + 2, 10_000);
  assert.equal((JSON.parse(readFileSync(inventory, "utf8")) as unknown[]).length, 3, "nothing stopped while Draining");
  assert.ok(!logLines(output).some((l) => l.msg.includes("forced drain")), output);
  assert.equal((await admin.getNode("drainee")).state, "Draining");

  // Forced: Drained at once (deadline 0), then the agent stops vm-a and vm-b (vm-c is not running).
  await admin.nodeAction("drainee", "drain", { deadlineSeconds: 0, force: true });
  const node = await waitFor("Drained, with the stops reported", async () => {
    const n = await admin.getNode("drainee");
    const stops = (n.facts as { forcedDrainStops?: { id: string; stopped: boolean }[] } | null)?.forcedDrainStops;
    return n.state === "Drained" && stops?.length === 2 ? n : null;
  });
  assert.deepEqual((node.facts as unknown as { forcedDrainStops: { id: string; stopped: boolean }[] }).forcedDrainStops.map((s) => [s.id, s.stopped]), [["vm-a", true], ["vm-b", true]]);
  assert.deepEqual(JSON.parse(readFileSync(inventory, "utf8")), [{ id: "vm-c", state: "dead" }]);
  await waitFor("the facts without the stopped workloads", async () => (await admin.getNode("drainee")).facts?.workloads.map((w) => w.id).join() === "vm-c");
  const stopped = logLines(output).filter((l) => l.msg === "stopped a workload left by a forced drain").map((l) => l.workload);
  assert.deepEqual(stopped, ["vm-a", "vm-b"], "each stop logged once");

  // Uncordon: no longer Drained by force, so the report goes and nothing more is stopped.
  await admin.nodeAction("drainee", "uncordon");
  await waitFor("the report cleared", async () => (await admin.getNode("drainee")).facts?.forcedDrainStops === undefined);
});
