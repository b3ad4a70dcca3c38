/**
 * Three test hosts on one bridge: each reaches the server address over IPv6
 * and IPv4 (ICMP and real HTTP across the veth, both directions), and a cut
 * network really stops traffic until it is restored.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { HOSTS_SKIP, createTestFleet, type TestFleet, type TestHost } from "../harness/hosts/index.js";

const PING_SKIP = existsSync("/usr/bin/ping") || existsSync("/bin/ping") ? undefined : "ping is not installed (apt-get install iputils-ping)";

/** A tiny HTTP client run by node inside a host: prints the status and body, or the error code. */
const FETCH = `
const http = require("node:http");
const req = http.get(process.argv[1], { timeout: Number(process.argv[2] || 3000) }, (res) => {
  let body = ""; res.on("data", (d) => { body += d; }); res.on("end", () => { console.log(res.statusCode, body); });
});
req.on("timeout", () => { req.destroy(new Error("ETIMEDOUT")); });
req.on("error", (e) => { console.log("ERR", e.code || e.message); process.exitCode = 1; });
`;

async function fetchFrom(host: TestHost, url: string, timeoutMs = 3000): Promise<string> {
  const r = await host.exec(process.execPath, ["-e", FETCH, url, String(timeoutMs)], { timeoutMs: timeoutMs + 10_000 });
  return r.stdout.toString("utf8").trim();
}

describe("test-host network", { skip: HOSTS_SKIP }, () => {
  let fleet: TestFleet;
  let server: Server;
  let port: number;

  before(async () => {
    fleet = await createTestFleet({ hosts: 3, prefix: "net" });
    // The control plane's side: a server in the root namespace on the bridge's IPv6 and IPv4 addresses.
    server = createServer((req, res) => { res.end(`hello ${req.socket.remoteAddress ?? "?"}`); });
    await new Promise<void>((resolve) => server.listen({ port: 0, host: "::" }, resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    await fleet.teardown();
  });

  test("hosts have their names, eth0 addresses and the server's subnet, and nothing else routable", async () => {
    assert.deepEqual(fleet.hosts.map((h) => h.name), ["h1", "h2", "h3"]);
    for (const h of fleet.hosts) {
      assert.equal((await h.exec("hostname", [])).stdout.toString().trim(), h.name);
      const addrs = JSON.parse((await h.exec("ip", ["-json", "addr", "show", "dev", "eth0"])).stdout.toString()) as { addr_info: { local: string }[] }[];
      const locals = addrs[0]!.addr_info.map((a) => a.local);
      assert.ok(locals.includes(h.ipv6) && locals.includes(h.ipv4!), `${h.name}: ${locals.join(" ")}`);
      const r = await h.exec("ip", ["route", "get", "192.0.2.200"]);
      assert.notEqual(r.exitCode, 0, `${h.name} must have no default route: ${r.stdout.toString()}`);
    }
  });

  test("every host pings the server over IPv6 and IPv4", { skip: PING_SKIP }, async () => {
    for (const h of fleet.hosts) {
      for (const addr of [fleet.serverAddress.ipv6, fleet.serverAddress.ipv4!]) {
        const r = await h.exec("ping", ["-c1", "-W2", addr]);
        assert.equal(r.exitCode, 0, `${h.name} → ${addr}: ${r.stdout.toString()}${r.stderr}`);
      }
    }
  });

  test("real HTTP from every host to the server, over IPv6 (first) and IPv4; the server sees the host's address", async () => {
    const answers = await Promise.all(fleet.hosts.map(async (h) => [
      await fetchFrom(h, `${fleet.serverUrl(port)}/`),
      await fetchFrom(h, `${fleet.serverUrl(port, 4)}/`),
    ]));
    fleet.hosts.forEach((h, i) => {
      assert.equal(answers[i]![0], `200 hello ${h.ipv6}`);
      assert.equal(answers[i]![1], `200 hello ::ffff:${h.ipv4!}`);
    });
  });

  test("a server spawned inside a host is reachable from the root namespace and from another host", async () => {
    const h1 = fleet.hosts[0]!;
    const srv = h1.spawn(process.execPath, ["-e", `
      const s = require("node:http").createServer((q, r) => r.end("from " + require("node:os").hostname()));
      s.listen(0, "::", () => console.log("port", s.address().port));
      process.on("SIGTERM", () => { console.log("bye"); process.exit(0); });`]);
    try {
      const m = await srv.waitForOutput(/port (\d+)/);
      const url = `http://[${h1.ipv6}]:${m[1]!}/`;
      const res = await fetch(url);
      assert.equal(await res.text(), "from h1");
      assert.equal(await fetchFrom(fleet.hosts[1]!, url), "200 from h1");
      assert.ok(h1.processes().includes(srv.pid), "the spawned pid is a process of the host");
      assert.ok(!fleet.hosts[1]!.processes().includes(srv.pid));
    } finally {
      srv.kill();
    }
    assert.deepEqual(await srv.exited, { exitCode: 0, signal: null });
    assert.match(srv.stdout(), /bye/);
  });

  for (const mode of ["drop", "link-down"] as const) {
    test(`cutNetwork (${mode}) makes the server unreachable from that host only; restoreNetwork brings it back`, async () => {
      const [h1, h2] = [fleet.hosts[0]!, fleet.hosts[1]!];
      await h1.cutNetwork({ mode });
      try {
        assert.match(await fetchFrom(h1, `${fleet.serverUrl(port)}/`, 1000), /^ERR /);
        assert.match(await fetchFrom(h1, `${fleet.serverUrl(port, 4)}/`, 1000), /^ERR /);
        assert.equal(await fetchFrom(h2, `${fleet.serverUrl(port)}/`), `200 hello ${h2.ipv6}`, "other hosts are not cut");
        if (!PING_SKIP) assert.notEqual((await h1.exec("ping", ["-c1", "-W1", fleet.serverAddress.ipv6])).exitCode, 0);
      } finally {
        await h1.restoreNetwork();
      }
      assert.equal(await fetchFrom(h1, `${fleet.serverUrl(port)}/`), `200 hello ${h1.ipv6}`);
      await h1.restoreNetwork(); // a second restore is a no-op
    });
  }
});
