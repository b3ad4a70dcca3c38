/** Services: systemd as PID 1, journald persistent and capped, time synchronised. */
import { ALL_PROFILES, known, pass, problem, warn, type CheckDef } from "../check.js";

export const SERVICE_CHECKS: CheckDef[] = [
  {
    id: "services.systemd", group: "services", title: "systemd is PID 1",
    why: "Host daemons, microVM units and their cgroups are managed through systemd; the agent drives it.",
    severity: "fail", profiles: ALL_PROFILES, nixos: [], whenUnknown: "fail",
    hint: "run NixOS (systemd is its init); containers and other inits are not supported hosts",
    judge(facts, { config }) {
      const pid1 = known(facts.services.pid1, "PID 1");
      if (pid1.comm !== "systemd") return problem(`PID 1 is ${pid1.comm}`);
      if (pid1.systemdVersion === null) return problem("systemd, version unknown");
      if (pid1.systemdVersion < config.systemdMinVersion) return problem(`systemd ${pid1.systemdVersion}, needs ${config.systemdMinVersion}`);
      return pass(`systemd ${pid1.systemdVersion}`);
    },
  },
  {
    id: "services.journald", group: "services", title: "journald active with persistent storage",
    why: "journald is the authoritative log of host services; volatile logs vanish with the reboot you need them for.",
    severity: "fail", profiles: ALL_PROFILES, nixos: ["services.journald.storage"], whenUnknown: "fail",
    hint: "set services.journald.storage = \"persistent\"",
    judge(facts) {
      const j = known(facts.services.journald, "journald");
      if (!j.active) return problem("systemd-journald is not active");
      const storage = j.storage ?? "auto";
      if (storage === "persistent" || (storage === "auto" && j.persistentDir)) return pass(`active, Storage=${storage}${j.persistentDir ? ", /var/log/journal present" : ""}`);
      return problem(`active, Storage=${storage}${j.persistentDir ? "" : ", no /var/log/journal"}: logs are lost at reboot`);
    },
  },
  {
    id: "services.journald-size-cap", group: "services", title: "journald has a size cap",
    why: "Without SystemMaxUse the journal may take up to 10% of its filesystem (max 4 GiB), shared with state and volumes.",
    severity: "warn", profiles: ALL_PROFILES, nixos: ["services.journald.extraConfig"], whenUnknown: "fail",
    hint: "set SystemMaxUse= in services.journald.extraConfig (hostplane.host.journald.systemMaxUse)",
    judge(facts) {
      const j = known(facts.services.journald, "journald");
      return j.systemMaxUse ? pass(`SystemMaxUse=${j.systemMaxUse}`) : problem("SystemMaxUse not set");
    },
  },
  {
    id: "services.time-sync", group: "services", title: "Time synchronisation active",
    why: "Leases, token expiry, TLS certificates and the rollout's confirm timeouts all compare clocks across machines.",
    severity: "fail", profiles: ALL_PROFILES, nixos: ["services.timesyncd.enable"], whenUnknown: "fail",
    hint: "enable services.timesyncd (or chrony)",
    judge(facts) {
      const t = known(facts.services.timeSync, "time synchronisation");
      if (t.service === null) return problem("no time-sync service active (systemd-timesyncd, chronyd, ntpd)");
      if (t.synchronized === false) return warn(`${t.service} active, clock not yet synchronised`, "check that the NTP servers are reachable");
      return pass(`${t.service}${t.synchronized ? ", synchronised" : ""}`);
    },
  },
];
