/**
 * Evaluation of facts recorded on a real machine (`contract check --facts-out`
 * on the Debian CI VM, once as root and once as nobody): a VM whose PID 1 is
 * not systemd, with a hybrid cgroup layout, KVM through a paravirtual module
 * and no WireGuard. Re-record with the same command when the facts schema changes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../harness/cli.js";
import { evaluateContract, parseFacts, type ContractReport } from "../../src/contract/index.js";

function recorded(name: string): ContractReport {
  const file = join(REPO_ROOT, "test/contract/fixtures", `${name}.facts.json`);
  return evaluateContract(parseFacts(JSON.parse(readFileSync(file, "utf8")), file));
}

const status = (r: ContractReport, id: string): string => {
  const x = r.results.find((c) => c.id === id);
  return `${x?.status} ${x?.seen}`;
};

test("recorded as root on the CI VM: KVM usable, but not a conforming host", () => {
  const r = recorded("debian-vm-root");
  assert.equal(r.ok, false);
  assert.match(status(r, "kvm.device"), /^pass character device, rw/);
  assert.match(status(r, "kvm.api-version"), /^pass 12/);
  assert.match(status(r, "kvm.extensions"), /^pass all 14 present/);
  assert.match(status(r, "kvm.cpu-virtualization"), /^warn .*nested/);
  assert.match(status(r, "kernel.config"), /^fail .*CONFIG_KVM_INTEL or CONFIG_KVM_AMD.*CONFIG_WIREGUARD/);
  assert.match(status(r, "cgroup.v2"), /^fail hybrid: .*\/sys\/fs\/cgroup\/unified/);
  assert.match(status(r, "net.wireguard"), /^fail wireguard: not created \(Error: Unknown device type\.\)/);
  assert.match(status(r, "net.bridge-tap"), /^pass /);
  assert.match(status(r, "net.nftables"), /^pass .*a table loads and unloads/);
  assert.match(status(r, "services.systemd"), /^fail PID 1 is process_api/);
  assert.match(status(r, "services.journald"), /^fail unknown: .*not systemd/);
  assert.match(status(r, "hygiene.smt"), /^skip SMT notsupported/);
});

test("recorded as nobody: what needs root says so instead of passing", () => {
  const r = recorded("debian-vm-nobody");
  assert.match(status(r, "kvm.device"), /^fail \/dev\/kvm is -- for uid 65534/);
  assert.match(status(r, "kvm.api-version"), /^fail unknown: .*EACCES/);
  assert.match(status(r, "net.nftables"), /^fail .*Operation not permitted/);
  assert.match(status(r, "net.bridge-tap"), /^fail tap: not created/);
  assert.match(status(r, "net.no-legacy-iptables"), /^fail unknown: .*\/proc\/net\/ip_tables_names: EACCES/);
});
