/**
 * The fleet network plan without root: names fit IFNAMSIZ and map back to
 * their prefix, subnets avoid networks in use, addresses read off host numbers.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_HOSTS, chooseSlot, hostCreateBatch, planFleetNet, prefixOfName, rootCreateBatch, rootDeleteBatch } from "../harness/hosts/_net-plan.js";

describe("fleet network plan", () => {
  test("every link name fits IFNAMSIZ (15) at the longest prefix and host count, and maps back to its prefix", () => {
    const plan = planFleetNet("abcdef", MAX_HOSTS, { ipv4: true, taken: [] });
    const names = [plan.bridge, ...plan.hosts.map((h) => h.hubLink)];
    for (const n of names) assert.ok(n.length <= 15, `${n} is ${n.length} characters`);
    for (const n of [...names, ...plan.hosts.map((h) => h.netns)]) assert.equal(prefixOfName(n), "abcdef", n);
    assert.equal(new Set(names).size, names.length);
    assert.equal(prefixOfName("eth0"), undefined);
    assert.equal(prefixOfName("hpt-toolongx"), undefined);
  });

  test("addresses: server ::1 and .1, host hK ::(100+K) and .(100+K), in the slot's subnets", () => {
    const plan = planFleetNet("net", 3, { ipv4: true, taken: [] });
    const v6 = plan.ipv6Prefix.replace("::/64", "");
    const v4 = plan.ipv4Prefix!.replace(".0/24", "");
    assert.equal(plan.server.ipv6, `${v6}::1`);
    assert.equal(plan.server.ipv4, `${v4}.1`);
    assert.deepEqual(plan.hosts.map((h) => [h.name, h.ipv6, h.ipv4]), [1, 2, 3].map((k) => [`h${k}`, `${v6}::${100 + k}`, `${v4}.${100 + k}`]));
    assert.match(plan.ipv6Prefix, /^fd68:7074:[0-9a-f]{1,4}::\/64$/);
    assert.match(plan.ipv4Prefix!, /^10\.(19[2-9]|2[0-5]\d)\.\d{1,3}\.0\/24$/);
  });

  test("without IPv4 there is no IPv4 address anywhere, in the plan or the scripts", () => {
    const plan = planFleetNet("six", 2, { ipv4: false, taken: [] });
    assert.equal(plan.server.ipv4, undefined);
    assert.ok(plan.hosts.every((h) => h.ipv4 === undefined));
    assert.doesNotMatch(rootCreateBatch(plan) + plan.hosts.map(hostCreateBatch).join(""), /\d+\.\d+\.\d+\.\d+/);
  });

  test("a slot whose subnets overlap a network in use is skipped, in either family and at any prefix length", () => {
    const free = chooseSlot("net", [], true);
    const plan = planFleetNet("net", 1, { ipv4: true, taken: [] });
    assert.notEqual(chooseSlot("net", [{ family: 4, address: plan.server.ipv4!, length: 32 }], true), free);
    assert.notEqual(chooseSlot("net", [{ family: 6, address: plan.hosts[0]!.ipv6, length: 128 }], true), free);
    assert.notEqual(chooseSlot("net", [{ family: 4, address: plan.ipv4Prefix!.replace(/\d+\.0\/24$/, "0.0"), length: 16 }], true), free);
    assert.throws(() => chooseSlot("net", [{ family: 6, address: "fd68:7074::", length: 32 }], true), /overlaps a network in use/);
    assert.throws(() => chooseSlot("net", [{ family: 4, address: "10.0.0.0", length: 8 }], true), /overlaps a network in use/);
    assert.equal(chooseSlot("net", [{ family: 4, address: "10.0.0.0", length: 8 }], false), free, "IPv4 in use does not matter without IPv4");
    assert.equal(chooseSlot("net", [{ family: 6, address: "fd00::", length: 64 }, { family: 4, address: "192.0.2.0", length: 24 }], true), free);
  });

  test("bad prefixes and host counts are refused with the rule", () => {
    assert.throws(() => planFleetNet("has-dash", 1, { ipv4: true, taken: [] }), /1-6 of \[a-z0-9\]/);
    assert.throws(() => planFleetNet("toolong7", 1, { ipv4: true, taken: [] }), /15 characters/);
    assert.throws(() => planFleetNet("ok", 0, { ipv4: true, taken: [] }), /1\.\.150 hosts/);
  });

  test("the scripts: bridge and veths in the root namespace, eth0 addresses without DAD, deletion of all", () => {
    const plan = planFleetNet("sc", 2, { ipv4: true, taken: [] });
    const root = rootCreateBatch(plan);
    assert.match(root, /^link add hpt-sc type bridge$/m);
    assert.match(root, /^link add hpt-sc-2 type veth peer name eth0 netns hpt-sc-h2$/m);
    assert.match(hostCreateBatch(plan.hosts[0]!), new RegExp(`^addr add ${plan.hosts[0]!.ipv6}/64 dev eth0 nodad$`, "m"));
    assert.equal(rootDeleteBatch(plan), "link del hpt-sc-1\nlink del hpt-sc-2\nlink del hpt-sc\nnetns del hpt-sc-h1\nnetns del hpt-sc-h2\n");
  });
});
