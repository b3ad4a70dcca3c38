/**
 * gatherFacts on this machine: the snapshot is well formed, and each fact
 * agrees with the host read independently (other files, other tools).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync, statfsSync, statSync } from "node:fs";
import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { cpus, release, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { factsSchema, SCRATCH_NOT_RUN, type Facts } from "../../src/contract/facts.js";
import { evaluateContract } from "../../src/contract/evaluate.js";
import { gatherFacts } from "../../src/contract/linux/index.js";
import { hostParameters } from "../../src/contract/linux/_kernel.js";
import { baseOptions, cgroup2FromProcMounts, isLinux, isRoot, which } from "./_gather-harness.js";

const skip = isLinux ? false : `gathering needs Linux, this is ${process.platform}`;
if (skip) console.log(`# skipping gather: ${skip}`);

function value<T>(p: { ok: true; value: T } | { ok: false; reason: string }, what: string): T {
  assert.ok(p.ok, `${what}: ${p.ok ? "" : p.reason}`);
  return p.value;
}

describe("gatherFacts on the real machine", { skip }, () => {
  let dir: string;
  let facts: Facts;
  const owner = isRoot ? { uid: 1234, gid: 5678 } : { uid: process.getuid!(), gid: process.getgid!() };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hostplane-gather-"));
    await chmod(dir, 0o2750);
    if (isRoot) await chown(dir, owner.uid, owner.gid);
    const started = performance.now();
    facts = await gatherFacts(baseOptions({
      storagePaths: [{ role: "images", path: dir }, { role: "volumes", path: join(dir, "not", "yet") }],
    }));
    console.log(`gather without scratch took ${(performance.now() - started).toFixed(0)} ms (durationMs ${facts.durationMs})`);
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test("the snapshot passes the facts schema unchanged", () => {
    assert.deepEqual(factsSchema.parse(facts), facts);
    assert.deepEqual(factsSchema.parse(JSON.parse(JSON.stringify(facts))), facts, "survives a JSON round trip");
  });

  test("kernel release is os.release(); config read from /proc/config.gz when the kernel offers it", () => {
    assert.equal(value(facts.kernel, "kernel").release, release());
    const config = value(facts.kernelConfig, "kernelConfig");
    if (existsSync("/proc/config.gz")) assert.equal(config.source, "/proc/config.gz");
    assert.deepEqual(Object.keys(config.options).sort(), baseOptions().kernelConfigKeys.slice().sort());
    assert.equal(value(facts.cmdline, "cmdline"), hostParameters(readFileSync("/proc/cmdline", "utf8").trim()));
  });

  test("cpu count matches os.cpus()", () => {
    assert.equal(value(facts.cpu, "cpu").count, cpus().length);
  });

  test("/dev/kvm: exists as on disk; API version 12 when it is a read-write char device", () => {
    const device = value(facts.kvm.device, "kvm.device");
    assert.equal(device.exists, existsSync("/dev/kvm"));
    let rw = false;
    try {
      accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
      rw = statSync("/dev/kvm").isCharacterDevice();
    } catch { /* not there or not ours */ }
    if (rw) {
      assert.equal(value(facts.kvm.apiVersion, "apiVersion"), 12);
      const ext = value(facts.kvm.extensions, "extensions");
      assert.ok((ext["KVM_CAP_MAX_VCPUS"] ?? 0) >= (ext["KVM_CAP_NR_VCPUS"] ?? 0), JSON.stringify(ext));
      assert.ok((ext["KVM_CAP_USER_MEMORY"] ?? 0) > 0);
    } else {
      assert.equal(facts.kvm.apiVersion.ok, false);
      assert.match(facts.kvm.apiVersion.ok ? "" : facts.kvm.apiVersion.reason, /\/dev\/kvm/);
    }
  });

  test("cgroup: statfs type and the cgroup2 mount agree with statfs and /proc/mounts", () => {
    assert.equal(value(facts.cgroup.rootFsType, "rootFsType"), statfsSync("/sys/fs/cgroup").type);
    const mount = value(facts.cgroup.unifiedMount, "unifiedMount");
    assert.equal(mount, cgroup2FromProcMounts());
    if (mount !== null) {
      const root = value(facts.cgroup.root, "cgroup root");
      const want = readFileSync(join(mount, "cgroup.controllers"), "utf8").split(/\s+/).filter((w) => w !== "");
      assert.deepEqual(root.controllers, want);
      const slice = value(facts.cgroup.slice, "slice");
      assert.equal(slice.path, join(mount, "hostplane.slice", "hostplane-microvms.slice"));
      assert.equal(slice.exists, existsSync(slice.path));
    }
  });

  test("PID 1 is what /proc/1/comm says; journald and time sync are reasons when it is not systemd", () => {
    const comm = readFileSync("/proc/1/comm", "utf8").trim();
    const pid1 = value(facts.services.pid1, "pid1");
    assert.equal(pid1.comm, comm);
    if (comm !== "systemd") {
      assert.equal(pid1.systemdVersion, null);
      for (const p of [facts.services.journald, facts.services.timeSync]) {
        assert.equal(p.ok, false);
        assert.match(p.ok ? "" : p.reason, new RegExp(`^PID 1 is ${comm}, not systemd: `));
      }
    } else {
      assert.ok((pid1.systemdVersion ?? 0) > 200);
    }
  });

  test("storage: mode, owner and type of a directory we made; a missing path is measured at its nearest ancestor", () => {
    const [made, missing] = facts.storage;
    assert.deepEqual(value(made!.stat, "stat"), { exists: true, type: "dir", uid: owner.uid, gid: owner.gid, mode: 0o2750 });
    const usage = value(made!.usage, "usage");
    assert.equal(usage.measuredAt, dir);
    const sf = statfsSync(dir);
    assert.equal(usage.fsType, sf.type);
    assert.equal(usage.totalBytes, sf.blocks * sf.bsize);
    assert.deepEqual(value(missing!.stat, "stat"), { exists: false });
    assert.equal(value(missing!.usage, "usage").measuredAt, dir);
  });

  test("network: lo is listed; device nodes, sysctls and legacy tables as the files say", () => {
    const links = value(facts.net.links, "links");
    assert.deepEqual(links["lo"], { kind: "", up: true });
    assert.equal(value(facts.net.devices["/dev/net/tun"]!, "tun").exists, existsSync("/dev/net/tun"));
    assert.equal(value(facts.net.devices["/dev/vhost-vsock"]!, "vsock").exists, existsSync("/dev/vhost-vsock"));
    const fwd = value(facts.net.forwarding, "forwarding");
    assert.equal(fwd.ipv4, readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim() === "1");
    const names = (f: string) => (existsSync(f) ? readFileSync(f, "utf8").split("\n").filter((l) => l !== "").sort() : []);
    assert.deepEqual(value(facts.net.legacyIptables, "legacyIptables"), { ipv4: names("/proc/net/ip_tables_names"), ipv6: names("/proc/net/ip6_tables_names") });
  });

  test("nft version and nix version are what the tools print", { skip: which("nft") === null ? "nft not installed" : false }, () => {
    const printed = execFileSync(which("nft")!, ["--version"], { encoding: "utf8" });
    const nft = value(facts.net.nft, "nft");
    assert.ok(printed.includes(`v${nft.version}`), `${printed} vs ${nft.version}`);
    if (which("nix") !== null) {
      const nix = value(facts.nix, "nix");
      assert.ok(execFileSync(which("nix")!, ["--version"], { encoding: "utf8" }).includes(nix.version));
      assert.equal(typeof nix.settings["require-sigs"]?.value, "boolean");
    }
  });

  test("hygiene: swaps and KSM as /proc/swaps and sysfs say", () => {
    const swapLines = readFileSync("/proc/swaps", "utf8").split("\n").filter((l) => l.trim() !== "").length - 1;
    assert.equal(value(facts.hygiene.swaps, "swaps").length, swapLines);
    if (existsSync("/sys/kernel/mm/ksm/run")) {
      assert.equal(value(facts.hygiene.ksmRun, "ksm"), Number(readFileSync("/sys/kernel/mm/ksm/run", "utf8")));
    }
  });

  test("scratch: false is reported as not run, and the scratch checks skip instead of failing the host", () => {
    assert.deepEqual(facts.net.scratch, { ok: false, reason: SCRATCH_NOT_RUN });
    const report = evaluateContract(facts);
    for (const id of ["net.wireguard", "net.bridge-tap"]) assert.equal(report.results.find((r) => r.id === id)?.status, "skip", id);
  });
});
