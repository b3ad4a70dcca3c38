/**
 * gatherFacts over a fake, broken host: roots pointing at a tree made here
 * (directories where files belong, garbage, truncated and missing files, a
 * FIFO) and tools that are missing, hang or print nonsense. It must resolve,
 * pass the schema, and give each affected probe a reason naming the path.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { factsSchema, type Facts, type Probe } from "../../src/contract/facts.js";
import { gatherFacts } from "../../src/contract/linux/index.js";
import { baseOptions, isLinux, which } from "./_gather-harness.js";

const MKFIFO = which("mkfifo");
const skip = !isLinux ? `needs Linux (statfs, /proc semantics), this is ${process.platform}` : MKFIFO === null ? "mkfifo not installed" : false;
if (skip) console.log(`# skipping gather-broken: ${skip}`);

/** A file tree from a spec: string → file, "DIR" → directory where a file is expected, "FIFO" → named pipe. */
async function makeTree(root: string, spec: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(spec)) {
    const path = join(root, rel);
    await mkdir(dirname(path), { recursive: true });
    if (content === "DIR") await mkdir(path, { recursive: true });
    else if (content === "FIFO") execFileSync(MKFIFO!, [path]);
    else await writeFile(path, content);
  }
}

function reason(p: Probe<unknown>, what: string): string {
  assert.equal(p.ok, false, `${what} should fail, got ${JSON.stringify(p)}`);
  return p.ok ? "" : p.reason;
}

describe("gatherFacts on a broken host", { skip }, () => {
  let dir: string;
  const r = (name: string) => join(dir, name);
  before(async () => { dir = await mkdtemp(join(tmpdir(), "hostplane-broken-")); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  describe("broken /proc, /sys, /dev, /boot and no tools", () => {
    let facts: Facts;
    before(async () => {
      await makeTree(dir, {
        "proc/sys/kernel/osrelease": "6.1.0-fake\n",
        "proc/sys/kernel/version": "#1 SMP fake\n",
        "proc/config.gz": Buffer.from("this is not gzip"),
        "proc/cpuinfo": "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel na",
        "proc/self/mountinfo": "garbage without the separator\n",
        "proc/1/comm": "DIR",
        "proc/swaps": "\x00\x01binary junk",
        "proc/net/ip6_tables_names": "DIR",
        "proc/sys/net/ipv6/conf/all/disable_ipv6": "banana\n",
        "proc/sys/net/ipv6/conf/default/disable_ipv6": "0\n",
        "sys/devices/system/cpu/vulnerabilities/meltdown": "Not affected\n",
        "sys/devices/system/cpu/vulnerabilities/spectre_v2": "DIR",
        "sys/devices/system/cpu/smt/control": "on\n",
        "sys/devices/system/cpu/smt/active": "2\n",
        "sys/kernel/mm/ksm/run": "FIFO",
        "dev/kvm": "a regular file where the device should be",
        "boot/config-6.1.0-fake": "DIR",
        "tools/.keep": "",
        "storage/afile": "x",
      });
      facts = await gatherFacts(baseOptions({
        roots: { proc: r("proc"), sys: r("sys"), dev: r("dev"), etc: r("etc"), var: r("var"), boot: r("boot") },
        toolPath: r("tools"),
        scratch: true,
        storagePaths: [{ role: "state", path: r("storage/afile/below-a-file") }],
      }));
    });

    test("resolves to a snapshot that passes the schema", () => {
      assert.deepEqual(factsSchema.parse(facts), facts);
    });

    test("kernel is read from the fake proc; the config reasons name both places tried", () => {
      assert.deepEqual(facts.kernel, { ok: true, value: { release: "6.1.0-fake", version: "#1 SMP fake" } });
      const why = reason(facts.kernelConfig, "kernelConfig");
      assert.ok(why.includes(`cannot decompress ${r("proc/config.gz")}`), why);
      assert.ok(why.includes(`cannot read ${r("boot/config-6.1.0-fake")}: EISDIR`), why);
      assert.equal(reason(facts.cmdline, "cmdline"), `cannot read ${r("proc/cmdline")}: ENOENT`);
    });

    test("truncated cpuinfo, a directory among the vulnerabilities, garbage SMT state", () => {
      assert.match(reason(facts.cpu, "cpu"), new RegExp(`^unexpected content in ${r("proc/cpuinfo")}: .*no flags line`));
      assert.equal(reason(facts.cpuVulnerabilities, "vulns"), `cannot read ${r("sys/devices/system/cpu/vulnerabilities/spectre_v2")}: EISDIR (a directory where a file was expected)`);
      assert.equal(reason(facts.smt, "smt"), `unexpected content in ${r("sys/devices/system/cpu/smt/active")}: "2" (expected 0 or 1)`);
    });

    test("kvm: a regular file is stat'ed but never given an ioctl; a missing kvm module is a reason", () => {
      const device = facts.kvm.device;
      assert.ok(device.ok && device.value.exists && device.value.type === "file");
      assert.equal(reason(facts.kvm.apiVersion, "apiVersion"), `${r("dev/kvm")} is a file, not a character device`);
      assert.equal(reason(facts.kvm.extensions, "extensions"), `${r("dev/kvm")} is a file, not a character device`);
      assert.match(reason(facts.kvm.moduleParams, "moduleParams"), new RegExp(`^cannot list ${r("sys/module/kvm/parameters")}: ENOENT`));
    });

    test("cgroup: no /sys/fs/cgroup to statfs, unparseable mountinfo, and the dirs that depend on it", () => {
      assert.equal(reason(facts.cgroup.rootFsType, "rootFsType"), `cannot statfs ${r("sys/fs/cgroup")}: ENOENT`);
      assert.match(reason(facts.cgroup.unifiedMount, "unifiedMount"), new RegExp(`^unexpected content in ${r("proc/self/mountinfo")}: line 1`));
      assert.match(reason(facts.cgroup.root, "root"), /^cgroup2 mount unknown: unexpected content in /);
      assert.match(reason(facts.cgroup.slice, "slice"), /^cgroup2 mount unknown: /);
    });

    test("network: missing tools named with the directory searched; sysctls name their path", () => {
      assert.equal(reason(facts.net.nft, "nft"), `nft not found in ${r("tools")}`);
      assert.equal(reason(facts.net.links, "links"), `ip not found in ${r("tools")}`);
      assert.equal(reason(facts.net.scratch, "scratch"), `ip not found in ${r("tools")}`);
      assert.equal(reason(facts.net.legacyIptables, "legacy"), `cannot read ${r("proc/net/ip6_tables_names")}: EISDIR (a directory where a file was expected)`);
      assert.equal(reason(facts.net.ipv6, "ipv6"), `unexpected content in ${r("proc/sys/net/ipv6/conf/all/disable_ipv6")}: "banana" (expected 0 or 1)`);
      assert.equal(reason(facts.net.forwarding, "forwarding"), `cannot read ${r("proc/sys/net/ipv4/ip_forward")}: ENOENT`);
      assert.deepEqual(facts.net.devices["/dev/net/tun"], { ok: true, value: { exists: false } }, "a missing node is a value");
    });

    test("services: /proc/1/comm a directory fails pid1, and journald and time sync say why they were not asked", () => {
      const pid1 = reason(facts.services.pid1, "pid1");
      assert.equal(pid1, `cannot read ${r("proc/1/comm")}: EISDIR (a directory where a file was expected)`);
      assert.equal(reason(facts.services.journald, "journald"), `cannot tell whether systemd runs journald: ${pid1}`);
      assert.equal(reason(facts.services.timeSync, "timeSync"), `cannot tell whether systemd runs time sync: ${pid1}`);
    });

    test("hygiene: garbage swaps and a FIFO for KSM are reasons (the FIFO is not opened for a blocking read)", () => {
      assert.match(reason(facts.hygiene.swaps, "swaps"), new RegExp(`^unexpected content in ${r("proc/swaps")}: `));
      assert.equal(reason(facts.hygiene.ksmRun, "ksm"), `cannot read ${r("sys/kernel/mm/ksm/run")}: not a regular file (fifo)`);
    });

    test("nix missing; a storage path below a file does not exist and is measured at the file", () => {
      assert.equal(reason(facts.nix, "nix"), `nix not found in ${r("tools")}`);
      const [s] = facts.storage;
      assert.deepEqual(s?.stat, { ok: true, value: { exists: false } });
      assert.ok(s?.usage.ok && s.usage.value.measuredAt === r("storage/afile"), JSON.stringify(s?.usage));
    });
  });

  test("roots that do not exist at all: every file probe names the path it tried, none claims a value", async () => {
    const nowhere = r("nowhere");
    const facts = await gatherFacts(baseOptions({
      roots: { proc: `${nowhere}/proc`, sys: `${nowhere}/sys`, dev: `${nowhere}/dev`, var: `${nowhere}/var`, boot: `${nowhere}/boot` },
      toolPath: r("tools"),
    }));
    assert.deepEqual(factsSchema.parse(facts), facts);
    const fileProbes: Record<string, Probe<unknown>> = {
      kernel: facts.kernel, cmdline: facts.cmdline, cpu: facts.cpu, vulns: facts.cpuVulnerabilities, smt: facts.smt,
      moduleParams: facts.kvm.moduleParams, apiVersion: facts.kvm.apiVersion, rootFsType: facts.cgroup.rootFsType,
      unifiedMount: facts.cgroup.unifiedMount, legacy: facts.net.legacyIptables, ipv6: facts.net.ipv6,
      forwarding: facts.net.forwarding, pid1: facts.services.pid1, swaps: facts.hygiene.swaps, ksm: facts.hygiene.ksmRun,
    };
    for (const [what, p] of Object.entries(fileProbes)) assert.ok(reason(p, what).includes(nowhere), `${what}: ${reason(p, what)}`);
    assert.equal(reason(facts.net.legacyIptables, "legacy"), `cannot read ${nowhere}/proc/net: ENOENT`, "not 'no legacy tables'");
  });

  test("tools that hang, print nonsense or fail: each a reason naming the command", { timeout: 30_000 }, async () => {
    const bin = r("badtools");
    await mkdir(bin, { recursive: true });
    const script = async (name: string, body: string) => {
      await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
      await chmod(join(bin, name), 0o755);
    };
    await script("nft", "exec sleep 30");
    await script("ip", "echo '[{\"not\": \"a link\"}]'");
    await script("unshare", "echo 'unshare: unshare failed: Operation not permitted' >&2; exit 1");
    await script("nix", "echo 'error: something broke' >&2; exit 1");
    const started = performance.now();
    const facts = await gatherFacts(baseOptions({ toolPath: bin, timeoutMs: 400, scratch: true }));
    assert.ok(performance.now() - started < 5000, "hung tools are cut off by the timeout");
    assert.deepEqual(factsSchema.parse(facts), facts);
    // Both nft calls hang; whichever the probe awaited first is named.
    assert.match(reason(facts.net.nft, "nft"), /^nft (--version|list tables) timed out after 400 ms$/);
    assert.equal(reason(facts.net.links, "links"), "cannot parse the output of ip -details -json link show: a link entry has no ifname");
    assert.match(reason(facts.net.scratch, "scratch"), /^unshare --net -- .*\/badtools\/ip failed: unshare: unshare failed: Operation not permitted$|^unshare --user --map-root-user --net -- /);
    assert.match(reason(facts.nix, "nix"), new RegExp(`^nix in ${bin}: .*something broke`));
  });
});
