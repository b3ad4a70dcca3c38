/**
 * A crash between the server's enrollment and the agent saving its identity
 * (simulated: the pending-enrollment file the agent writes before enrolling,
 * and a server that did, or did not, enroll it), with a real agent process and
 * a real server: the one-use bootstrap token is never needed twice, and there
 * is one node.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { StateDir } from "../../src/agent/index.js";
import { newCredential } from "../../src/server/credentials.js";
import { AgentTestServer, IGNORE_ALL_CHECKS, logLines, waitFor } from "./_harness.js";

const BIN = join(fileURLToPath(new URL("../../../", import.meta.url)), "bin/hostplane.js");

describe("enrollment interrupted by a crash", () => {
  let dir: string;
  let server: AgentTestServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hp-agent-enroll-"));
    server = new AgentTestServer(join(dir, "control.db"), "127.0.0.1");
    await server.start();
    await writeFile(join(dir, "inventory.json"), "[]");
    await writeFile(join(dir, "contract.json"), JSON.stringify({ ignore: IGNORE_ALL_CHECKS }));
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the agent until `until` holds, then stops it; answers its output. */
  async function runAgent(name: string, until: () => Promise<boolean>): Promise<string> {
    const args = [BIN, "agent", "--server", server.url(), "--state-dir", join(dir, name), "--bootstrap-token-file", join(dir, `${name}.token`), "--name", name,
      "--workloads", `file:${join(dir, "inventory.json")}`, "--contract-config", join(dir, "contract.json")];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => { output += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      await waitFor(`agent ${name} to get there`, async () => child.exitCode === null ? until() : Promise.reject(new Error(`agent exited ${child.exitCode}: ${output}`)));
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, output);
    return output;
  }

  const bootstrap = async (name: string) => {
    const token = (await server.client().createBootstrapToken({ uses: 1 })).token;
    await writeFile(join(dir, `${name}.token`), token + "\n", { mode: 0o600 });
    return token;
  };
  const pending = async (name: string) => {
    const credential = newCredential("node").token;
    await new StateDir(join(dir, name)).savePending({ name, server: server.url(), credential, createdAt: new Date().toISOString() });
    return credential;
  };
  const heartbeated = (name: string) => async () => (await server.client().getNode(name).catch(() => null))?.facts != null;

  test("the server enrolled it, the agent crashed before saving: the pending credential is accepted, no second token use, one node", async () => {
    const token = await bootstrap("r-1");
    const credential = await pending("r-1");
    // What the crashed agent's request did on the server: one use of the one-use token, the node, its credential.
    const res = await fetch(`${server.url()}/v1/enroll`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "r-1", credential }) });
    assert.equal(res.status, 201);
    const nodeId = ((await res.json()) as { node: { id: string } }).node.id;

    const output = await runAgent("r-1", heartbeated("r-1"));
    const lines = logLines(output);
    assert.ok(lines.some((l) => l.msg === "enrolled" && l.recovered === true), output);
    assert.ok(!lines.some((l) => l.msg === "enrolling"), "the bootstrap token was not presented again");
    const identity = JSON.parse(readFileSync(join(dir, "r-1", "identity.json"), "utf8")) as { nodeId: string; credential: string };
    assert.equal(identity.nodeId, nodeId);
    assert.equal(identity.credential, credential);
    assert.ok(!existsSync(join(dir, "r-1", "pending-enrollment.json")), "the pending enrollment is removed once the identity is saved");
    assert.equal((await server.client().listNodes()).nodes.filter((n) => n.name === "r-1").length, 1);
    const audit = await server.client().listAudit({ target: "node:r-1", limit: 100 });
    assert.equal(audit.entries.filter((e) => e.action === "node.enroll").length, 1);
    assert.ok(!output.includes(credential.slice(25)) && !output.includes(token), "no secret in the output");
  });

  test("the crash came before the request reached the server: the agent enrolls with the same pending credential", async () => {
    const token = await bootstrap("r-2");
    const credential = await pending("r-2");
    const output = await runAgent("r-2", heartbeated("r-2"));
    const lines = logLines(output);
    assert.ok(lines.some((l) => l.msg === "the pending enrollment did not reach the server; enrolling with the same credential"), output);
    assert.ok(lines.some((l) => l.msg === "enrolled" && l.proposedCredential === true), output);
    const identity = JSON.parse(readFileSync(join(dir, "r-2", "identity.json"), "utf8")) as { credential: string };
    assert.equal(identity.credential, credential, "the node's credential is the one saved before enrolling");
    assert.ok(!existsSync(join(dir, "r-2", "pending-enrollment.json")));
    assert.ok(!output.includes(credential.slice(25)) && !output.includes(token), "no secret in the output");
  });
});
