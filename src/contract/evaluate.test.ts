import { test } from "node:test";
import assert from "node:assert/strict";
import { allUnknown, conformingFacts, withFacts } from "../../test/harness/facts.js";
import { CONTRACT, profileChecks } from "./catalog.js";
import { resolveContractConfig } from "./config.js";
import { evaluateContract, UnknownCheckError } from "./evaluate.js";
import { factsSchema, type Facts } from "./facts.js";
import type { CheckStatus } from "./check.js";
import { parseTrustPolicy } from "../cache/trust-policy.js";

const GiB = 1024 ** 3;

function statusOf(facts: Facts, id: string, options: Parameters<typeof evaluateContract>[1] = {}): { status: CheckStatus; seen: string; hint?: string } {
  const r = evaluateContract(facts, options).results.find((x) => x.id === id);
  assert.ok(r, `check ${id} not in the report`);
  return r;
}

test("the synthetic conforming host is a valid snapshot and passes every microvm-host check", () => {
  const facts = conformingFacts();
  factsSchema.parse(facts);
  const report = evaluateContract(facts);
  const notPassing = report.results.filter((r) => r.status !== "pass").map((r) => `${r.id}: ${r.status} ${r.seen}`);
  assert.deepEqual(notPassing, []);
  assert.equal(report.ok, true);
  assert.equal(report.summary.pass, profileChecks("microvm-host").length);
});

test("every check has a unique id, a why, a hint and belongs to a profile", () => {
  const ids = CONTRACT.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const c of CONTRACT) {
    assert.match(c.id, /^[a-z]+\.[a-z0-9-]+$/, c.id);
    assert.ok(c.id.startsWith(c.group === "network" ? "net." : `${c.group}.`), `${c.id} is in group ${c.group}`);
    assert.ok(c.why.length > 20 && c.hint.length > 10 && c.profiles.length > 0, c.id);
  }
  assert.ok(profileChecks("control-plane").length < profileChecks("microvm-host").length);
});

test("a facts snapshot where every probe failed: FAIL or SKIP with the reason, never a crash and never a PASS", () => {
  const report = evaluateContract(allUnknown());
  assert.equal(report.ok, false);
  for (const r of report.results) {
    const check = CONTRACT.find((c) => c.id === r.id)!;
    const expected = check.whenUnknown === "fail" ? check.severity : "skip";
    assert.equal(r.status, expected, `${r.id}: ${r.seen}`);
    assert.match(r.seen, /unknown: .*EIO|not gathered/, r.id);
  }
});

/** [check, change to the conforming host, expected status, what `seen` must say]. */
const CASES: [string, (f: Facts) => void, CheckStatus, RegExp][] = [
  ["kvm.device", (f) => { f.kvm.device = { ok: true, value: { exists: false, readable: false, writable: false } }; }, "fail", /does not exist/],
  ["kvm.device", (f) => { if (f.kvm.device.ok) f.kvm.device.value.writable = false; }, "fail", /r- for uid 0/],
  ["kvm.api-version", (f) => { f.kvm.apiVersion = { ok: true, value: 11 }; }, "fail", /^11$/],
  ["kvm.extensions", (f) => { if (f.kvm.extensions.ok) f.kvm.extensions.value["KVM_CAP_XCRS"] = 0; }, "fail", /missing KVM_CAP_XCRS/],
  ["kvm.extensions", (f) => { f.arch = "riscv64"; }, "skip", /no required-capability list/],
  ["kvm.cpu-virtualization", (f) => { if (f.cpu.ok) f.cpu.value.flags = ["fpu", "hypervisor"]; }, "warn", /nested/],
  ["kvm.cpu-virtualization", (f) => { if (f.cpu.ok) f.cpu.value.flags = ["fpu"]; }, "fail", /no vmx or svm/],
  ["kvm.cpu-virtualization", (f) => { f.arch = "aarch64"; }, "skip", /aarch64/],
  ["kvm.module-parameters", (f) => { if (f.kvm.moduleParams.ok) f.kvm.moduleParams.value["kvm_intel.nested"] = "Y"; }, "warn", /kvm_intel.nested=Y/],
  ["kvm.module-parameters", (f) => {
    if (f.kvm.moduleParams.ok) f.kvm.moduleParams.value["kvm.nx_huge_pages"] = "N";
    if (f.cpuVulnerabilities.ok) f.cpuVulnerabilities.value["itlb_multihit"] = "KVM: Vulnerable";
  }, "warn", /nx_huge_pages=N/],
  ["kernel.version", (f) => { f.kernel = { ok: true, value: { release: "5.4.0-150-generic", version: "" } }; }, "fail", /older than the baseline 5\.10/],
  ["kernel.version", (f) => { f.kernel = { ok: true, value: { release: "5.10.0", version: "" } }; }, "pass", /5\.10\.0/],
  ["kernel.config", (f) => { if (f.kernelConfig.ok) f.kernelConfig.value.options["CONFIG_WIREGUARD"] = null; }, "fail", /CONFIG_WIREGUARD \(the WireGuard overlay\)/],
  ["kernel.config", (f) => { if (f.kernelConfig.ok) { f.kernelConfig.value.options["CONFIG_KVM_INTEL"] = null; f.kernelConfig.value.options["CONFIG_KVM_AMD"] = "m"; } }, "pass", /all required/],
  ["kernel.config", (f) => { f.kernelConfig = { ok: false, reason: "no /proc/config.gz" }; }, "skip", /no readable kernel config/],
  ["cgroup.v2", (f) => { f.cgroup.rootFsType = { ok: true, value: 0x01021994 }; f.cgroup.unifiedMount = { ok: true, value: "/sys/fs/cgroup/unified" }; }, "fail", /hybrid.*\/sys\/fs\/cgroup\/unified/],
  ["cgroup.v2", (f) => { f.cgroup.rootFsType = { ok: true, value: 0x01021994 }; f.cgroup.unifiedMount = { ok: true, value: null }; }, "fail", /legacy v1/],
  ["cgroup.controllers", (f) => { if (f.cgroup.root.ok) f.cgroup.root.value.controllers = ["hugetlb"]; }, "fail", /missing cpu, cpuset, io, memory, pids/],
  ["cgroup.microvm-slice", (f) => { f.cgroup.slice = { ok: true, value: { path: "/sys/fs/cgroup/microvms.slice", exists: false, controllers: [], subtreeControl: [] } }; }, "fail", /does not exist/],
  ["cgroup.microvm-slice", (f) => { if (f.cgroup.slice.ok) f.cgroup.slice.value.controllers = ["memory", "pids"]; }, "fail", /not delegated: cpu, io$/],
  ["cgroup.microvm-slice", (f) => { if (f.cgroup.slice.ok) f.cgroup.slice.value.controllers = ["cpu", "io", "memory", "pids"]; }, "pass", /cpu io memory pids/],
  ["net.nftables", (f) => { f.net.nft = { ok: false, reason: "nft not found on PATH" }; }, "fail", /nft not found/],
  ["net.nftables", (f) => { if (f.net.scratch.ok) f.net.scratch.value.nftables = { created: false, removed: null, error: "Could not process rule: No such file or directory" }; }, "fail", /table load: not created/],
  ["net.no-legacy-iptables", (f) => { f.net.legacyIptables = { ok: true, value: { ipv4: ["filter", "nat"], ipv6: [] } }; }, "fail", /ip filter, ip nat/],
  ["net.wireguard", (f) => { if (f.net.scratch.ok) f.net.scratch.value.wireguard = { created: false, removed: null, error: "Error: Unknown device type." }; }, "fail", /Unknown device type/],
  ["net.bridge-tap", (f) => { if (f.net.scratch.ok) f.net.scratch.value.tap = { created: true, removed: false, error: "busy" }; }, "fail", /tap: created but not removed/],
  ["net.tun-device", (f) => { f.net.devices["/dev/net/tun"] = { ok: true, value: { exists: false } }; }, "fail", /missing/],
  ["net.vhost-vsock", (f) => { f.net.devices["/dev/vhost-vsock"] = { ok: true, value: { exists: false } }; }, "warn", /missing/],
  ["net.ipv6", (f) => { f.net.ipv6 = { ok: true, value: { disabledAll: true, disabledDefault: false, ifInet6: true } }; }, "fail", /disable_ipv6 = 1 on all/],
  ["net.ipv6", (f) => { f.net.ipv6 = { ok: true, value: { disabledAll: false, disabledDefault: false, ifInet6: false } }; }, "fail", /if_inet6/],
  ["net.forwarding", (f) => { f.net.forwarding = { ok: true, value: { ipv4: true, ipv6: false } }; }, "fail", /wants ipv6 on/],
  ["net.microvm-bridge", (f) => { if (f.net.links.ok) delete f.net.links.value["hpbr0"]; }, "fail", /no link named hpbr0/],
  ["net.microvm-bridge", (f) => { if (f.net.links.ok) f.net.links.value["hpbr0"] = { kind: "bridge", up: false }; }, "fail", /down/],
  ["net.overlay", (f) => { if (f.net.links.ok) f.net.links.value["wg-hostplane"] = { kind: "", up: true }; }, "fail", /plain link, not wireguard/],
  ["storage.volumes", (f) => { const s = f.storage.find((x) => x.role === "volumes")!; if (s.stat.ok) s.stat.value.mode = 0o755; }, "fail", /mode 0755, more than 0700/],
  ["storage.state", (f) => { const s = f.storage.find((x) => x.role === "state")!; s.stat = { ok: true, value: { exists: false } }; }, "fail", /does not exist/],
  ["storage.logs", (f) => { const s = f.storage.find((x) => x.role === "logs")!; if (s.stat.ok) s.stat.value.uid = 1000; }, "fail", /owned by 1000:0/],
  ["storage.images", (f) => { const s = f.storage.find((x) => x.role === "images")!; if (s.usage.ok) s.usage.value.availableBytes = 5 * GiB; }, "fail", /5\.0 GiB free.*needs 10\.0 GiB/],
  ["storage.images", (f) => { const s = f.storage.find((x) => x.role === "images")!; if (s.usage.ok) s.usage.value.availableBytes = 15 * GiB; }, "warn", /below the 20\.0 GiB warning level/],
  ["storage.images", (f) => { const s = f.storage.find((x) => x.role === "images")!; if (s.stat.ok) s.stat.value.type = "file"; }, "fail", /a file, not a directory/],
  ["storage.nix", (f) => { const s = f.storage.find((x) => x.role === "nix")!; if (s.usage.ok) s.usage.value.availableBytes = GiB; }, "fail", /needs 10\.0 GiB/],
  ["storage.boot", (f) => { const s = f.storage.find((x) => x.role === "boot")!; if (s.usage.ok) s.usage.value.availableBytes = 300 * 1024 ** 2; }, "warn", /300\.0 MiB free/],
  ["storage.boot", (f) => { f.storage = f.storage.filter((x) => x.role !== "boot"); }, "fail", /not gathered/],
  ["services.systemd", (f) => { f.services.pid1 = { ok: true, value: { comm: "process_api", systemdVersion: null } }; }, "fail", /PID 1 is process_api/],
  ["services.systemd", (f) => { f.services.pid1 = { ok: true, value: { comm: "systemd", systemdVersion: 245 } }; }, "fail", /systemd 245, needs 250/],
  ["services.journald", (f) => { f.services.journald = { ok: true, value: { active: true, storage: "volatile", systemMaxUse: null, persistentDir: false } }; }, "fail", /Storage=volatile/],
  ["services.journald", (f) => { f.services.journald = { ok: true, value: { active: true, storage: null, systemMaxUse: null, persistentDir: true } }; }, "pass", /Storage=auto/],
  ["services.journald-size-cap", (f) => { if (f.services.journald.ok) f.services.journald.value.systemMaxUse = null; }, "warn", /not set/],
  ["services.time-sync", (f) => { f.services.timeSync = { ok: true, value: { service: null, synchronized: null } }; }, "fail", /no time-sync service/],
  ["services.time-sync", (f) => { f.services.timeSync = { ok: true, value: { service: "chronyd", synchronized: false } }; }, "warn", /not yet synchronised/],
  ["hygiene.swap", (f) => { f.hygiene.swaps = { ok: true, value: [{ name: "/dev/zram0", sizeKiB: 8e6 }] }; }, "warn", /\/dev\/zram0/],
  ["hygiene.ksm", (f) => { f.hygiene.ksmRun = { ok: true, value: 1 }; }, "warn", /run = 1/],
  ["hygiene.smt", (f) => { f.smt = { ok: true, value: { control: "on", active: true } }; }, "warn", /on, active/],
  ["hygiene.smt", (f) => { f.smt = { ok: true, value: { control: "notsupported", active: null } }; }, "skip", /notsupported/],
  ["hygiene.cpu-vulnerabilities", (f) => { if (f.cpuVulnerabilities.ok) f.cpuVulnerabilities.value["mds"] = "Vulnerable: Clear CPU buffers attempted, no microcode"; }, "warn", /mds: Vulnerable/],
  ["nix.require-sigs", (f) => { if (f.nix.ok) f.nix.value.settings["require-sigs"] = { value: false }; }, "fail", /require-sigs/],
  ["nix.substituters", (f) => { if (f.nix.ok) f.nix.value.settings["substituters"] = { value: ["http://cache.example.org"] }; }, "fail", /http:\/\/cache\.example\.org/],
  ["nix.trusted-users", (f) => { if (f.nix.ok) f.nix.value.settings["trusted-users"] = { value: ["root", "@wheel"] }; }, "fail", /@wheel/],
  ["nix.flake-config", (f) => { if (f.nix.ok) f.nix.value.settings["accept-flake-config"] = { value: true }; }, "warn", /accept-flake-config/],
  ["nix.trusted-keys", (f) => { f.nix = { ok: false, reason: "nix not found on PATH" }; }, "fail", /nix not found/],
];

for (const [id, edit, expected, seen] of CASES) {
  test(`${id} → ${expected} when ${edit.toString().slice(6, 90).replace(/\s+/g, " ")}…`, () => {
    const facts = withFacts(edit);
    const r = statusOf(facts, id);
    assert.equal(r.status, expected, r.seen);
    assert.match(r.seen, seen);
    if (expected === "fail" || expected === "warn") assert.ok(r.hint && r.hint.length > 0, "a non-passing check carries a hint");
  });
}

test("every check in the contract is exercised by a non-passing case above", () => {
  const covered = new Set(CASES.filter(([, , s]) => s !== "pass").map(([id]) => id));
  const missing = CONTRACT.map((c) => c.id).filter((id) => !covered.has(id));
  assert.deepEqual(missing, []);
});

test("the control-plane profile wants forwarding off and skips microVM-only checks", () => {
  const config = resolveContractConfig({ profile: "control-plane" });
  const report = evaluateContract(conformingFacts(), { config });
  assert.equal(report.profile, "control-plane");
  assert.ok(!report.results.some((r) => r.id.startsWith("kvm.") || r.id === "cgroup.microvm-slice"));
  assert.equal(report.results.find((r) => r.id === "net.forwarding")?.status, "fail");
});

test("--ignore takes ids and groups, and refuses a name that matches nothing", () => {
  const facts = withFacts((f) => { f.hygiene.swaps = { ok: true, value: [{ name: "/swapfile", sizeKiB: 1 }] }; f.kvm.apiVersion = { ok: true, value: 1 }; });
  const report = evaluateContract(facts, { ignore: ["hygiene", "kvm.api-version"] });
  assert.equal(report.ok, true);
  assert.ok(report.ignored.includes("hygiene.swap") && report.ignored.includes("kvm.api-version"));
  assert.throws(() => evaluateContract(facts, { ignore: ["kvm.api-verison"] }), /--ignore: ignore "kvm\.api-verison" names no check/);
  assert.throws(() => evaluateContract(facts, { config: resolveContractConfig({ ignore: ["kvm.nope"] }) }), UnknownCheckError);
});

test("site config moves thresholds and names: a 12 GiB image cache fails a 15G minimum", () => {
  const facts = withFacts((f) => { const s = f.storage.find((x) => x.role === "images")!; if (s.usage.ok) s.usage.value.availableBytes = 12 * GiB; });
  assert.equal(statusOf(facts, "storage.images").status, "warn");
  const config = resolveContractConfig({ paths: { images: { minFree: 15 * GiB } }, bridge: "br-vm" });
  assert.equal(statusOf(facts, "storage.images", { config }).status, "fail");
  assert.match(statusOf(facts, "net.microvm-bridge", { config }).seen, /no link named br-vm/);
});

test("with the fleet's trust policy, cache.nixos.org and its key are not trusted, and a revoked key is named", () => {
  const policy = parseTrustPolicy(`
substituters:
  - url: https://cache.fleet.example
    keys: [fleet-2]
keys:
  - publicKey: fleet-1:${"A".repeat(43)}=
    status: revoked
    reason: compromise
  - publicKey: fleet-2:${"B".repeat(43)}=
`, "policy.yaml");
  const facts = withFacts((f) => {
    if (f.nix.ok) f.nix.value.settings["trusted-public-keys"] = { value: [`fleet-1:${"A".repeat(43)}=`, `fleet-2:${"B".repeat(43)}=`] };
  });
  assert.match(statusOf(facts, "nix.substituters", { trustPolicy: policy }).seen, /cache\.nixos\.org/);
  const keys = statusOf(facts, "nix.trusted-keys", { trustPolicy: policy });
  assert.equal(keys.status, "fail");
  assert.match(keys.seen, /fleet-1, revoked.*compromise/);
  assert.deepEqual(evaluateContract(facts, { trustPolicy: policy }).notes, []);
  assert.match(evaluateContract(conformingFacts()).notes.join(), /judged against Nix's default cache/);
});

test("review fixes: vulnerable states anywhere in the line, invalid keys under trusted-keys, profile defaults, euid note", () => {
  const vuln = withFacts((f) => { if (f.cpuVulnerabilities.ok) f.cpuVulnerabilities.value["l1tf"] = "Mitigation: PTE Inversion; VMX: vulnerable"; });
  assert.equal(statusOf(vuln, "hygiene.cpu-vulnerabilities").status, "warn");
  const bad = withFacts((f) => { if (f.nix.ok) f.nix.value.settings["trusted-public-keys"] = { value: [null, 3] }; });
  assert.equal(statusOf(bad, "nix.trusted-keys").status, "fail");
  assert.equal(statusOf(bad, "nix.require-sigs").status, "pass");
  const cp = evaluateContract(withFacts((f) => { f.net.forwarding = { ok: true, value: { ipv4: false, ipv6: false } }; }), { profile: "control-plane" });
  assert.equal(cp.results.find((r) => r.id === "net.forwarding")?.status, "pass");
  assert.deepEqual(evaluateContract(conformingFacts()).notes.filter((n) => /uid/.test(n)), []);
  assert.match(evaluateContract(withFacts((f) => { f.euid = 65534; })).notes.join(), /gathered as uid 65534, not root/);
});

test("without a trust policy the site's own caches and keys are the basis; credentials in URLs never show", () => {
  const key = `fleet-1:${"C".repeat(43)}=`;
  const facts = withFacts((f) => {
    if (!f.nix.ok) return;
    f.nix.value.settings["substituters"] = { value: ["https://ci:s3cr3tT0ken@cache.fleet.example"] };
    f.nix.value.settings["trusted-public-keys"] = { value: [key] };
  });
  const config = resolveContractConfig({ nix: { substituters: ["https://cache.fleet.example"], trustedPublicKeys: [key] } });
  const report = evaluateContract(facts, { config });
  for (const id of ["nix.substituters", "nix.trusted-keys"]) assert.equal(report.results.find((r) => r.id === id)?.status, "pass", id);
  assert.match(report.notes.join(), /site config's nix\.substituters/);
  assert.doesNotMatch(JSON.stringify(report), /s3cr3t/);
  // Against Nix's defaults the fleet cache is not allowed, and the secret still does not show.
  const strict = evaluateContract(facts);
  assert.equal(strict.results.find((r) => r.id === "nix.substituters")?.status, "fail");
  assert.doesNotMatch(JSON.stringify(strict), /s3cr3t/);
});
