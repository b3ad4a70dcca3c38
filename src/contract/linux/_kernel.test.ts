import { test } from "node:test";
import assert from "node:assert/strict";
import { hostParameters } from "./_kernel.js";

test("only contract-relevant boot parameters are kept; anything that could be a secret is dropped", () => {
  const cmdline = "BOOT_IMAGE=/boot/vmlinuz init=/nix/store/x/init rd.luks.key=/dev/disk/by-id/usb:pass=hunter2 " +
    "systemd.unified_cgroup_hierarchy=1 mitigations=auto nosmt kvm.nx_huge_pages=never kvm_intel.nested=0 token=abc123 ipv6.disable=0 cgroup_no_v1=all";
  assert.equal(hostParameters(cmdline), "systemd.unified_cgroup_hierarchy=1 mitigations=auto nosmt kvm.nx_huge_pages=never kvm_intel.nested=0 ipv6.disable=0 cgroup_no_v1=all");
  assert.equal(hostParameters(""), "");
  assert.equal(hostParameters("kvmfoo=1 nosmtx mitigationsx=off"), "");
});
