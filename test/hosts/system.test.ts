/**
 * Fixture NixOS systems on test hosts: built once, copied into a host's own
 * store, set as system-profile generations with the real nix-env, switched with
 * their switch-to-configuration, rolled back, and rebooted into the boot default.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, readlink, readdir } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { HOSTS_SKIP, buildSystem, copyToHosts, createTestFleet, reboot, type TestFleet, type TestHost } from "../harness/hosts/index.js";

const PROFILE = "/nix/var/nix/profiles/system";

async function sh(host: TestHost, script: string, ...args: string[]): Promise<string> {
  const r = await host.exec("/bin/sh", ["-c", script, "sh", ...args]);
  assert.equal(r.exitCode, 0, `${host.name}: ${script} ${args.join(" ")}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout.toString("utf8");
}

async function link(host: TestHost, path: string): Promise<string | undefined> {
  return readlink(join(host.root, path)).catch(() => undefined);
}

async function activations(host: TestHost): Promise<string[][]> {
  const text = await readFile(join(host.root, "run", "hostplane-activations.log"), "utf8").catch(() => "");
  return text.split("\n").filter(Boolean).map((l) => l.split(" ").slice(1));
}

describe("fixture systems on test hosts", { skip: HOSTS_SKIP }, () => {
  let fleet: TestFleet;
  let h1: TestHost, h2: TestHost;
  let g1: string, g2: string, g3: string, sick: string, cutter: string;
  let listener: Server;
  let port: number;

  before(async () => {
    fleet = await createTestFleet({ hosts: 2, prefix: "sys" });
    [h1, h2] = fleet.hosts as [TestHost, TestHost];
    [g1, g2, g3, sick, cutter] = await Promise.all([
      buildSystem(fleet.buildStore, { name: "web", generationTag: "g1" }),
      buildSystem(fleet.buildStore, { name: "web", generationTag: "g2" }),
      buildSystem(fleet.buildStore, { name: "web", generationTag: "g3", kernel: "6.6.2" }),
      buildSystem(fleet.buildStore, { name: "web", generationTag: "sick", healthy: false, switchExitCode: 4 }),
      buildSystem(fleet.buildStore, { name: "web", generationTag: "cutter", breaksNetwork: true }),
    ]);
    await copyToHosts(fleet.buildStore, [g1, g2, g3, sick, cutter], [h1]);
    listener = createServer((s) => s.end("up\n"));
    await new Promise<void>((resolve) => listener.listen({ port: 0, host: "::" }, resolve));
    port = (listener.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    await fleet.teardown();
  });

  test("the closure: top level with kernel, initrd and version; a generation that keeps its kernel shares the kernel path", async () => {
    for (const [p, tag] of [[g1, "g1"], [g3, "g3"]] as const) assert.match(p, new RegExp(`^/nix/store/[0-9a-z]{32}-nixos-system-web-${tag}$`));
    const closure = (await sh(h1, 'nix-store -qR "$1"', g1)).trim().split("\n").sort();
    assert.equal(closure.length, 3, closure.join("\n"));
    assert.ok(closure.some((p) => p.endsWith("-linux-6.6.1")) && closure.some((p) => p.endsWith("-initrd-6.6.1")));
    const kernel = async (p: string): Promise<string> => (await sh(h1, 'readlink "$1/kernel"', p)).trim();
    assert.equal(await kernel(g1), await kernel(g2));
    assert.notEqual(await kernel(g1), await kernel(g3));
    assert.equal(await sh(h1, '"$1/bin/nixos-version"', g2), "25.05.g2\n");
    assert.equal(await sh(h1, 'cat "$1/kernel"', g3), "fixture kernel 6.6.2\n");
    assert.deepEqual(JSON.parse(await sh(h1, 'cat "$1/hostplane-fixture.json"', sick)), {
      name: "web", generationTag: "sick", kernel: "6.6.1", initrd: "6.6.1", healthy: false, switchExitCode: 4, activationSeconds: 0, breaksNetwork: false, payloadBytes: 0,
    });
  });

  test("copied into h1's store only: valid there, absent from h2's", async () => {
    assert.equal(await sh(h1, 'nix-store --verify-path "$1" && echo valid', g1), "valid\n");
    assert.notEqual((await h2.exec("nix-store", ["--verify-path", g1])).exitCode, 0);
    assert.equal(existsSync(join(h2.root, g1)), false);
  });

  test("built inside a host instead, the same fixture gives the same store path (real nix-build, no sandbox)", async () => {
    assert.equal(await buildSystem(h2, { name: "web", generationTag: "g1" }), g1);
    assert.equal(await sh(h2, 'nix-store --verify-path "$1" && echo valid', g1), "valid\n");
  });

  test("system profile generations with the real nix-env; switch, test, boot and rollback move the right links", async () => {
    await sh(h1, 'nix-env -p "$1" --set "$2" && nix-env -p "$1" --set "$3"', PROFILE, g1, g2);
    const gens = await sh(h1, 'nix-env -p "$1" --list-generations', PROFILE);
    assert.match(gens, /^\s*1\s.*\n\s*2\s.*\(current\)\s*$/);
    assert.equal(await link(h1, `nix/var/nix/profiles/system-2-link`), g2);

    await sh(h1, '"$1/bin/switch-to-configuration" switch', g1);
    assert.equal(await link(h1, "run/current-system"), g1);
    assert.equal(await link(h1, "boot/default-system"), g1);

    await sh(h1, '"$1/bin/switch-to-configuration" test', g2);
    assert.equal(await link(h1, "run/current-system"), g2, "test activates");
    assert.equal(await link(h1, "boot/default-system"), g1, "test leaves the boot default");

    await sh(h1, '"$1/bin/switch-to-configuration" boot', g3);
    assert.equal(await link(h1, "run/current-system"), g2, "boot does not activate");
    assert.equal(await link(h1, "boot/default-system"), g3, "boot makes it the default");
    const kernels = (await readdir(join(h1.root, "boot", "kernels"))).map((k) => k.replace(/^[0-9a-z]{32}-/, "")).sort();
    assert.deepEqual(kernels, ["initrd-6.6.1-initrd", "initrd-6.6.2-initrd", "linux-6.6.1-bzImage", "linux-6.6.2-bzImage"]);

    assert.match(await sh(h1, '"$1/bin/switch-to-configuration" dry-activate', g1), /would activate/);
    assert.equal(await link(h1, "run/current-system"), g2, "dry-activate changes nothing");
    const bad = await h1.exec(`${g1}/bin/switch-to-configuration`, ["frobnicate"]);
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stderr, /Usage: .*switch\|boot\|test\|dry-activate/);

    assert.deepEqual(await activations(h1), [["switch", g1], ["test", g2], ["boot", g3]]);

    // Roll back the profile, then switch to whatever it now points at — the NixOS rollback.
    assert.match((await h1.exec("nix-env", ["-p", PROFILE, "--rollback"])).stderr, /switching profile from version 2 to 1/);
    await sh(h1, '"$1/bin/switch-to-configuration" switch', PROFILE);
    assert.equal(await link(h1, "nix/var/nix/profiles/system"), "system-1-link");
    assert.equal(await link(h1, "run/current-system"), g1);
    assert.equal(await link(h1, "boot/default-system"), g1);
  });

  test("activation keeps GC roots for the running system: the store's GC takes only what nothing roots", async () => {
    // Drop g2 from the profile, so only /run/current-system roots it.
    await sh(h1, 'nix-env -p "$1" --delete-generations 2 && "$2/bin/switch-to-configuration" test', PROFILE, g2);
    assert.match(await sh(h1, "nix-store --gc --print-roots"), new RegExp(`^/run/current-system -> ${g2}$`, "m"));
    await sh(h1, "nix-store --gc >/dev/null 2>&1");
    const valid = async (p: string): Promise<boolean> => (await h1.exec("nix-store", ["--verify-path", p])).exitCode === 0;
    assert.deepEqual([await valid(g1), await valid(g2), await valid(g3)], [true, true, false], "g1: profile, g2: current-system, g3: nothing");
    await copyToHosts(fleet.buildStore, [g3, sick, cutter], [h1]);
  });

  test("reboot boots the boot default: booted-system = current-system = /boot/default-system, /run fresh, processes gone", async () => {
    await sh(h1, '"$1/bin/switch-to-configuration" boot', g3);
    await sh(h1, '"$1/bin/switch-to-configuration" test', g2);
    const agent = h1.spawn("sleep", ["1000"]);
    assert.deepEqual(await reboot(h1), { booted: g3 });
    assert.equal((await agent.exited).signal, "SIGKILL");
    assert.equal(await link(h1, "run/booted-system"), g3);
    assert.equal(await link(h1, "run/current-system"), g3);
    assert.deepEqual(await activations(h1), [], "the activation log was in the old /run");
    assert.deepEqual(h1.processes(), [], "nothing is restarted");

    // The next boot default wins at the next reboot; a kernel change shows as booted ≠ current until then.
    await sh(h1, '"$1/bin/switch-to-configuration" switch', g1);
    assert.notEqual(await sh(h1, "readlink /run/booted-system/kernel"), await sh(h1, "readlink /run/current-system/kernel"));
    await reboot(h1);
    assert.equal(await link(h1, "run/booted-system"), g1);
  });

  test("a host without a boot default reboots with no system links", async () => {
    assert.deepEqual(await reboot(h2), { booted: undefined });
    assert.equal(await link(h2, "run/booted-system"), undefined);
    assert.equal(await link(h2, "run/current-system"), undefined);
  });

  test("an unhealthy generation: switch exits 4 but is active, reports a failed unit, and its health check fails", async () => {
    const r = await h1.exec(`${sick}/bin/switch-to-configuration`, ["test"]);
    assert.equal(r.exitCode, 4);
    assert.equal(await link(h1, "run/current-system"), sick);
    assert.equal(await readFile(join(h1.root, "run", "hostplane-failed-units"), "utf8"), "fixture-broken.service\n");
    assert.equal((await h1.exec(`${sick}/bin/health-check`, [])).exitCode, 1);
    await sh(h1, '"$1/bin/switch-to-configuration" test', g1);
    assert.equal(await readFile(join(h1.root, "run", "hostplane-failed-units"), "utf8"), "");
    assert.equal((await h1.exec(`${g1}/bin/health-check`, [])).exitCode, 0);
  });

  test("a generation whose activation cuts the network: the server is unreachable until a good generation is activated", async () => {
    const probe = `require("node:net").connect({ host: process.argv[1], port: Number(process.argv[2]) })
      .on("data", (d) => { process.stdout.write(d); process.exit(0); }).on("error", (e) => { console.log(e.code); process.exit(1); })
      .setTimeout(1000, () => { console.log("timeout"); process.exit(1); });`;
    const reach = async (): Promise<string> => (await h1.exec(process.execPath, ["-e", probe, fleet.serverAddress.ipv6, String(port)])).stdout.toString().trim();
    assert.equal(await reach(), "up");
    await sh(h1, '"$1/bin/switch-to-configuration" test', cutter);
    assert.equal(await reach(), "timeout");
    await sh(h1, '"$1/bin/switch-to-configuration" test', g1);
    assert.equal(await reach(), "up");
    // Booting a cutting default cuts again; a reboot into a good default does not carry the old firewall over.
    await sh(h1, '"$1/bin/switch-to-configuration" boot', cutter);
    await reboot(h1);
    assert.equal(await reach(), "timeout");
    await sh(h1, '"$1/bin/switch-to-configuration" boot', g1);
    await reboot(h1);
    assert.equal(await reach(), "up");
  });
});
