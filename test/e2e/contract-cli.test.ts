/** `hostplane contract …` as a user runs it: real binary, real files, real exit codes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, lstatSync, readFileSync, readdirSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { hostplane, scratchTree } from "../harness/cli.js";
import { conformingFacts, withFacts } from "../harness/facts.js";
import { CONTRACT, profileChecks } from "../../src/contract/catalog.js";
import { parseFacts } from "../../src/contract/facts.js";
import type { ContractReport } from "../../src/contract/check.js";

const facts = (f = conformingFacts()): string => JSON.stringify(f);
const broken = withFacts((f) => {
  f.cgroup.rootFsType = { ok: true, value: 0x01021994 };
  f.cgroup.unifiedMount = { ok: true, value: null };
  f.hygiene.swaps = { ok: true, value: [{ name: "/swapfile", sizeKiB: 1024 }] };
});

test("evaluate: a conforming snapshot passes every check, one line each, exit 0", () => {
  const dir = scratchTree({ "facts.json": facts() });
  const r = hostplane(["contract", "evaluate", "facts.json"], dir);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n").filter((l) => /^ {2}(PASS|WARN|FAIL|SKIP) /.test(l));
  assert.equal(lines.length, profileChecks("microvm-host").length);
  assert.ok(lines.every((l) => l.includes("PASS")));
  assert.match(r.stdout, /The host honours the contract\./);
});

test("evaluate: a failing check gives exit 1 with the value seen, the hint and the NixOS option; a warning alone does not fail", () => {
  const dir = scratchTree({ "facts.json": facts(broken) });
  const r = hostplane(["contract", "evaluate", "facts.json"], dir);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL {2}cgroup\.v2 +legacy v1/);
  assert.match(r.stdout, /→ boot with systemd\.unified_cgroup_hierarchy=1/);
  assert.match(r.stdout, /NixOS: boot\.kernelParams {2}\(docs\/runtime\/host-os\.md#cgroup-v2\)/);
  assert.match(r.stdout, /WARN {2}hygiene\.swap +swap on \/swapfile/);
  const onlyWarn = hostplane(["contract", "evaluate", "facts.json", "--ignore", "cgroup"], dir);
  assert.equal(onlyWarn.code, 0, onlyWarn.stdout);
  assert.match(onlyWarn.stdout, /3 ignored/);
});

test("evaluate --json: the report as data", () => {
  const dir = scratchTree({ "facts.json": facts(broken) });
  const r = hostplane(["contract", "evaluate", "facts.json", "--json", "--profile", "control-plane"], dir);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout) as ContractReport;
  assert.equal(report.profile, "control-plane");
  assert.equal(report.ok, false);
  // control-plane wants forwarding off; the conforming microVM host has it on.
  assert.equal(report.results.find((x) => x.id === "net.forwarding")?.status, "fail");
  assert.equal(report.results.find((x) => x.id === "cgroup.v2"), undefined);
});

test("bad input is exit 2 with a message naming the file and the field, never a stack", () => {
  const dir = scratchTree({
    "garbage.json": "{ not json",
    "wrong.json": JSON.stringify({ ...conformingFacts(), kvm: { apiVersion: 12 } }),
    "facts.json": facts(),
    "bad-config.json": JSON.stringify({ paths: { images: { minFree: "lots" } }, bridge: "a-bridge-name-too-long" }),
  });
  const cases: [string[], RegExp][] = [
    [["contract", "evaluate", "garbage.json"], /garbage\.json is not valid JSON/],
    [["contract", "evaluate", "wrong.json"], /wrong\.json is not a hostplane\.facts\/v1 facts snapshot:\n {2}kvm\.device: /],
    [["contract", "evaluate", "missing.json"], /cannot read facts file missing\.json: ENOENT/],
    [["contract", "evaluate", "facts.json", "--ignore", "kvm.api-verison"], /--ignore: ignore "kvm\.api-verison" names no check or group/],
    [["contract", "evaluate", "facts.json", "--profile", "gpu-host"], /--profile gpu-host: expected one of microvm-host, control-plane/],
    [["contract", "evaluate", "facts.json", "--config", "bad-config.json"], /invalid host-contract config bad-config\.json:\n {2}bridge: .*\n {2}paths\.images\.minFree: expected a size/],
    [["contract", "evaluate"], /exactly one facts file/],
    [["contract", "check", "facts.json"], /contract check takes no arguments/],
    [["contract", "frobnicate"], /unknown contract subcommand "frobnicate"/],
  ];
  for (const [args, message] of cases) {
    const r = hostplane(args, dir);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n {4}at /, "no stack trace");
  }
});

test("list and schema describe the contract", () => {
  const dir = scratchTree({});
  const list = hostplane(["contract", "list", "--json"], dir);
  assert.equal(list.code, 0);
  const checks = JSON.parse(list.stdout) as { id: string; nixos: string[] }[];
  assert.deepEqual(checks.map((c) => c.id), CONTRACT.map((c) => c.id));
  const text = hostplane(["contract", "list", "--profile", "control-plane"], dir);
  assert.doesNotMatch(text.stdout, /^kvm\./m);
  const schema = JSON.parse(hostplane(["contract", "schema"], dir).stdout) as { properties: Record<string, unknown> };
  assert.ok("paths" in schema.properties && "kernelBaseline" in schema.properties);
});

test("check on this machine: real facts, saved with --facts-out, evaluate to the same report", () => {
  const dir = scratchTree({});
  const r = hostplane(["contract", "check", "--json", "--facts-out", "facts.json", "--no-scratch"], dir);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  const live = JSON.parse(r.stdout) as ContractReport;
  const saved = parseFacts(JSON.parse(readFileSync(join(dir, "facts.json"), "utf8")), "facts.json");
  assert.equal(saved.kvm.device.ok && saved.kvm.device.value.exists, existsSync("/dev/kvm"));
  const again = JSON.parse(hostplane(["contract", "evaluate", "facts.json", "--json"], dir).stdout) as ContractReport;
  assert.deepEqual(again.results, live.results);
  assert.deepEqual(readdirSync(dir).sort(), ["facts.json"], "no temp file left beside the facts");
});

test("--facts-out refuses a device, follows a symlink, and a typo in --ignore stops before anything is gathered or written", () => {
  const dir = scratchTree({ "target.json": "old" });
  symlinkSync(join(dir, "target.json"), join(dir, "link.json"));
  const dev = hostplane(["contract", "check", "--no-scratch", "--facts-out", "/dev/null"], dir);
  assert.equal(dev.code, 2);
  assert.match(dev.stderr, /refusing to write \/dev\/null: it is a device/);
  assert.ok(statSync("/dev/null").isCharacterDevice());
  const viaLink = hostplane(["contract", "check", "--no-scratch", "--facts-out", "link.json"], dir);
  assert.ok(viaLink.code === 0 || viaLink.code === 1, viaLink.stderr);
  assert.ok(lstatSync(join(dir, "link.json")).isSymbolicLink(), "the link stays a link");
  assert.match(readFileSync(join(dir, "target.json"), "utf8"), /hostplane\.facts\/v1/);
  const typo = hostplane(["contract", "check", "--no-scratch", "--facts-out", "new.json", "--ignore", "kvm.devic"], dir);
  assert.equal(typo.code, 2);
  assert.ok(!existsSync(join(dir, "new.json")), "nothing written before the usage error");
});

test("a snapshot carries the site config it was gathered for: evaluate elsewhere gives the same answer", () => {
  const dir = scratchTree({ "site.json": JSON.stringify({ profile: "control-plane", bridge: "br-x", paths: { logs: { path: "/srv/hp-logs" } } }) });
  const live = hostplane(["contract", "check", "--no-scratch", "--json", "--config", "site.json", "--facts-out", "facts.json"], dir);
  const later = hostplane(["contract", "evaluate", "--json", "facts.json"], dir);
  const a = JSON.parse(live.stdout) as ContractReport;
  const b = JSON.parse(later.stdout) as ContractReport;
  assert.equal(b.profile, "control-plane");
  assert.deepEqual(b.results, a.results);
  assert.match(b.results.find((r) => r.id === "storage.logs")?.seen ?? "", /\/srv\/hp-logs/);
});
