/** journald's effective settings from `systemd-analyze cat-config`, with output recorded from systemd 252 (Debian 12). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJournaldConfig } from "./_journald-config.js";

/**
 * `systemd-analyze cat-config --root=R systemd/journald.conf` over Debian's
 * stock file plus three drop-ins (vendor, hostplane's, and an empty reset),
 * recorded; the root prefix is removed from the "# path" headers.
 */
const RECORDED = `# /etc/systemd/journald.conf
#  This file is part of systemd.
#
#  systemd is free software; you can redistribute it and/or modify it under the
#  terms of the GNU Lesser General Public License as published by the Free
#  Software Foundation; either version 2.1 of the License, or (at your option)
#  any later version.
#
# Entries in this file show the compile time defaults. Local configuration
# should be created by either modifying this file, or by creating "drop-ins" in
# the journald.conf.d/ subdirectory. The latter is generally recommended.
# Defaults can be restored by simply deleting this file and all drop-ins.
#
# Use 'systemd-analyze cat-config systemd/journald.conf' to display the full config.
#
# See journald.conf(5) for details.

[Journal]
#Storage=auto
#Compress=yes
#Seal=yes
#SplitMode=uid
#SyncIntervalSec=5m
#RateLimitIntervalSec=30s
#RateLimitBurst=10000
#SystemMaxUse=
#SystemKeepFree=
#SystemMaxFileSize=
#SystemMaxFiles=100
#RuntimeMaxUse=
#RuntimeKeepFree=
#RuntimeMaxFileSize=
#RuntimeMaxFiles=100
#MaxRetentionSec=
#MaxFileSec=1month
#ForwardToSyslog=yes
#ForwardToKMsg=no
#ForwardToConsole=no
#ForwardToWall=yes
#TTYPath=/dev/console
#MaxLevelStore=debug
#MaxLevelSyslog=debug
#MaxLevelKMsg=notice
#MaxLevelConsole=info
#MaxLevelWall=emerg
#LineMax=48K
#ReadKMsg=yes
#Audit=no

# /usr/lib/systemd/journald.conf.d/50-vendor.conf
[Journal]
Storage=volatile
SystemMaxUse=1G

# /etc/systemd/journald.conf.d/90-hostplane.conf
# hostplane: persistent, bounded
[Journal]
Storage=persistent
SystemMaxUse=4G

[Other]
Storage=none

# /etc/systemd/journald.conf.d/95-reset.conf
[Journal]
SystemMaxUse=
`;

test("the last assignment in a [Journal] section wins; other sections and comments are ignored; an empty value resets", () => {
  assert.deepEqual(parseJournaldConfig(RECORDED), { storage: "persistent", systemMaxUse: null });
});

test("Debian's stock file alone: everything commented out, so both are the defaults (null)", () => {
  const stock = RECORDED.slice(0, RECORDED.indexOf("# /usr/lib/systemd/journald.conf.d/"));
  assert.match(stock, /#Storage=auto/);
  assert.deepEqual(parseJournaldConfig(stock), { storage: null, systemMaxUse: null });
});

test("a drop-in sets both", () => {
  const upTo90 = RECORDED.slice(0, RECORDED.indexOf("# /etc/systemd/journald.conf.d/95-reset.conf"));
  assert.deepEqual(parseJournaldConfig(upTo90), { storage: "persistent", systemMaxUse: "4G" });
});

test("an assignment outside any section, or with odd spacing, is handled as systemd does", () => {
  assert.deepEqual(parseJournaldConfig("Storage=volatile\n[Journal]\n  SystemMaxUse = 2G \n; Storage=none\n"), { storage: null, systemMaxUse: "2G" });
});
