/**
 * The facts snapshot: what a host looked like when the Linux adapter gathered
 * it. Plain JSON, so it can be saved on one machine and evaluated on another
 * (the agent sends it to the server for the admission gate). Every probe is
 * either `{ ok: true, value }` or `{ ok: false, reason }`: an unreadable /proc
 * or /sys entry is a fact too, and becomes a SKIP or FAIL with that reason,
 * never a crash.
 */
import { z } from "zod";
import { contractConfigSchema } from "./config.js";

export const FACTS_SCHEMA_ID = "hostplane.facts/v1";

/** The reason `net.scratch` carries when the scratch-namespace probes were left out on purpose (--no-scratch). */
export const SCRATCH_NOT_RUN = "scratch-namespace probes not run (--no-scratch)";

/** A probe's outcome: the value seen, or why it could not be seen. */
export type Probe<T> = { ok: true; value: T } | { ok: false; reason: string };

function probe<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion("ok", [
    z.strictObject({ ok: z.literal(true), value }),
    z.strictObject({ ok: z.literal(false), reason: z.string() }),
  ]);
}

/** One step of a scratch-namespace probe: did the kernel let us create it, and did it go away again? */
const scratchStep = z.strictObject({
  created: z.boolean(),
  /** `null` when nothing was created, so nothing had to be removed. */
  removed: z.boolean().nullable(),
  /** What the tool said when creation or removal failed (first line of stderr). */
  error: z.string().optional(),
});
export type ScratchStep = z.infer<typeof scratchStep>;

const fileStat = z.strictObject({
  exists: z.boolean(),
  /** "dir", "file", "char", "block", "symlink", "socket", "fifo"; absent when it does not exist. */
  type: z.string().optional(),
  uid: z.number().int().optional(),
  gid: z.number().int().optional(),
  /** Permission bits only (mode & 0o7777). */
  mode: z.number().int().optional(),
});
export type FileStat = z.infer<typeof fileStat>;

const fsUsage = z.strictObject({
  /** statfs f_type, e.g. 0xEF53 for ext4. */
  fsType: z.number().int(),
  totalBytes: z.number(),
  /** Bytes available to unprivileged users (f_bavail × f_bsize). */
  availableBytes: z.number(),
  totalInodes: z.number(),
  freeInodes: z.number(),
});
export type FsUsage = z.infer<typeof fsUsage>;

const storagePath = z.strictObject({
  /** The role this path plays: "images", "volumes", "logs", "state", "nix", "boot". */
  role: z.string(),
  path: z.string(),
  stat: probe(fileStat),
  /** statfs of the path (or its nearest existing ancestor, named in `measuredAt`). */
  usage: probe(fsUsage.extend({ measuredAt: z.string() })),
});
export type StoragePathFacts = z.infer<typeof storagePath>;

const cgroupDir = z.strictObject({
  /** Absolute path under the cgroup2 mount. */
  path: z.string(),
  exists: z.boolean(),
  /** cgroup.controllers: what this group may use. */
  controllers: z.array(z.string()),
  /** cgroup.subtree_control: what this group hands on to its children. */
  subtreeControl: z.array(z.string()),
});

export const factsSchema = z.strictObject({
  schema: z.literal(FACTS_SCHEMA_ID),
  gatheredAt: z.string(),
  /** How long gathering took, and how long the scratch-namespace probes took of it. */
  durationMs: z.number(),
  hostname: z.string(),
  /** `process.arch` mapped to the kernel's name: "x86_64", "aarch64", … */
  arch: z.string(),
  /** Effective uid of the gatherer: probes that need root say so when it was not 0. */
  euid: z.number().int(),
  /**
   * The site config the facts were gathered for (paths, slice, thresholds):
   * `contract evaluate` judges by it unless given another, so a snapshot gives
   * the same answer wherever it is evaluated.
   */
  site: contractConfigSchema.optional(),

  kernel: probe(z.strictObject({ release: z.string(), version: z.string() })),
  /** The kernel config options the contract asks about (`y`, `m`, a value, or null = not set), and where they were read. */
  kernelConfig: probe(z.strictObject({ source: z.string(), options: z.record(z.string(), z.string().nullable()) })),
  /** The contract-relevant parameters of the kernel command line (cgroup, mitigations, SMT, KVM, IPv6, IOMMU, hugepages); everything else is dropped, as it may carry secrets. */
  cmdline: probe(z.string()),

  cpu: probe(z.strictObject({
    /** `vendor_id` ("GenuineIntel", "AuthenticAMD") or the aarch64 implementer. */
    vendor: z.string(),
    model: z.string(),
    count: z.number().int(),
    /** flags of the first processor (x86) or Features (aarch64). */
    flags: z.array(z.string()),
  })),
  /** /sys/devices/system/cpu/vulnerabilities/*: name → status line. */
  cpuVulnerabilities: probe(z.record(z.string(), z.string())),
  /** /sys/devices/system/cpu/smt/{control,active}. */
  smt: probe(z.strictObject({ control: z.string(), active: z.boolean().nullable() })),

  kvm: z.strictObject({
    device: probe(fileStat.extend({ readable: z.boolean(), writable: z.boolean() })),
    /** KVM_GET_API_VERSION on /dev/kvm. */
    apiVersion: probe(z.number().int()),
    /** KVM_CHECK_EXTENSION for each capability the contract asks about: name → ioctl result (0 = absent). */
    extensions: probe(z.record(z.string(), z.number().int())),
    /** Parameters of the kvm, kvm_intel and kvm_amd modules: "kvm.nx_huge_pages" → "auto". */
    moduleParams: probe(z.record(z.string(), z.string())),
  }),

  cgroup: z.strictObject({
    /** statfs(/sys/fs/cgroup).f_type; 0x63677270 is cgroup2, 0x01021994 tmpfs (v1 or hybrid). */
    rootFsType: probe(z.number().int()),
    /** Where a cgroup2 hierarchy is mounted, from /proc/self/mountinfo (null: none). */
    unifiedMount: probe(z.string().nullable()),
    /** The cgroup2 root's cgroup.controllers and cgroup.subtree_control. */
    root: probe(cgroupDir),
    /** The slice that runs microVMs (e.g. /sys/fs/cgroup/microvms.slice). */
    slice: probe(cgroupDir),
  }),

  net: z.strictObject({
    /** `nft --version` and whether `nft list tables` succeeded on the host. */
    nft: probe(z.strictObject({ version: z.string(), listOk: z.boolean(), error: z.string().optional() })),
    /** Tables of the legacy x_tables backend that the kernel has loaded (/proc/net/ip{,6}_tables_names). */
    legacyIptables: probe(z.strictObject({ ipv4: z.array(z.string()), ipv6: z.array(z.string()) })),
    /**
     * Probes run in a throw-away network namespace (an `unshare --net` child:
     * the namespace and everything in it vanish with that process, even on SIGKILL).
     */
    scratch: probe(z.strictObject({
      /** How the namespace was made: "unshare --net" as root, "unshare --user --map-root-user --net" otherwise. */
      method: z.string(),
      bridge: scratchStep,
      tap: scratchStep,
      /** The tap could be enslaved to the bridge. */
      tapOnBridge: scratchStep,
      veth: scratchStep,
      wireguard: scratchStep,
      /** An nftables table with an inet chain loaded and deleted. */
      nftables: scratchStep,
    })),
    /** Device nodes: /dev/net/tun, /dev/vhost-vsock, /dev/vhost-net. */
    devices: z.record(z.string(), probe(fileStat)),
    /** net.ipv6.conf.{all,default}.disable_ipv6 and whether /proc/net/if_inet6 exists. */
    ipv6: probe(z.strictObject({ disabledAll: z.boolean(), disabledDefault: z.boolean(), ifInet6: z.boolean() })),
    forwarding: probe(z.strictObject({ ipv4: z.boolean(), ipv6: z.boolean() })),
    /** Links on the host (`ip -json link show`): name → kind ("bridge", "wireguard", "" for plain). */
    links: probe(z.record(z.string(), z.strictObject({ kind: z.string(), up: z.boolean() }))),
  }),

  storage: z.array(storagePath),

  services: z.strictObject({
    /** /proc/1/comm, and `systemctl --version`'s number when PID 1 is systemd. */
    pid1: probe(z.strictObject({ comm: z.string(), systemdVersion: z.number().int().nullable() })),
    /** systemd-journald: active state, effective Storage= and SystemMaxUse= (from `systemd-analyze cat-config`), /var/log/journal present. */
    journald: probe(z.strictObject({
      active: z.boolean(),
      storage: z.string().nullable(),
      systemMaxUse: z.string().nullable(),
      persistentDir: z.boolean(),
    })),
    /** Which time-sync service is active (systemd-timesyncd, chronyd, ntpd), and NTPSynchronized. */
    timeSync: probe(z.strictObject({ service: z.string().nullable(), synchronized: z.boolean().nullable() })),
  }),

  hygiene: z.strictObject({
    /** /proc/swaps entries. */
    swaps: probe(z.array(z.strictObject({ name: z.string(), sizeKiB: z.number() }))),
    /** /sys/kernel/mm/ksm/run. */
    ksmRun: probe(z.number().int()),
  }),

  /** `nix --version` and the trust settings of `nix show-config --json`. */
  nix: probe(z.strictObject({ version: z.string(), settings: z.record(z.string(), z.strictObject({ value: z.unknown() })) })),
});

export type Facts = z.infer<typeof factsSchema>;

/** Raised when a facts file is not a facts snapshot this version understands. */
export class FactsError extends Error {
  override readonly name = "FactsError";
}

/** Parse a facts snapshot (already JSON-decoded), naming every problem with its path. */
export function parseFacts(data: unknown, source: string): Facts {
  const r = factsSchema.safeParse(data);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 10).map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
  const more = r.error.issues.length > 10 ? `\n  … and ${r.error.issues.length - 10} more` : "";
  throw new FactsError(`${source} is not a ${FACTS_SCHEMA_ID} facts snapshot:\n${issues.join("\n")}${more}`);
}

/** JSON Schema of a facts snapshot, published as schema/contract-facts.schema.json. */
export function factsJsonSchema(): unknown {
  return { ...z.toJSONSchema(factsSchema, { io: "input" }), title: "hostplane host facts snapshot" };
}
