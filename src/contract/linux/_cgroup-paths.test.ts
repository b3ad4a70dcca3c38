/** Finding the cgroup2 mount in mountinfo, and systemd's slice nesting. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { cgroup2MountPoint, slicePath } from "./_cgroup-paths.js";

/** Lines from this machine's /proc/self/mountinfo (hybrid layout), recorded. */
const HYBRID = [
  "22 27 0:21 / /proc rw,relatime - proc proc rw",
  "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw",
  "31 23 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "32 31 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
  "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
].join("\n");

test("hybrid layout: the cgroup2 mount is /sys/fs/cgroup/unified", () => {
  assert.equal(cgroup2MountPoint(HYBRID), "/sys/fs/cgroup/unified");
});

test("unified layout with optional fields, and a second cgroup2 mount elsewhere: the one under /sys/fs/cgroup wins", () => {
  const text = [
    "30 1 0:26 / /mnt/with\\040space rw shared:5 - cgroup2 cgroup2 rw",
    "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot",
  ].join("\n");
  assert.equal(cgroup2MountPoint(text), "/sys/fs/cgroup");
  assert.equal(cgroup2MountPoint(text.split("\n")[0]!), "/mnt/with space");
});

test("v1 only: null; garbage: an error naming the line", () => {
  assert.equal(cgroup2MountPoint(HYBRID.split("\n").slice(0, 4).join("\n")), null);
  assert.throws(() => cgroup2MountPoint("22 27 0:21 / /proc rw\nnot mountinfo at all"), /line 1 is not a mountinfo line/);
});

test("systemd's dash rule nests slices", () => {
  assert.deepEqual(slicePath("microvms.slice"), { path: "microvms.slice" });
  assert.deepEqual(slicePath("hostplane-microvms.slice"), { path: "hostplane.slice/hostplane-microvms.slice" });
  assert.deepEqual(slicePath("a-b-c.slice"), { path: "a.slice/a-b.slice/a-b-c.slice" });
  assert.deepEqual(slicePath("-.slice"), { path: "" });
});

test("names that are not slices are errors, not paths", () => {
  for (const bad of ["microvms.service", "a--b.slice", "-a.slice", "../x.slice"]) {
    assert.ok("error" in slicePath(bad), bad);
  }
});
