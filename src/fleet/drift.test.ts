import { test } from "node:test";
import assert from "node:assert/strict";
import { driftOf, type DriftInput } from "./drift.js";
import { DEFAULT_LEASE } from "./node.js";

const A = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-a";
const B = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-b";
const C = "/nix/store/cccccccccccccccccccccccccccccccc-nixos-system-c";
const NOW = Date.parse("2026-11-26T03:00:00Z");
const k = (kernel: string, initrd = "i1") => ({ kernel, initrd });

function input(over: { current?: string | null; booted?: string | null; desired?: string | null; op?: DriftInput["operation"]; boot?: DriftInput["boot"]; ageSeconds?: number; facts?: null }): DriftInput {
  return {
    node: {
      state: "Ready", contract: null,
      lastHeartbeatAt: new Date(NOW - (over.ageSeconds ?? 5) * 1000).toISOString(),
      facts: over.facts === null ? null : { currentSystem: over.current === undefined ? A : over.current, bootedSystem: over.booted === undefined ? A : over.booted },
    },
    boot: over.boot === undefined ? { current: k("k1"), booted: k("k1") } : over.boot,
    desiredSystem: over.desired === undefined ? A : over.desired,
    operation: over.op ?? null,
  };
}
const status = (i: DriftInput) => driftOf(i, NOW, DEFAULT_LEASE).status;

test("InSync, Drifted, Unknown", () => {
  assert.equal(status(input({})), "InSync");
  assert.deepEqual(driftOf(input({ current: B, booted: B }), NOW, DEFAULT_LEASE), { status: "Drifted", reason: `runs ${B}, desired ${A}` });
  assert.equal(status(input({ facts: null })), "Unknown");
  assert.equal(status(input({ ageSeconds: 41 })), "Unknown", "past the 40 s lease");
  assert.equal(status(input({ desired: null })), "Unknown");
});

test("while an operation runs, either of its systems is expected; a third one is drift", () => {
  assert.equal(status(input({ current: B, op: { target: B, previous: A } })), "InSync");
  assert.equal(status(input({ current: A, op: { target: B, previous: A } })), "InSync");
  assert.equal(status(input({ current: C, op: { target: B, previous: A } })), "Drifted");
});

test("RebootRequired only when the booted system's kernel or initrd differs; unknown kernel facts assume a reboot", () => {
  assert.equal(status(input({ booted: B, boot: { current: k("k1"), booted: k("k1") } })), "InSync", "same kernel and initrd: no reboot needed");
  assert.match(driftOf(input({ booted: B, boot: { current: k("k2"), booted: k("k1") } }), NOW, DEFAULT_LEASE).reason, /running kernel differ/);
  assert.match(driftOf(input({ booted: B, boot: { current: k("k1", "i2"), booted: k("k1") } }), NOW, DEFAULT_LEASE).reason, /running initrd differ/);
  assert.equal(status(input({ booted: B, boot: null })), "RebootRequired");
  assert.equal(status(input({ current: C, booted: B, boot: { current: k("k2"), booted: k("k1") } })), "Drifted", "drift wins over a pending reboot");
});
