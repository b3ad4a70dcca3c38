/**
 * Three test hosts (network + mount namespaces) each run a real agent that
 * talks HTTP over its veth to a server in the root namespace: all enroll and
 * heartbeat; a cut network stops one host's heartbeats (its lease goes stale)
 * and, once restored, it resumes with the same credential.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { HOSTS_SKIP, createTestFleet, type HostProcess, type TestFleet } from "../harness/hosts/index.js";
import { AgentTestServer, IGNORE_ALL_CHECKS, logLines, waitFor } from "./_harness.js";

const BIN = fileURLToPath(new URL("../../../bin/hostplane.js", import.meta.url));

describe("agents in test hosts", { skip: HOSTS_SKIP }, () => {
  let fleet: TestFleet;
  let server: AgentTestServer;
  let dir: string;
  const agents = new Map<string, HostProcess>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hp-agent-hosts-"));
    fleet = await createTestFleet({ hosts: 3, prefix: "agt" });
    server = new AgentTestServer(join(dir, "control.db"), fleet.serverAddress.ipv6);
    await server.start();
    await writeFile(join(dir, "contract.json"), JSON.stringify({ ignore: IGNORE_ALL_CHECKS }));
    await writeFile(join(dir, "inventory.json"), "[]");
    for (const h of fleet.hosts) {
      await writeFile(join(h.root, "state/bootstrap-token"), (await server.client().createBootstrapToken({})).token, { mode: 0o600 });
      agents.set(h.name, h.spawn(process.execPath, [BIN, "agent", "--server", fleet.serverUrl(server.port), "--state-dir", "/var/lib/hostplane/agent",
        "--bootstrap-token-file", "/var/lib/hostplane/bootstrap-token", "--workloads", `file:${join(dir, "inventory.json")}`, "--contract-config", join(dir, "contract.json")]));
    }
  });

  after(async () => {
    await fleet?.teardown();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const output = (name: string) => `${agents.get(name)!.stdout()}${agents.get(name)!.stderr()}`;
  const heartbeatAge = async (name: string) => {
    const n = await server.client().getNode(name);
    return n.lastHeartbeatAt === null ? Infinity : (Date.now() - Date.parse(n.lastHeartbeatAt)) / 1000;
  };

  test("all three enroll over their veth, heartbeat facts with their own hostname and are admitted", async () => {
    for (const h of fleet.hosts) {
      const node = await waitFor(`${h.name} to be Ready with facts`, async () => {
        const n = await server.client().getNode(h.name).catch(() => null);
        return n && n.state === "Ready" && n.facts !== null ? n : null;
      }, 60_000, 250).catch((err: Error) => { throw new Error(`${err.message}\n${output(h.name).slice(-3000)}`); });
      assert.equal(node.facts!.hostname, h.name);
      assert.deepEqual(node.facts!.workloads, []);
    }
  });

  test("a cut network stops one host's heartbeats; restored, it resumes with the same credential", async () => {
    const h2 = fleet.hosts[1]!;
    await h2.cutNetwork();
    await new Promise((r) => setTimeout(r, 5000));
    assert.ok((await heartbeatAge("h2")) > 3, "h2's heartbeats stopped");
    assert.ok((await heartbeatAge("h1")) < 3, "h1 heartbeats on");
    await h2.restoreNetwork();
    await waitFor("h2 to heartbeat again", async () => (await heartbeatAge("h2")) < 2, 40_000, 250);
    const lines = logLines(output("h2"));
    assert.equal(lines.filter((l) => l.msg === "enrolled").length, 1, "not enrolled again");
    assert.ok(lines.some((l) => l.msg === "server reachable again"));
    assert.equal((await server.client().listNodes()).nodes.length, 3);
  });
});
