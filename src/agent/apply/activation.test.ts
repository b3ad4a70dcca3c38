/** How activations run: the mode from --activation, the systemd-run command, and the wait for an earlier activation unit. */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { activationMode, SWITCH_UNIT, switchCommand, waitForSwitchUnit } from "./activation.js";

const SYS = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-n1-25.05";

test("--activation: systemd and direct as given; auto is systemd only where systemd made /run/systemd/system; anything else null", async () => {
  const run = await mkdtemp(join(tmpdir(), "hp-act-"));
  try {
    assert.equal(activationMode("direct", run), "direct");
    assert.equal(activationMode("systemd", run), "systemd");
    assert.equal(activationMode("auto", run), "direct");
    await mkdir(join(run, "systemd", "system"), { recursive: true });
    assert.equal(activationMode("auto", run), "systemd");
    assert.equal(activationMode("systemd-run", run), null);
  } finally {
    await rm(run, { recursive: true, force: true });
  }
});

test("direct: the system's own switch-to-configuration with the action, under the given limit", () => {
  assert.deepEqual(switchCommand("direct", SYS, "test", 60_000, "/l"), { command: `${SYS}/bin/switch-to-configuration`, file: `${SYS}/bin/switch-to-configuration`, args: ["test"], timeoutMs: 60_000 });
});

test("systemd: one fixed transient unit that systemd itself stops at the limit, output to a file rather than a pipe", () => {
  const c = switchCommand("systemd", SYS, "boot", 90_500, "/var/lib/hostplane/agent/switch-to-configuration.log");
  assert.equal(c.file, "systemd-run");
  assert.ok(c.args.includes(`--unit=${SWITCH_UNIT}`));
  assert.ok(c.args.includes("--wait") && c.args.includes("--collect") && c.args.includes("--service-type=exec"));
  assert.ok(!c.args.includes("--pipe"), "a pipe to the agent would kill the activation (SIGPIPE) if the agent is stopped mid-way");
  assert.ok(c.args.includes("--property=RuntimeMaxSec=91"));
  assert.ok(c.args.includes("--property=StandardOutput=truncate:/var/lib/hostplane/agent/switch-to-configuration.log"));
  assert.deepEqual(c.args.slice(-3), ["--", `${SYS}/bin/switch-to-configuration`, "boot"]);
  // The agent waits longer than systemd's own limit, so systemd's verdict (result: timeout) comes first.
  assert.ok(c.timeoutMs > 91_000);
});

test("waitForSwitchUnit: waits while an earlier activation runs, then goes on; gives up at its limit; a stop ends the wait", async () => {
  const states = ["active", "active", "deactivating", "inactive"];
  const asked: string[] = [];
  const units = { isActive: (unit: string) => { asked.push(unit); return Promise.resolve(states.shift() ?? "inactive"); } };
  let slept = 0;
  const sleep = (ms: number) => { slept += ms; return Promise.resolve(true); };
  const never = new AbortController().signal;
  assert.equal(await waitForSwitchUnit(units, sleep, 60_000, never), true);
  assert.deepEqual(asked, [SWITCH_UNIT, SWITCH_UNIT, SWITCH_UNIT, SWITCH_UNIT]);
  assert.equal(slept, 3000);
  const stuck = { isActive: () => Promise.resolve("active") };
  assert.equal(await waitForSwitchUnit(stuck, () => new Promise((r) => setTimeout(() => r(true), 5)), 30, never), false);
  assert.equal(await waitForSwitchUnit(stuck, () => Promise.resolve(false), 60_000, never), false);
  // A unit that failed or never existed is not running.
  assert.equal(await waitForSwitchUnit({ isActive: () => Promise.resolve("failed") }, sleep, 0, never), true);
});
