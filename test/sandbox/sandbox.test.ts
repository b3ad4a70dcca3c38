/**
 * The README's main job end to end: `hostplane sandbox up` as a user runs it
 * (a child process, to completion), then what it left running, then
 * `sandbox down` and what that left behind (nothing).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ApiClient } from "../../src/server/api-client.js";
import { HOSTS_SKIP } from "../harness/hosts/index.js";
import { hostplaneAsync } from "../harness/cli.js";


const hostplane = (args: string[], timeoutMs: number, env: Record<string, string> = {}) => hostplaneAsync(args, { timeoutMs, env });

const alive = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("hostplane");
  } catch {
    return false;
  }
};
const lines = (cmd: string, args: string[]): string[] => spawnSync(cmd, args, { encoding: "utf8" }).stdout.split("\n");

describe("hostplane sandbox: up, what it leaves running, down", { skip: HOSTS_SKIP }, () => {
  let parent = "";
  let dir = "";
  after(async () => {
    if (dir !== "" && existsSync(dir)) await hostplane(["sandbox", "down", "--dir", dir], 60_000);
    if (parent !== "") await rm(parent, { recursive: true, force: true });
  });

  test("up rolls generation 2 out over 3 hosts and leaves them running; down removes everything", async () => {
    parent = await mkdtemp(join(tmpdir(), "hp-sandbox-test-"));
    dir = join(parent, "sandbox");
    const started = Date.now();
    const up = await hostplane(["sandbox", "up", "--hosts", "3", "--bake", "1s", "--dir", dir], 50_000);
    assert.equal(up.code, 0, `stdout: ${up.stdout.slice(-3000)}\nstderr: ${up.stderr.slice(-3000)}`);
    console.log(`sandbox up --hosts 3 --bake 1s: ${Date.now() - started} ms`);
    assert.match(up.stdout, /rollout ro_\w+ succeeded/);
    for (const step of [`source ${dir}/env`, "node list", "drift", "node history h1", "node rollback h1", "rollout abort", `sandbox down --dir ${dir}`]) {
      assert.ok(up.stdout.includes(step), `next steps name ${JSON.stringify(step)}`);
    }

    const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { prefix: string; fleetDir: string; server: { pid: number; url: string }; agents: Record<string, number>; systems: { gen1: string; gen2: string } };
    assert.deepEqual(Object.keys(state.agents), ["h1", "h2", "h3"]);
    const pids = [state.server.pid, ...Object.values(state.agents)];
    for (const pid of pids) assert.ok(alive(pid), `pid ${pid} still running after up exited`);

    const token = readFileSync(join(dir, "admin-token"), "utf8").trim();
    const env = readFileSync(join(dir, "env"), "utf8");
    assert.ok(env.includes(`HOSTPLANE_SERVER='${state.server.url}'`) && env.includes("HOSTPLANE_TOKEN="), env);
    const client = new ApiClient({ server: state.server.url, token, timeoutMs: 5000 });
    const nodes = await Promise.all(["h1", "h2", "h3"].map((n) => client.getNode(n)));
    for (const n of nodes) {
      assert.equal(n.state, "Ready", n.name);
      assert.equal(n.facts?.currentSystem, state.systems.gen2, `${n.name} runs generation 2`);
    }
    const drift = await client.drift();
    assert.equal(drift.counts.InSync, 3, JSON.stringify(drift.nodes));

    // The next step it prints: h1 alone back on generation 1, with the real agent applying it.
    const back = await hostplane(["node", "rollback", "h1", "--bake", "1s", "--watch"], 60_000, { HOSTPLANE_SERVER: state.server.url, HOSTPLANE_TOKEN: token });
    assert.equal(back.code, 0, `stdout: ${back.stdout.slice(-3000)}\nstderr: ${back.stderr.slice(-3000)}`);
    assert.match(back.stdout, /^rolling h1 back to \/nix\/store\/\S+ \(generation 1\)\n/);
    assert.match(back.stdout, /based on: release gen1 /);
    assert.match(back.stdout, /rollout ro_\w+ succeeded\n$/);
    assert.equal((await client.getNode("h1")).facts?.currentSystem, state.systems.gen1);
    assert.deepEqual((await client.getNode("h1")).facts?.generations.map((g) => [g.number, g.path, g.current]),
      [[1, state.systems.gen1, false], [2, state.systems.gen2, false], [3, state.systems.gen1, true]]);
    for (const n of ["h2", "h3"]) assert.equal((await client.getNode(n)).facts?.currentSystem, state.systems.gen2, `${n} untouched`);

    const down = await hostplane(["sandbox", "down", "--dir", dir], 30_000);
    assert.equal(down.code, 0, down.stderr);
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} ended`);
    const mine = (name: string) => name.includes(`hpt-${state.prefix}`);
    assert.deepEqual(lines("ip", ["netns", "list"]).filter(mine), []);
    assert.deepEqual(lines("ip", ["-br", "link"]).filter(mine), []);
    assert.deepEqual(readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(state.fleetDir)), []);
    assert.ok(!existsSync(dir), `${dir} removed`);
    assert.ok(!existsSync(state.fleetDir), `${state.fleetDir} removed`);
  });
});
