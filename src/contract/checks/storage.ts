/** Storage: the canonical paths exist with the right owner and mode and have room; /nix and /boot have room. */
import { formatSize, STORAGE_ROLES } from "../config.js";
import type { Facts } from "../facts.js";
import { ALL_PROFILES, MICROVM_HOST, known, pass, problem, warn, type CheckDef, type Outcome } from "../check.js";

const ROLE_TEXT: Record<string, { title: string; why: string }> = {
  images: { title: "Image cache", why: "Kernel and root-filesystem images of microVMs are cached here; a full cache stops new placements." },
  volumes: { title: "Volumes", why: "Customer volume backends live here; they hold customer data, so only root may enter." },
  logs: { title: "Logs", why: "microVM console and VMM logs land here (host services log to journald)." },
  state: { title: "Host state", why: "The agent's state, credentials and operation journal; losing or exposing it breaks the node's identity." },
};

function entry(facts: Facts, role: string): Facts["storage"][number] {
  const e = facts.storage.find((s) => s.role === role);
  if (!e) return known({ ok: false, reason: `path for role "${role}" was not gathered` });
  return e;
}

function freeSpace(e: Facts["storage"][number], minFree: number, warnFree: number, prefix: string): Outcome {
  const u = known(e.usage, `statfs ${e.path}`);
  const free = `${formatSize(u.availableBytes)} free on ${u.measuredAt}`;
  if (u.availableBytes < minFree) return problem(`${prefix}${free}, needs ${formatSize(minFree)}`, `free space on ${u.measuredAt} (or collect garbage) until ${formatSize(minFree)} is available`);
  if (u.availableBytes < warnFree) return warn(`${prefix}${free}, below the ${formatSize(warnFree)} warning level`, "free space before it reaches the minimum");
  return pass(`${prefix}${free}`);
}

function canonicalPath(role: (typeof STORAGE_ROLES)[number]): CheckDef {
  const text = ROLE_TEXT[role]!;
  return {
    id: `storage.${role}`, group: "storage", title: `${text.title} path: owner, mode, free space`,
    why: text.why, severity: "fail", profiles: role === "images" || role === "volumes" ? MICROVM_HOST : ALL_PROFILES,
    nixos: ["systemd.tmpfiles.rules"], whenUnknown: "fail",
    hint: "create it with systemd.tmpfiles (hostplane.host.paths)",
    judge(facts, { config }) {
      const want = config.paths[role];
      const e = entry(facts, role);
      const st = known(e.stat, e.path);
      if (!st.exists) return problem(`${e.path} does not exist`);
      if (st.type !== "dir") return problem(`${e.path} is a ${st.type ?? "?"}, not a directory`);
      if (st.uid !== 0 || st.gid !== 0) return problem(`${e.path} is owned by ${st.uid}:${st.gid}, not root:root`);
      const mode = st.mode ?? 0;
      const extra = mode & ~want.mode;
      const modeText = `0${mode.toString(8).padStart(3, "0")}`;
      if (extra !== 0) return problem(`${e.path} has mode ${modeText}, more than 0${want.mode.toString(8)} allows`);
      return freeSpace(e, want.minFree, want.warnFree, `${e.path} root:root ${modeText}, `);
    },
  };
}

export const STORAGE_CHECKS: CheckDef[] = [
  ...STORAGE_ROLES.map(canonicalPath),
  {
    id: "storage.nix", group: "storage", title: "Free space on /nix",
    why: "Upgrades download whole system closures into /nix/store; a full store fails the upgrade halfway through its fetch.",
    severity: "fail", profiles: ALL_PROFILES, nixos: ["nix.gc.automatic", "nix.gc.dates", "nix.gc.options", "nix.settings.min-free", "nix.settings.max-free"], whenUnknown: "fail",
    hint: "collect garbage (nix.gc) or grow the filesystem",
    judge(facts, { config }) {
      const e = entry(facts, "nix");
      if (!known(e.stat, e.path).exists) return problem(`${e.path} does not exist`);
      return freeSpace(e, config.nixMinFree, config.nixMinFree * 2, "");
    },
  },
  {
    id: "storage.boot", group: "storage", title: "Free space on /boot",
    why: "Each generation with a new kernel copies kernel and initrd to /boot; a full /boot makes the new generation unbootable.",
    severity: "fail", profiles: ALL_PROFILES,
    nixos: ["boot.loader.systemd-boot.configurationLimit", "boot.loader.grub.configurationLimit"], whenUnknown: "fail",
    hint: "limit the generations kept in the boot menu (configurationLimit) and collect garbage",
    judge(facts, { config }) {
      const e = entry(facts, "boot");
      if (!known(e.stat, e.path).exists) return problem(`${e.path} does not exist`);
      return freeSpace(e, config.bootMinFree, config.bootMinFree * 2, "");
    },
  },
];
