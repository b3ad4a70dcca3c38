/**
 * Each test host has its own /nix (a working Nix store), /run, /boot and
 * /var/lib/hostplane; the machine's own directories are untouched; a power
 * cycle ends every process inside and empties /run but keeps the disks, which
 * can be size-limited.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { HOSTS_SKIP, buildSystem, copyToHosts, createTestFleet, type TestFleet, type TestHost } from "../harness/hosts/index.js";

const PRIVATE = ["/nix", "/run", "/boot", "/var/lib/hostplane"] as const;

async function sh(host: TestHost, script: string, ...args: string[]): Promise<string> {
  const r = await host.exec("/bin/sh", ["-c", script, "sh", ...args]);
  assert.equal(r.exitCode, 0, `${host.name}: ${script}: ${r.stderr}`);
  return r.stdout.toString("utf8");
}

describe("test-host isolation", { skip: HOSTS_SKIP }, () => {
  let fleet: TestFleet;
  const machineNix = existsSync("/nix") ? readdirSync("/nix").sort() : [];

  before(async () => { fleet = await createTestFleet({ hosts: 3, prefix: "iso" }); });
  after(async () => { await fleet.teardown(); });

  test("a file written under each private directory in h1 is seen by h1 only, and lands in h1's root", async () => {
    const [h1, h2, h3] = fleet.hosts as [TestHost, TestHost, TestHost];
    for (const dir of PRIVATE) await sh(h1, 'echo "$2" > "$1/only-h1"', dir, `h1 ${dir}`);
    for (const dir of PRIVATE) {
      assert.equal(await sh(h1, 'cat "$1/only-h1"', dir), `h1 ${dir}\n`);
      for (const other of [h2, h3]) assert.equal(await sh(other, 'test -e "$1/only-h1" && echo seen || echo absent', dir), "absent\n", `${other.name} ${dir}`);
      assert.equal(existsSync(join(dir, "only-h1")), false, `the machine's ${dir} is untouched`);
    }
    const subdir = { "/nix": "nix", "/run": "run", "/boot": "boot", "/var/lib/hostplane": "state" } as const;
    for (const dir of PRIVATE) assert.equal(await readFile(join(h1.root, subdir[dir], "only-h1"), "utf8"), `h1 ${dir}\n`);
  });

  test("mounts inside a host are exactly its own directories, and it has its own mount namespace", async () => {
    const h2 = fleet.hosts[1]!;
    const info = await sh(h2, "cat /proc/self/mountinfo");
    for (const [dir, sub] of [["/nix", "nix"], ["/run", "run"], ["/boot", "boot"], ["/var/lib/hostplane", "state"]] as const) {
      const line = info.split("\n").find((l) => l.split(" ")[4] === dir);
      assert.ok(line, `${dir} is a mount point in ${h2.name}`);
      assert.equal(line.split(" ")[3], join(h2.root, sub), `${dir} is ${h2.name}'s ${sub}`);
    }
    const inode = (await sh(h2, "stat -L -c %i /proc/self/ns/mnt")).trim();
    assert.equal(Number(inode), h2.namespaces().mnt);
    assert.notEqual(Number(inode), statSync("/proc/self/ns/mnt").ino);
  });

  test("each host's store works on its own: nix-build inside h3 lands in h3's store only", async () => {
    const [h1, , h3] = fleet.hosts as [TestHost, TestHost, TestHost];
    const expr = 'derivation { name = "iso-probe"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo h3 > $out" ]; }';
    const r = await h3.exec("nix-build", ["--no-out-link", "-E", expr]);
    assert.equal(r.exitCode, 0, r.stderr);
    const out = r.stdout.toString().trim();
    assert.match(out, /^\/nix\/store\/[0-9a-z]{32}-iso-probe$/);
    assert.equal(await sh(h3, 'nix-store --verify-path "$1" && cat "$1"', out), "h3\n");
    assert.equal(existsSync(join(h3.root, out)), true);
    assert.notEqual((await h1.exec("nix-store", ["--verify-path", out])).exitCode, 0, "h1's store does not have it");
    assert.equal(existsSync(out), false, "the machine's store does not have it");
    assert.deepEqual(existsSync("/nix") ? readdirSync("/nix").sort() : [], machineNix);
  });

  test("the host's environment is its own: HOME, offline Nix settings, no test-runner variables", async () => {
    const h1 = fleet.hosts[0]!;
    const env = await sh(h1, "env");
    assert.match(env, new RegExp(`^HOME=${h1.root}/home$`, "m"));
    assert.match(env, /^NIX_CONFIG=substituters =$/m);
    assert.doesNotMatch(env, /NODE_TEST_CONTEXT/);
    assert.equal(await sh(h1, 'echo "$X"'), "\n");
    assert.equal((await h1.exec("/bin/sh", ["-c", 'echo "$X"'], { env: { X: "given" } })).stdout.toString(), "given\n");
    // cwd is resolved inside the host: its own /var/lib/hostplane, not the machine's.
    await sh(h1, "echo inside > /var/lib/hostplane/cwd-marker");
    const r = await h1.exec("/bin/sh", ["-c", "pwd; cat cwd-marker"], { cwd: "/var/lib/hostplane" });
    assert.equal(r.stdout.toString(), "/var/lib/hostplane\ninside\n", r.stderr);
    const p = h1.spawn("/bin/sh", ["-c", "cat cwd-marker"], { cwd: "/var/lib/hostplane" });
    assert.equal((await p.exited).exitCode, 0);
    assert.equal(p.stdout(), "inside\n");
  });

  test("powerCycle: every process inside ends, /run is empty, /nix /boot and state stay, a new mount namespace", async () => {
    const h2 = fleet.hosts[1]!;
    await writeFile(join(h2.root, "boot", "keep"), "boot ");
    await sh(h2, "echo state > /var/lib/hostplane/keep; printf 'nix ' > /nix/keep");
    // A mount made inside lives in the host's mount namespace only; a new namespace has none.
    await sh(h2, "mkdir /nix/probe && mount -t tmpfs probe /nix/probe && echo in-tmpfs > /nix/probe/f");
    await sh(h2, "echo gone > /run/volatile");
    // A daemon that leaves its parent: found by namespace, not by pid.
    await sh(h2, "setsid sleep 1000 </dev/null >/dev/null 2>&1 &");
    const p = h2.spawn("sleep", ["1000"]);
    const netBefore = h2.namespaces().net;
    // nsenter enters the namespaces a moment after spawn() returns.
    for (let i = 0; i < 100 && !(h2.processes().includes(p.pid) && h2.processes().length >= 2); i++) await sleep(20);
    assert.ok(h2.processes().includes(p.pid) && h2.processes().length >= 2, `processes inside: ${h2.processes().join(" ")}`);
    await h2.powerCycle();
    assert.deepEqual(await p.exited, { exitCode: null, signal: "SIGKILL" });
    assert.deepEqual(h2.processes(), []);
    assert.equal(await sh(h2, "ls -A /run | grep -v '^mount$' || true"), "");
    assert.equal(await sh(h2, "cat /boot/keep /nix/keep /var/lib/hostplane/keep"), "boot nix state\n");
    assert.equal(await sh(h2, "hostname"), "h2\n");
    assert.equal(await sh(h2, "ls -A /nix/probe; grep -c ' /nix/probe ' /proc/self/mountinfo || true"), "0\n");
    assert.equal(h2.namespaces().net, netBefore);
  });
});

describe("size-limited host disks", { skip: HOSTS_SKIP }, () => {
  let fleet: TestFleet;

  before(async () => {
    fleet = await createTestFleet({ hosts: 2, prefix: "isd", disks: ({ index }) => (index === 1 ? { nixMiB: 16, bootMiB: 4 } : undefined) });
  });
  after(async () => {
    await fleet.teardown();
    assert.deepEqual(readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(fleet.dir)), [], "no disk left mounted");
  });

  test("statvfs inside reports the limited sizes; an unlimited host sees the machine's disk", async () => {
    const [h1, h2] = fleet.hosts as [TestHost, TestHost];
    const sizeKiB = async (h: TestHost, dir: string): Promise<number> => Number((await sh(h, 'df -k --output=size "$1" | tail -1', dir)).trim());
    assert.equal(await sizeKiB(h1, "/nix"), 16 * 1024);
    assert.equal(await sizeKiB(h1, "/boot"), 4 * 1024);
    assert.equal(await sizeKiB(h1, "/var/lib/hostplane"), await sizeKiB(h2, "/var/lib/hostplane"), "state is not limited");
    assert.ok(await sizeKiB(h2, "/nix") > 16 * 1024);
  });

  test("a closure larger than the limited /nix fails with ENOSPC and leaves it full until a GC; then a small one fits and survives a power cycle", async () => {
    const h1 = fleet.hosts[0]!;
    const [big, small] = await Promise.all([
      buildSystem(fleet.buildStore, { name: "disk", generationTag: "big", payloadBytes: 24 << 20 }),
      buildSystem(fleet.buildStore, { name: "disk", generationTag: "small" }),
    ]);
    await assert.rejects(copyToHosts(fleet.buildStore, [big], [h1]), /No space left on device/);
    // Real Nix keeps the partial (invalid) path until the next garbage collection.
    const availKiB = Number((await sh(h1, "df -k --output=avail /nix | tail -1")).trim());
    assert.ok(availKiB < 1024, `only ${availKiB} KiB left on /nix`);
    await assert.rejects(copyToHosts(fleet.buildStore, [small], [h1]), /No space left on device/);
    await sh(h1, "nix-store --gc >/dev/null 2>&1");
    await copyToHosts(fleet.buildStore, [small], [h1]);
    await h1.powerCycle();
    assert.equal(await sh(h1, 'nix-store --verify-path "$1" && echo valid', small), "valid\n");
  });
});
