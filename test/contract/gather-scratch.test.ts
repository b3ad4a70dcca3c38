/**
 * The scratch-namespace probes really create and remove links and an
 * nftables table, report WireGuard as the kernel does, and leave nothing on
 * the host — also when the child is SIGKILLed half-way.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { existsSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import type { Facts } from "../../src/contract/facts.js";
import { gatherFacts } from "../../src/contract/linux/index.js";
import { baseOptions, hostLinkNames, isLinux, isRoot, liveNetns, namedNetns, PROBE_LINK_RE, which } from "./_gather-harness.js";

const tools = { ip: which("ip"), unshare: which("unshare"), nft: which("nft"), nsenter: which("nsenter"), setpriv: which("setpriv") };
const missingTool = Object.entries(tools).find(([, p]) => p === null)?.[0];
const skip = !isLinux ? "needs Linux"
  : !isRoot ? "needs root: the test compares with `unshare --net` run as root (the gatherer itself would use a user namespace)"
  : missingTool !== undefined ? `${missingTool} not installed`
  : false;
if (skip) console.log(`# skipping gather-scratch: ${skip}`);

/** The same command in a fresh namespace of our own: the oracle for what the kernel allows. */
function worksInFreshNetns(command: string, args: string[], input?: string): boolean {
  return spawnSync(tools.unshare!, ["--net", "--", command, ...args], { input: input ?? "", stdio: ["pipe", "ignore", "ignore"] }).status === 0;
}

/** Named namespaces, without the test hosts (`hpt-…`) other test files create and remove while this one runs. */
const ownNetns = (): string[] => namedNetns().filter((n) => !n.startsWith("hpt-"));

function assertHostClean(netnsBefore: readonly string[]): void {
  assert.deepEqual(hostLinkNames().filter((n) => PROBE_LINK_RE.test(n)), [], "no probe link on the host");
  assert.deepEqual(ownNetns(), netnsBefore, "no new entry in /var/run/netns");
}

describe("scratch-namespace probes", { skip }, () => {
  let netnsBefore: string[];
  before(() => { netnsBefore = ownNetns(); });

  test("bridge, tap, tap on bridge, veth and nftables are created and removed; wireguard as a fresh namespace allows", async () => {
    assert.deepEqual(hostLinkNames().filter((n) => PROBE_LINK_RE.test(n)), [], "precondition: no probe links on the host");
    const started = performance.now();
    const facts = await gatherFacts(baseOptions({ scratch: true }));
    console.log(`gather with scratch took ${(performance.now() - started).toFixed(0)} ms`);
    assert.ok(facts.net.scratch.ok, facts.net.scratch.ok ? "" : facts.net.scratch.reason);
    const s = facts.net.scratch.value;
    assert.equal(s.method, "unshare --net");
    for (const step of ["bridge", "tap", "tapOnBridge", "veth"] as const) assert.deepEqual(s[step], { created: true, removed: true }, step);

    const wgWorks = worksInFreshNetns(tools.ip!, ["link", "add", "wg-oracle", "type", "wireguard"]);
    assert.equal(s.wireguard.created, wgWorks, JSON.stringify(s.wireguard));
    if (wgWorks) assert.equal(s.wireguard.removed, true);
    else assert.deepEqual(s.wireguard, { created: false, removed: null, error: "Error: Unknown device type." });

    const nftScript = "add table inet oracle\nadd chain inet oracle c { type filter hook input priority 0; }\n";
    assert.equal(s.nftables.created, worksInFreshNetns(tools.nft!, ["-f", "-"], nftScript), JSON.stringify(s.nftables));
    assertHostClean(netnsBefore);
  });

  const asNobody = (args: string[]) => spawnSync(tools.setpriv!, ["--reuid=65534", "--regid=65534", "--clear-groups", ...args], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", HOME: "/" } });
  const index = new URL("../../src/contract/linux/index.js", import.meta.url);
  // A checkout in a 0700 directory (mktemp -d) cannot be read by nobody: that is the checkout, not the gatherer.
  const unreadable = skip === false && asNobody(["/usr/bin/test", "-r", index.pathname]).status !== 0
    ? `nobody cannot read ${index.pathname} (the checkout's directories are not world-readable)` : false;
  if (unreadable) console.log(`# skipping the unprivileged scratch test: ${unreadable}`);

  test("as an unprivileged user: a user namespace, and the same answers as unshare gives that user", { skip: unreadable }, () => {
    const script = `const { gatherFacts } = await import(${JSON.stringify(index.href)});
      const f = await gatherFacts({ kernelConfigKeys: [], kvmCapabilities: {}, storagePaths: [], microvmSlice: "x.slice" });
      process.stdout.write(JSON.stringify(f.net.scratch));`;
    const run = asNobody([process.execPath, "--input-type=module", "-e", script]);
    assert.equal(run.status, 0, run.stderr);
    const scratch = JSON.parse(run.stdout) as Facts["net"]["scratch"];
    const userns = ["--user", "--map-root-user", "--net", "--"];
    const oracle = (args: string[]) => asNobody([tools.unshare!, ...userns, tools.ip!, ...args]).status === 0;
    if (!oracle(["link", "show"])) {
      assert.equal(scratch.ok, false, "user namespaces are not allowed here, so the probe must say so");
      return;
    }
    assert.ok(scratch.ok, scratch.ok ? "" : scratch.reason);
    assert.equal(scratch.value.method, "unshare --user --map-root-user --net");
    assert.equal(scratch.value.bridge.created, oracle(["link", "add", "b0", "type", "bridge"]));
    assert.equal(scratch.value.tap.created, oracle(["tuntap", "add", "dev", "t0", "mode", "tap"]), JSON.stringify(scratch.value.tap));
    assertHostClean(netnsBefore);
  });

  describe("interrupted", () => {
    let dir: string;
    before(async () => { dir = await mkdtemp(join(tmpdir(), "hostplane-scratch-kill-")); });
    after(async () => { await rm(dir, { recursive: true, force: true }); });

    test("gatherFacts' own child, SIGKILLed on timeout after creating links, takes its namespace with it", async () => {
      // toolPath holds the real unshare and nft, and an `ip` that runs the batch's creations with the real ip,
      // records its namespace and what it made, then ignores SIGTERM (the disposition survives exec) so run() must SIGKILL.
      const bin = join(dir, "bin");
      await mkdir(bin);
      await symlink(tools.unshare!, join(bin, "unshare"));
      await symlink(tools.nft!, join(bin, "nft"));
      await writeFile(join(bin, "ip"), [
        "#!/bin/sh",
        `case "$*" in *-batch*) ;; *) exec ${tools.ip} "$@" ;; esac`,
        `head -n 5 > ${dir}/creations`,
        `${tools.ip} -force -batch ${dir}/creations 2>/dev/null`,
        `${tools.ip} -oneline link show > ${dir}/inside`,
        `readlink /proc/self/ns/net > ${dir}/netns`,
        `echo $$ > ${dir}/pid`,
        "trap '' TERM",
        "exec sleep 60",
        "",
      ].join("\n"));
      await chmod(join(bin, "ip"), 0o755);

      const started = performance.now();
      const facts = await gatherFacts(baseOptions({ scratch: true, toolPath: bin, timeoutMs: 1500 }));
      const took = performance.now() - started;
      assert.equal(facts.net.scratch.ok, false);
      assert.match(facts.net.scratch.ok ? "" : facts.net.scratch.reason, /-batch - timed out after 1500 ms$/);
      assert.ok(took < 5000, `killed promptly (${took.toFixed(0)} ms)`);

      const inside = await readFile(join(dir, "inside"), "utf8");
      for (const name of ["hp-probe-br", "hp-probe-tap", "hp-probe-v0"]) assert.match(inside, new RegExp(`: ${name}[:@]`), "the links existed mid-way");
      const ns = (await readFile(join(dir, "netns"), "utf8")).trim();
      assert.match(ns, /^net:\[\d+\]$/);
      const pid = Number(await readFile(join(dir, "pid"), "utf8"));
      assert.equal(existsSync(`/proc/${pid}`), false, "the child is gone (SIGKILL, since it ignored SIGTERM)");
      assert.equal(liveNetns().has(ns), false, `no process is left in ${ns}, so the kernel has freed it`);
      assertHostClean(netnsBefore);
    });

    test("unshare --net -- ip -batch -, SIGKILLed while it waits for more input, leaves nothing", async () => {
      const child = spawn(tools.unshare!, ["--net", "--", tools.ip!, "-force", "-batch", "-"], { stdio: ["pipe", "ignore", "ignore"] });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin.write("link add hp-probe-br type bridge\nlink add hp-probe-v0 type veth peer name hp-probe-v1\ntuntap add dev hp-probe-tap mode tap\n");
      const nsPath = `/proc/${child.pid}/ns/net`;
      let inside = "";
      for (let i = 0; i < 100 && !inside.includes("hp-probe-tap"); i++) {
        await sleep(20);
        inside = spawnSync(tools.nsenter!, [`--net=${nsPath}`, tools.ip!, "-oneline", "link", "show"], { encoding: "utf8" }).stdout ?? "";
      }
      assert.match(inside, /hp-probe-br/, "the links exist inside the child's namespace before the kill");
      const ns = readlinkSync(nsPath);
      assert.equal(hostLinkNames().some((n) => PROBE_LINK_RE.test(n)), false, "and never on the host");
      child.kill("SIGKILL");
      await exited;
      assert.equal(liveNetns().has(ns), false, `${ns} is gone with its only process`);
      assertHostClean(netnsBefore);
    });
  });
});
