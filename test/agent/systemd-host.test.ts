/**
 * The agent run the way a NixOS host runs it: a systemd unit (PID 1 is a
 * real systemd in the test host) with the sandbox nixos/modules/host/lib.nix
 * gives it — ProtectSystem=strict with only its state and the profiles
 * directory writable, NIX_REMOTE=daemon against a socket-activated
 * nix-daemon, the closure fetched from a signed binary cache over HTTP —
 * applying operations whose activations run as transient units
 * (systemd-run --wait), outside that sandbox.
 *
 * - an upgrade commits: new profile generation, boot default and running
 *   system; the activation unit is gone afterwards; the agent then exits 75
 *   (its watched file changed) and systemd restarts it (RestartForceExitStatus);
 * - an unhealthy generation rolls back through a transient unit as well, and
 *   the agent is not restarted (nothing it watches changed);
 * - the agent killed mid-activation: the activation, in its own unit, runs to
 *   its end all the same; systemd restarts the agent, which finds the
 *   operation unconfirmed in its journal and rolls back once that unit is done;
 * - a switch by hand while the agent is idle: it restarts at its next heartbeat
 *   (its watched file changed), and reports the system now running.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { serveDirectory, type TestServer } from "../cache/_static-server.js";
import { HOSTS_SKIP, buildSystem, createTestFleet, makeBinaryCache, type BinaryCache, type TestFleet, type TestHost } from "../harness/hosts/index.js";
import { ApplyControlPlane } from "./_apply-server.js";
import { activations, bootInto, hostState, journalSteps, operation, untilStep, type HostAgent } from "./_apply-hosts.js";
import { IGNORE_ALL_CHECKS, waitFor } from "./_harness.js";
import { agentUnitFromModule, serviceLines, SystemdHost, systemdHostSkip } from "./_systemd-host.js";

/** The checkout (bin/, dist/, node_modules/), bound into the host at CHECKOUT: the unit's /tmp is its own, and CI may clone under /tmp. */
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const CHECKOUT = "/run/hostplane-checkout";
const STATE = "/var/lib/hostplane";
const AGENT = "hostplane-agent.service";
const SWITCH_UNIT = "hostplane-switch-to-configuration.service";
const SUCCESS_STEPS = ["received", "preflight", "fetched", "activated", "health", "confirm-requested", "confirmed", "committed"];

describe("the agent as a systemd unit with the NixOS module's sandbox, activating through systemd-run", { skip: HOSTS_SKIP || systemdHostSkip() }, () => {
  let fleet: TestFleet;
  let cp: ApplyControlPlane;
  let cache: BinaryCache;
  let cacheServer: TestServer;
  let sd: SystemdHost;
  let h: TestHost;
  const sys = { a: "", b: "", bad: "", slow: "" };
  // For untilStep's messages: the agent's output is systemd's console.
  const agentView = () => ({ host: h, output: () => sd.output() }) as unknown as HostAgent;
  const op = (id: string, target: string, previous: string) => operation(id, target, { cacheUrl: cacheServer.url, publicKeys: [cache.publicKey], previous, confirmTimeoutSeconds: 60 });

  before(async () => {
    if (HOSTS_SKIP || systemdHostSkip()) return;
    fleet = await createTestFleet({ hosts: 1, prefix: "sdh" });
    h = fleet.hosts[0]!;
    sys.a = await buildSystem(fleet.buildStore, { name: "node", generationTag: "a" });
    sys.b = await buildSystem(fleet.buildStore, { name: "node", generationTag: "b" });
    sys.bad = await buildSystem(fleet.buildStore, { name: "node", generationTag: "bad", healthy: false });
    sys.slow = await buildSystem(fleet.buildStore, { name: "node", generationTag: "slow", activationSeconds: 4 });
    cache = await makeBinaryCache(fleet.buildStore, [sys.b, sys.bad, sys.slow], { dir: join(fleet.dir, "fleet-cache"), keyName: "fleet-1" });
    cacheServer = await serveDirectory(cache.dir, { host: fleet.serverAddress.ipv6 });
    cp = new ApplyControlPlane();
    await cp.start(fleet.serverAddress.ipv6);
    await bootInto(fleet, h, sys.a);

    // The module's tmpfiles rule makes the state directory; ReadWritePaths needs it to exist.
    await mkdir(join(h.root, "state/agent"), { recursive: true, mode: 0o700 });
    // What the agent reads lives in its state path: /tmp is private to its unit.
    await writeFile(join(h.root, "state/bootstrap-token"), "hp_boot_test-token-not-checked", { mode: 0o600 });
    await writeFile(join(h.root, "state/contract.json"), JSON.stringify({ ignore: IGNORE_ALL_CHECKS }));
    await writeFile(join(h.root, "state/workloads.json"), "[]");
    const unit = await agentUnitFromModule(`${STATE}/agent`);
    const env = { ...unit.environment, PATH: h.env["PATH"]!, LANG: "C.UTF-8", NIX_CONFIG: h.env["NIX_CONFIG"]! };
    const exec = [process.execPath, `${CHECKOUT}/bin/hostplane.js`, "agent", "--server", fleet.serverUrl(cp.port), "--state-dir", `${STATE}/agent`, "--name", h.name,
      "--bootstrap-token-file", `${STATE}/bootstrap-token`, "--workloads", `file:${STATE}/workloads.json`, "--contract-config", `${STATE}/contract.json`,
      "--failed-units", "systemd", "--activation", "systemd",
      // The module watches the unit file (/etc/systemd/system/hostplane-agent.service, which follows the running
      // system's /etc); the fixture systems have no /etc, so the running system itself stands for it.
      "--restart-when-changed", "/run/current-system"];
    const agentUnit = [
      "[Unit]", "Description=hostplane node agent", "Wants=nix-daemon.socket", "After=nix-daemon.socket", "[Service]",
      // The unit's output goes to a log file (_systemd-host.ts puts it first in [Service]).
      ...serviceLines(unit.serviceConfig),
      ...Object.entries(env).map(([k, v]) => `Environment=${JSON.stringify(`${k}=${v}`)}`),
      `ExecStart=${exec.join(" ")}`, "",
    ].join("\n");
    sd = new SystemdHost(h);
    await sd.boot({ nixDaemonEnv: { NIX_CONFIG: h.env["NIX_CONFIG"]! }, units: { [AGENT]: agentUnit }, start: [AGENT], binds: [{ source: ROOT, target: CHECKOUT }] });
    await waitFor("the agent enrolled and reports facts", () => cp.hasNode(h.name) && cp.node(h.name).facts !== null, 60_000)
      .catch((err: Error) => { throw new Error(`${err.message}\n${sd.output().slice(-6000)}`); });
  });

  after(async () => {
    await sd?.stop();
    await fleet?.teardown();
    await cp?.close();
    await cacheServer?.close();
  });

  test("systemd runs the agent with the module's sandbox", async () => {
    assert.equal(await sd.property(AGENT, "ActiveState"), "active");
    assert.equal(await sd.property(AGENT, "ProtectSystem"), "strict");
    assert.equal(await sd.property(AGENT, "ProtectHome"), "yes");
    assert.deepEqual((await sd.property(AGENT, "ReadWritePaths")).split(" ").sort(), ["/nix/var/nix/profiles", `${STATE}/agent`]);
    assert.match(await sd.property(AGENT, "Environment"), /NIX_REMOTE=daemon/);
  });

  test("an upgrade: fetched through nix-daemon, activated in a transient unit, committed; then the agent restarts into the new system", async () => {
    const pidBefore = await sd.property(AGENT, "MainPID");
    cp.setOperation(h.name, op("op_sd_ok", sys.b, sys.a));
    await untilStep(cp, agentView(), "op_sd_ok", "committed", 120_000);
    assert.deepEqual(cp.stepsOf("op_sd_ok"), SUCCESS_STEPS);
    assert.deepEqual(await hostState(h), { current: sys.b, booted: sys.a, bootDefault: sys.b, profile: sys.b, generations: [1, 2] });
    assert.deepEqual(await activations(h), [`test ${sys.b}`, `boot ${sys.b}`]);
    // The journal records the transient unit as the command; the unit is collected once it ended.
    const activated = (await journalSteps(h, "op_sd_ok")).lines.find((l) => l.step === "activated")!;
    assert.match(String(activated.data?.["command"]), /^systemd-run --unit=hostplane-switch-to-configuration\.service .* test$/);
    assert.equal(activated.data?.["exitCode"], 0);
    assert.equal(await sd.property(SWITCH_UNIT, "ActiveState"), "inactive");
    // /run/current-system changed: the agent exits 75 after the outcome and systemd starts it again.
    await waitFor("the agent restarted by systemd", async () => (await sd.property(AGENT, "NRestarts")) === "1" && (await sd.property(AGENT, "ActiveState")) === "active", 30_000);
    assert.notEqual(await sd.property(AGENT, "MainPID"), pidBefore);
    assert.match(sd.output(), /exiting 75 so systemd restarts it/);
    // The new process reports: its facts show the new system.
    await waitFor("facts from the restarted agent show the new system", () => (cp.node(h.name).facts as { currentSystem?: string } | null)?.currentSystem === sys.b, 30_000);
  });

  test("an unhealthy generation rolls back, its re-activation in a transient unit too; the agent is not restarted", async () => {
    cp.setOperation(h.name, op("op_sd_bad", sys.bad, sys.b));
    await untilStep(cp, agentView(), "op_sd_bad", "rolled-back", 120_000);
    const { steps } = await journalSteps(h, "op_sd_bad");
    assert.deepEqual(steps.slice(-3), ["health", "rolling-back", "rolled-back"]);
    const state = await hostState(h);
    assert.equal(state.current, sys.b);
    assert.equal(state.bootDefault, sys.b);
    assert.deepEqual(state.generations, [1, 2]);
    assert.deepEqual((await activations(h)).slice(-2), [`test ${sys.bad}`, `test ${sys.b}`]);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await sd.property(AGENT, "NRestarts"), "1");
    assert.equal(await sd.property(AGENT, "ActiveState"), "active");
  });

  test("the agent killed mid-activation: the activation finishes in its own unit; the restarted agent rolls back after it", async () => {
    const restartsBefore = Number(await sd.property(AGENT, "NRestarts"));
    cp.setOperation(h.name, op("op_sd_kill", sys.slow, sys.b));
    await waitFor("the agent journaled activating", async () => (await journalSteps(h, "op_sd_kill")).steps.includes("activating"), 60_000, 50);
    assert.equal(await sd.property(SWITCH_UNIT, "ActiveState"), "active");
    assert.equal((await sd.systemctl(["kill", "--signal=SIGKILL", AGENT])).code, 0);
    await untilStep(cp, agentView(), "op_sd_kill", "rolled-back", 120_000);
    assert.ok(Number(await sd.property(AGENT, "NRestarts")) > restartsBefore, "systemd restarted the killed agent");
    // The slow activation was not cut short (its line is written when it ends), and the rollback came after it.
    assert.deepEqual((await activations(h)).slice(-2), [`test ${sys.slow}`, `test ${sys.b}`]);
    const state = await hostState(h);
    assert.equal(state.current, sys.b);
    assert.equal(state.bootDefault, sys.b);
    const { steps } = await journalSteps(h, "op_sd_kill");
    assert.deepEqual(steps.slice(-2), ["rolling-back", "rolled-back"]);
    assert.ok(!steps.includes("activated"), "the killed agent never saw the activation end");
  });

  test("a switch by hand while no operation runs: the agent restarts into it at its next heartbeat", async () => {
    // Let the restarts of the test before settle (a rollback from the system it started on also restarts it).
    let settled = "";
    await waitFor("the agent settled", async () => {
      const now = `${await sd.property(AGENT, "NRestarts")} ${await sd.property(AGENT, "MainPID")}`;
      const same = now === settled && (await sd.property(AGENT, "ActiveState")) === "active";
      settled = now;
      return same;
    }, 60_000, 3000);
    const [restarts, pid] = settled.split(" ");
    const manual = await h.exec(`${sys.a}/bin/switch-to-configuration`, ["test"]);
    assert.equal(manual.exitCode, 0, manual.stderr);
    await waitFor("systemd restarted the agent", async () => Number(await sd.property(AGENT, "NRestarts")) > Number(restarts) && (await sd.property(AGENT, "ActiveState")) === "active", 30_000, 200);
    assert.notEqual(await sd.property(AGENT, "MainPID"), pid);
    assert.match(sd.output(), /the agent's unit changed with the running system; exiting 75/);
    await waitFor("facts show the system switched to by hand", () => (cp.node(h.name).facts as { currentSystem?: string } | null)?.currentSystem === sys.a, 30_000);
  });
});
