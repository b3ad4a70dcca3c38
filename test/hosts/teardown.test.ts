/**
 * Teardown leaves nothing — links, namespaces, mounts, processes, directories
 * — whether the test passed, threw, exited early or got SIGTERM; after a
 * SIGKILL, sweepStaleTestFleets removes what is left, and never a live fleet.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../../src/process/run.js";
import { HOSTS_SKIP, createTestFleet, sweepStaleTestFleets } from "../harness/hosts/index.js";

/** iproute2 by path (the harness resolves its tools the same way). */
const IP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) => existsSync(p)) ?? "ip";
const HARNESS = new URL("../harness/hosts/index.js", import.meta.url).href;
/** Prefixes this file uses; other live fleets (other test files running now) are left out of every comparison. */
const MINE = ["td", "tdt", "tde", "tds", "tdk", "tdp", "tdl", "tdc"];

function foreign(name: string): boolean {
  const m = /^hpt-([a-z0-9]{1,6})(?:-|$)/.exec(name);
  return m !== null && !MINE.includes(m[1]!);
}

interface Snapshot { links: string[]; netns: string[]; mounts: string[]; dirs: string[]; children: number[] }

function snapshot(): Snapshot {
  const links = (JSON.parse(spawnSync(IP, ["-json", "link"], { encoding: "utf8" }).stdout) as { ifname: string }[]).map((l) => l.ifname);
  const ns = spawnSync(IP, ["-json", "netns", "list"], { encoding: "utf8" }).stdout.trim();
  const netns = ns === "" ? [] : (JSON.parse(ns) as { name: string }[]).map((n) => n.name);
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(Boolean).map((l) => l.split(" ")[4]!)
    // iproute2 makes /run/netns a shared self-bind on first use and keeps it (by design).
    .filter((m) => m !== "/run/netns" && !foreign(m.replace("/run/netns/", "")));
  const children = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === String(process.pid); } catch { return false; }
  }).map(Number);
  const dirs = readdirSync(tmpdir()).filter((d) => d.startsWith("hostplane-hosts-td"));
  return { links: links.filter((n) => !foreign(n)).sort(), netns: netns.filter((n) => !foreign(n)).sort(), mounts: mounts.sort(), dirs: dirs.sort(), children: children.sort() };
}

/** Gone, or a zombie waiting for a reaper (an orphan's reaper is PID 1, which may be slow or absent in a container). */
function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
  } catch {
    return true;
  }
}

function leftoversOf(prefix: string): string[] {
  const s = snapshot();
  const re = new RegExp(`^hpt-${prefix}(?:-|$)`);
  return [...s.links.filter((n) => re.test(n)), ...s.netns.filter((n) => re.test(n)), ...s.dirs.filter((d) => d === `hostplane-hosts-${prefix}`)];
}

describe("test-fleet teardown", { skip: HOSTS_SKIP }, () => {
  let work: string;
  const childEnv = (): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // else a child `node --test` reports to us in the runner's protocol
    return env;
  };
  const script = async (name: string, body: string): Promise<string> => {
    const file = join(work, name);
    await writeFile(file, `import { createTestFleet } from ${JSON.stringify(HARNESS)};\nimport { test } from "node:test";\n${body}\n`);
    return file;
  };

  before(async () => { work = await mkdtemp(join(tmpdir(), "hostplane-td-scripts-")); });
  after(async () => { await rm(work, { recursive: true, force: true }); });

  test("a used fleet (processes, daemons, stores, limited disks, a cut network) leaves links, netns, mounts, processes and dirs as they were", async () => {
    const warm = await createTestFleet({ hosts: 1, prefix: "td" }); // /run/netns exists from here on
    await warm.teardown();
    const before = snapshot();
    const fleet = await createTestFleet({ hosts: 3, prefix: "td", disks: ({ index }) => (index === 2 ? { nixMiB: 32, bootMiB: 2, stateMiB: 1 } : undefined) });
    for (const h of fleet.hosts) {
      h.spawn("sleep", ["1000"]);
      assert.equal((await h.exec("/bin/sh", ["-c", "setsid sleep 1000 </dev/null >/dev/null 2>&1 & nix-store --init"])).exitCode, 0);
    }
    await fleet.hosts[0]!.cutNetwork();
    const nsInodes = fleet.hosts.map((h) => h.namespaces());
    const inside = fleet.hosts.flatMap((h) => h.processes());
    assert.ok(inside.length >= 6, `a spawned process and a daemon per host: ${inside.join(" ")}`);
    const during = snapshot();
    assert.ok(during.links.includes("hpt-td") && during.netns.length === before.netns.length + 3, JSON.stringify(during));
    const started = performance.now();
    await fleet.teardown();
    console.log(`teardown of 3 used hosts: ${(performance.now() - started).toFixed(0)} ms`);
    await fleet.teardown(); // idempotent
    assert.deepEqual(snapshot(), before);
    assert.deepEqual(inside.filter((pid) => !ended(pid)), [], "every process that was inside has ended (daemons too)");
    assert.equal(existsSync(fleet.dir), false);
    const pinned = readdirSync("/proc/self/fd").map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ""; } });
    for (const ns of nsInodes) assert.ok(!pinned.includes(`mnt:[${ns.mnt}]`), "the host's mount namespace is no longer held open");
  });

  test("a fleet whose test threw is torn down by t.after", async () => {
    const file = await script("throws.mjs", `
test("fails on purpose", async (t) => {
  const fleet = await createTestFleet({ hosts: 2, prefix: "tdt" });
  t.after(() => fleet.teardown());
  fleet.hosts[0].spawn("sleep", ["1000"]);
  throw new Error("the test failed on purpose");
});`);
    const r = await run(process.execPath, ["--test", file], { env: childEnv(), timeoutMs: 60_000 });
    assert.equal(r.exitCode, 1, r.stdout.toString() + r.stderr);
    assert.match(r.stdout.toString(), /the test failed on purpose/);
    assert.deepEqual(leftoversOf("tdt"), []);
  });

  test("a process that exits without teardown, or gets SIGTERM, cleans up in its exit and signal hooks", async () => {
    const exits = await script("exits.mjs", `
const fleet = await createTestFleet({ hosts: 2, prefix: "tde" });
fleet.hosts[1].spawn("sleep", ["1000"]);
process.exit(3);`);
    const r = await run(process.execPath, [exits], { env: childEnv(), timeoutMs: 60_000 });
    assert.equal(r.exitCode, 3, r.stderr);
    assert.deepEqual(leftoversOf("tde"), []);

    const waits = await script("waits.mjs", `
const fleet = await createTestFleet({ hosts: 2, prefix: "tds" });
fleet.hosts[0].spawn("sleep", ["1000"]);
console.log("ready");`);
    const child = spawn(process.execPath, [waits], { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => { if (d.toString().includes("ready")) resolve(); });
      child.on("close", (code) => reject(new Error(`child ended (${code}) before it was ready`)));
    });
    assert.ok(leftoversOf("tds").length > 0, "the fleet exists while the child lives");
    child.kill("SIGTERM");
    const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
    assert.equal(signal, "SIGTERM", "the hook re-raises the signal after cleaning up");
    assert.deepEqual(leftoversOf("tds"), []);
  });

  test("after SIGKILL the leftovers stay; sweepStaleTestFleets removes them and the processes inside", async () => {
    const file = await script("killed.mjs", `
const fleet = await createTestFleet({ hosts: 2, prefix: "tdk", disks: { bootMiB: 1 } });
const p = fleet.hosts[0].spawn("sleep", ["1000"]);
await new Promise((r) => setTimeout(r, 200));
console.log("ready", p.pid);
setInterval(() => {}, 1000);`);
    const child = spawn(process.execPath, [file], { env: childEnv(), stdio: ["ignore", "pipe", "inherit"] });
    const sleeper = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => { const m = /ready (\d+)/.exec(d.toString()); if (m) resolve(Number(m[1])); });
      child.on("close", (code) => reject(new Error(`child ended (${code}) before it was ready`)));
    });
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("close", resolve));
    assert.deepEqual(leftoversOf("tdk").sort(), ["hostplane-hosts-tdk", "hpt-tdk", "hpt-tdk-1", "hpt-tdk-2", "hpt-tdk-h1", "hpt-tdk-h2"]);
    assert.ok(existsSync(`/proc/${sleeper}`), "the host's process outlived its test process");
    const mounted = (): number => readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes("/hostplane-hosts-tdk/")).length;
    assert.equal(mounted(), 2, "both hosts' /boot disks are still mounted");
    const report = await sweepStaleTestFleets("tdk");
    assert.deepEqual(report.prefixes, ["tdk"]);
    assert.ok(report.killed.includes(sleeper), JSON.stringify(report));
    assert.deepEqual(leftoversOf("tdk"), []);
    assert.equal(mounted(), 0);
    assert.ok(ended(sleeper), `process ${sleeper} still runs`);
  });

  test("planted leftovers of a crashed run are swept; a live fleet is not, and its prefix cannot be taken", async () => {
    const live = await createTestFleet({ hosts: 1, prefix: "tdl" });
    try {
      const ip = (...args: string[]): void => { const r = spawnSync(IP, args, { encoding: "utf8" }); assert.equal(r.status, 0, `ip ${args.join(" ")}: ${r.stderr}`); };
      ip("netns", "add", "hpt-tdp-h1");
      ip("link", "add", "hpt-tdp", "type", "bridge");
      ip("link", "add", "hpt-tdp-1", "type", "veth", "peer", "name", "eth0", "netns", "hpt-tdp-h1");
      const orphan = spawn(IP, ["netns", "exec", "hpt-tdp-h1", "sleep", "1000"], { detached: true, stdio: "ignore" });
      const orphanExit = new Promise((resolve) => orphan.on("close", resolve));
      const dir = join(tmpdir(), "hostplane-hosts-tdp");
      await mkdir(join(dir, "h1", "nix"), { recursive: true });
      await writeFile(join(dir, "owner.json"), JSON.stringify({ pid: 999_999_999, start: "1" }));
      while (!spawnSync(IP, ["netns", "pids", "hpt-tdp-h1"], { encoding: "utf8" }).stdout.trim()) await new Promise((r) => setTimeout(r, 20));

      const report = await sweepStaleTestFleets();
      assert.ok(report.prefixes.includes("tdp"), JSON.stringify(report));
      assert.ok(!report.prefixes.includes("tdl"), "a live fleet is never swept");
      assert.deepEqual(report.netns.filter((n) => n.startsWith("hpt-tdp")), ["hpt-tdp-h1"]);
      assert.deepEqual(report.links.filter((n) => n.startsWith("hpt-tdp")).sort(), ["hpt-tdp", "hpt-tdp-1"]);
      await orphanExit;
      assert.deepEqual(leftoversOf("tdp"), []);
      assert.deepEqual(leftoversOf("tdl").sort(), ["hostplane-hosts-tdl", "hpt-tdl", "hpt-tdl-1", "hpt-tdl-h1"]);
      assert.equal((await live.hosts[0]!.exec("true", [])).exitCode, 0, "the live fleet still works");

      await assert.rejects(createTestFleet({ hosts: 1, prefix: "tdl" }), /already has a live fleet with that prefix/);
      // Another live process's fleet directory (here: stamped with our own pid from outside the registry).
      const taken = join(tmpdir(), "hostplane-hosts-tdc");
      await mkdir(taken);
      await writeFile(join(taken, "owner.json"), readFileSync(join(live.dir, "owner.json")));
      await assert.rejects(createTestFleet({ hosts: 1, prefix: "tdc" }), /another live test uses this prefix/);
      await rm(taken, { recursive: true });
    } finally {
      await live.teardown();
    }
    assert.deepEqual(leftoversOf("tdl"), []);
  });
});

// The compiled harness must exist beside this file for the child scripts.
assert.ok(existsSync(fileURLToPath(HARNESS)), `${HARNESS} missing: run npm run build`);
