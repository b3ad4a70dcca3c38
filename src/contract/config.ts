/**
 * Site values of the host contract: which profile, the kernel baseline, where
 * the canonical paths live and how much room they need, names of the microVM
 * slice, bridge and overlay. The NixOS module writes them to
 * /etc/hostplane/contract.json, so the check on a host uses exactly what the
 * module configured; everything has a default, so an empty file (or none) works.
 */
import { z } from "zod";

export const PROFILE_NAMES = ["microvm-host", "control-plane"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export const STORAGE_ROLES = ["images", "volumes", "logs", "state"] as const;
export type StorageRole = (typeof STORAGE_ROLES)[number];

const SIZE = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i;
const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "10G", "512M", "1.5T" or a byte count → bytes (powers of 1024). */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const m = SIZE.exec(value.trim());
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
}

/** Bytes → "10.0 GiB" for people. */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

const size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined) {
    ctx.addIssue({ code: "custom", message: `expected a size such as "10G", "512M" or a byte count, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return bytes;
});

// An octal string as people write it ("0750"), or the number it stands for (as facts snapshots record it).
const mode = z.union([
  z.string().regex(/^0?[0-7]{3,4}$/, "expected an octal mode such as \"0750\"").transform((m) => parseInt(m, 8)),
  z.number().int().min(0).max(0o7777),
]);

const pathSpec = z.strictObject({
  path: z.string().regex(/^\/\S*$/, "expected an absolute path"),
  mode: mode.describe("Most permissive mode allowed, octal (\"0750\"): bits beyond it fail the check."),
  minFree: size.describe("Below this much free space the check fails."),
  warnFree: size.describe("Below this much free space the check warns."),
}).partial().refine((p) => p.minFree === undefined || p.warnFree === undefined || p.warnFree >= p.minFree, {
  message: "warnFree must be at least minFree", path: ["warnFree"],
});

/** The canonical filesystem layout (docs/runtime/host-os.md explains each). */
export const DEFAULT_PATHS: Record<StorageRole, { path: string; mode: number; minFree: number; warnFree: number }> = {
  images: { path: "/var/cache/hostplane/images", mode: 0o750, minFree: 10 * 1024 ** 3, warnFree: 20 * 1024 ** 3 },
  volumes: { path: "/var/lib/hostplane/volumes", mode: 0o700, minFree: 20 * 1024 ** 3, warnFree: 40 * 1024 ** 3 },
  logs: { path: "/var/log/hostplane", mode: 0o750, minFree: 1024 ** 3, warnFree: 2 * 1024 ** 3 },
  state: { path: "/var/lib/hostplane", mode: 0o700, minFree: 512 * 1024 ** 2, warnFree: 1024 ** 3 },
};

export const contractConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  profile: z.enum(PROFILE_NAMES).optional().describe("Which checks apply (default microvm-host)."),
  kernelBaseline: z.string().regex(/^\d+\.\d+(?:\.\d+)?$/, "expected a kernel version such as \"5.10\"").optional()
    .describe("Lowest kernel version accepted (default 5.10; Firecracker validates 5.10, 6.1 and 6.18 hosts)."),
  systemdMinVersion: z.number().int().positive().optional().describe("Lowest systemd version accepted (default 250)."),
  microvmSlice: z.string().regex(/^[\w:.\\-]+\.slice$/, "expected a systemd slice name such as \"microvms.slice\"").optional()
    .describe("The systemd slice that runs microVMs (default microvms.slice)."),
  bridge: z.string().regex(/^[\w.-]{1,15}$/, "expected an interface name of at most 15 characters").optional()
    .describe("The bridge microVM taps attach to (default hpbr0)."),
  overlayInterface: z.string().regex(/^[\w.-]{1,15}$/, "expected an interface name of at most 15 characters").optional()
    .describe("The WireGuard overlay interface (default wg-hostplane)."),
  forwarding: z.strictObject({ ipv4: z.boolean(), ipv6: z.boolean() }).optional()
    .describe("Whether the role needs IP forwarding (default on for microvm-host, off for control-plane)."),
  paths: z.strictObject({ images: pathSpec, volumes: pathSpec, logs: pathSpec, state: pathSpec }).partial().optional(),
  nixMinFree: size.optional().describe("Free space /nix needs (default 10G); warns below twice this."),
  bootMinFree: size.optional().describe("Free space /boot needs (default 256M); warns below twice this."),
  nix: z.strictObject({
    substituters: z.array(z.string()),
    trustedPublicKeys: z.array(z.string()),
  }).optional().describe("The fleet's caches and keys as the host is configured with them; without --trust-policy the nix.* checks judge against these."),
  ignore: z.array(z.string()).optional().describe("Check ids or groups not to run (as --ignore): what the site has accepted."),
});

/** Every site value, defaults filled in. */
export interface ContractConfig {
  profile: ProfileName;
  kernelBaseline: string;
  systemdMinVersion: number;
  microvmSlice: string;
  bridge: string;
  overlayInterface: string;
  forwarding: { ipv4: boolean; ipv6: boolean };
  paths: Record<StorageRole, { path: string; mode: number; minFree: number; warnFree: number }>;
  nixMinFree: number;
  bootMinFree: number;
  nix?: { substituters: string[]; trustedPublicKeys: string[] };
  ignore: string[];
}

export class ContractConfigError extends Error {
  override readonly name = "ContractConfigError";
}

/** Defaults, overridden by what the site set (already validated). */
export function resolveContractConfig(input: ContractConfigInput = {}): ContractConfig {
  const profile = input.profile ?? "microvm-host";
  const microvm = profile === "microvm-host";
  const paths = {} as ContractConfig["paths"];
  for (const role of STORAGE_ROLES) {
    const given = input.paths?.[role] ?? {};
    const defaults = DEFAULT_PATHS[role];
    paths[role] = {
      path: given.path ?? defaults.path, mode: given.mode ?? defaults.mode,
      minFree: given.minFree ?? defaults.minFree, warnFree: given.warnFree ?? Math.max(given.minFree ?? defaults.minFree, defaults.warnFree),
    };
  }
  return {
    profile,
    kernelBaseline: input.kernelBaseline ?? "5.10",
    systemdMinVersion: input.systemdMinVersion ?? 250,
    microvmSlice: input.microvmSlice ?? "microvms.slice",
    bridge: input.bridge ?? "hpbr0",
    overlayInterface: input.overlayInterface ?? "wg-hostplane",
    forwarding: input.forwarding ?? { ipv4: microvm, ipv6: microvm },
    paths,
    nixMinFree: input.nixMinFree ?? 10 * 1024 ** 3,
    bootMinFree: input.bootMinFree ?? 256 * 1024 ** 2,
    ...(input.nix ? { nix: input.nix } : {}),
    ignore: input.ignore ?? [],
  };
}

export type ContractConfigInput = z.output<typeof contractConfigSchema>;

/** Parse /etc/hostplane/contract.json (or a file given with --config); errors name the file and the key. */
export function parseContractConfig(text: string, source: string): ContractConfigInput {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ContractConfigError(`${source} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const r = contractConfigSchema.safeParse(data);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `  ${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw new ContractConfigError(`invalid host-contract config ${source}:\n${problems.join("\n")}`);
  }
  return r.data;
}

/** JSON Schema of the config file, published as schema/contract-config.schema.json. */
export function contractConfigJsonSchema(): unknown {
  return { ...z.toJSONSchema(contractConfigSchema, { io: "input" }), title: "hostplane host-contract site configuration" };
}
