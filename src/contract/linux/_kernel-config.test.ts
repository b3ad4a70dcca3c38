/** Picking options out of a kernel .config. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { looksLikeKernelConfig, pickKernelConfig } from "./_kernel-config.js";

const CONFIG = [
  "#",
  "# Automatically generated file; DO NOT EDIT.",
  "#",
  "CONFIG_KVM=y",
  "CONFIG_TUN=m",
  'CONFIG_LOCALVERSION="-fc-v782"',
  "CONFIG_HZ=1000",
  "# CONFIG_WIREGUARD is not set",
  "CONFIG_KVM_AMD=y",
].join("\n");

test("y, m, strings without quotes, numbers; not set and absent are null", () => {
  assert.deepEqual(pickKernelConfig(CONFIG, ["CONFIG_KVM", "CONFIG_TUN", "CONFIG_LOCALVERSION", "CONFIG_HZ", "CONFIG_WIREGUARD", "CONFIG_VHOST_VSOCK"]), {
    CONFIG_KVM: "y", CONFIG_TUN: "m", CONFIG_LOCALVERSION: "-fc-v782", CONFIG_HZ: "1000", CONFIG_WIREGUARD: null, CONFIG_VHOST_VSOCK: null,
  });
});

test("only the requested keys are reported, and a prefix of a key is not that key", () => {
  assert.deepEqual(pickKernelConfig(CONFIG, ["CONFIG_KVM"]), { CONFIG_KVM: "y" });
});

test("text without any CONFIG_ line is not a kernel config", () => {
  assert.equal(looksLikeKernelConfig(CONFIG), true);
  assert.equal(looksLikeKernelConfig("garbage\n\x00\x01"), false);
});
