/**
 * Fleets of the size rollout tests use (8, and 16 for the rollout benchmark):
 * every host works, and the harness prints what they cost — creation, a system
 * built once and copied into 8 stores, activation, teardown, memory and disk
 * per host. The figures are printed, not asserted (timing is not a test).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { run } from "../../src/process/run.js";
import { HOSTS_SKIP, buildSystem, copyToHosts, createTestFleet, type TestFleet } from "../harness/hosts/index.js";

const GET = `require("node:http").get(process.argv[1], (r) => { let b = ""; r.on("data", (d) => b += d); r.on("end", () => console.log(b)); })
  .on("error", (e) => { console.log("ERR", e.code); process.exitCode = 1; });`;

function memAvailableKiB(): number {
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"));
  return Number(m?.[1] ?? 0);
}

async function duKiB(path: string): Promise<number> {
  const r = await run("du", ["-sk", path]);
  return Number(r.stdout.toString().split("\t")[0]);
}

function ms(t0: number): string {
  return `${(performance.now() - t0).toFixed(0)} ms`;
}

describe("fleets of 8 and 16 test hosts", { skip: HOSTS_SKIP }, () => {
  let server: Server;
  let port: number;

  before(async () => {
    server = createServer((req, res) => res.end(`ok ${req.socket.remoteAddress ?? ""}`));
    await new Promise<void>((resolve) => server.listen({ port: 0, host: "::" }, resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => { await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }); });

  test("8 hosts: one build copied into every store and activated everywhere", async () => {
    let t0 = performance.now();
    const fleet: TestFleet = await createTestFleet({ hosts: 8, prefix: "scl" });
    try {
      console.log(`create 8 hosts: ${ms(t0)}`);
      t0 = performance.now();
      const system = await buildSystem(fleet.buildStore, { name: "scale", generationTag: `s${Date.now()}` });
      console.log(`build a fixture system (4 derivations): ${ms(t0)}`);
      t0 = performance.now();
      const copied = await copyToHosts(fleet.buildStore, [system], fleet.hosts);
      console.log(`copy its closure into 8 host stores: ${ms(t0)}`);
      assert.deepEqual([...copied.values()].map((c) => c.length), Array<number>(8).fill(3));
      t0 = performance.now();
      const results = await Promise.all(fleet.hosts.map((h) => h.exec("/bin/sh", ["-c", 'nix-env -p /nix/var/nix/profiles/system --set "$1" && "$1/bin/switch-to-configuration" switch', "sh", system])));
      console.log(`nix-env --set + switch-to-configuration switch on 8 hosts: ${ms(t0)}`);
      results.forEach((r, i) => assert.equal(r.exitCode, 0, `h${i + 1}: ${r.stderr}`));
      const disk = await Promise.all(fleet.hosts.map((h) => duKiB(h.root)));
      console.log(`disk per host with one system: ${Math.min(...disk)}-${Math.max(...disk)} KiB (store, db, profile, /boot kernels)`);
      assert.deepEqual(fleet.hosts.map((h) => h.processes().length), Array<number>(8).fill(0), "a host costs no process while idle");
    } finally {
      t0 = performance.now();
      await fleet.teardown();
      console.log(`teardown of 8 used hosts: ${ms(t0)}`);
    }
  });

  test("16 hosts: each reaches the server over real HTTP (IPv6)", async () => {
    const mem0 = memAvailableKiB();
    let t0 = performance.now();
    const fleet = await createTestFleet({ hosts: 16, prefix: "scl" });
    try {
      console.log(`create 16 hosts: ${ms(t0)}`);
      console.log(`kernel memory per idle host (MemAvailable drop / 16, noisy): ~${Math.max(0, Math.round((mem0 - memAvailableKiB()) / 16))} KiB; processes per idle host: 0`);
      t0 = performance.now();
      const answers = await Promise.all(fleet.hosts.map((h) => h.exec(process.execPath, ["-e", GET, fleet.serverUrl(port)])));
      console.log(`one node HTTP client in each of 16 hosts, in parallel: ${ms(t0)}`);
      answers.forEach((r, i) => assert.equal(r.stdout.toString().trim(), `ok ${fleet.hosts[i]!.ipv6}`, r.stderr));
    } finally {
      t0 = performance.now();
      await fleet.teardown();
      console.log(`teardown of 16 hosts: ${ms(t0)}`);
    }
  });
});
