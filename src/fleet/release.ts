/**
 * A release: what every node should run, as a manifest (hostplane.release/v1).
 * For each role (and, overriding it, for single nodes) the NixOS system
 * closure's store path, optionally its closure size and the identities of its
 * kernel and microVM runtime (a change of either may call for a drain and
 * means a reboot). Validated here, once, with every problem and its JSON path;
 * checking the closures against the fleet's cache is the caller's I/O.
 */
import { z } from "zod";
import type { NodeRole } from "./node.js";
import { CLOSURE_PATH_RE, STORE_PATH_RE } from "./store-paths.js";

/** Names of releases and health checks: 1-64 of letters, digits, '.', '_' and '-', starting with a letter or digit. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * How the agent judges a freshly activated system, besides "no failed systemd units". A command is a path inside
 * the new system's closure (so the signature check covers what runs as root), an HTTP check a URL the node GETs.
 */
const HealthCheckSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("command"),
    name: z.string().regex(NAME_RE).optional(),
    path: z.string().regex(CLOSURE_PATH_RE, "a relative path inside the system closure, without '..' (e.g. bin/health-check)"),
    args: z.array(z.string().max(4096)).max(64).default([]),
    timeoutSeconds: z.number().int().min(1).max(3600).default(30),
  }),
  z.strictObject({
    kind: z.literal("http"),
    name: z.string().regex(NAME_RE).optional(),
    url: z.url({ protocol: /^https?$/ }),
    expectStatus: z.number().int().min(100).max(599).optional().meta({ description: "Default: any 2xx" }),
    timeoutSeconds: z.number().int().min(1).max(3600).default(10),
  }),
]).meta({ id: "HealthCheck" });
export type HealthCheck = z.infer<typeof HealthCheckSchema>;

const SystemTargetSchema = z.strictObject({
  path: z.string().regex(STORE_PATH_RE, "must be a store path: /nix/store/<32-character hash>-<name>")
    .meta({ description: "The NixOS system closure (the toplevel, with bin/switch-to-configuration)" }),
  closureSize: z.number().int().positive().optional()
    .meta({ description: "Bytes the whole closure takes unpacked (NAR size); the preflight compares it with free space" }),
  kernel: z.string().min(1).max(512).optional()
    .meta({ description: "Identity of kernel + initrd (e.g. the store path of the system's `kernel`); a change means a reboot" }),
  runtime: z.string().min(1).max(512).optional()
    .meta({ description: "Identity of the microVM runtime (e.g. the Firecracker store path); a change may call for a drain" }),
  healthChecks: z.array(HealthCheckSchema).max(32).default([])
    .meta({ description: "Checks that must pass after activation, besides no failed systemd units" }),
});

const NodeNameKey = z.string().regex(/^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/, "must be a node name (lower-case host name)").max(253);

export const ReleaseManifestSchema = z.strictObject({
  schema: z.literal("hostplane.release/v1"),
  name: z.string().regex(NAME_RE, "1-64 of letters, digits, '.', '_' and '-', starting with a letter or digit").optional()
    .meta({ description: "A name people use (default: the short commit)" }),
  source: z.strictObject({
    commit: z.string().regex(/^[0-9a-f]{7,64}$/, "must be a hex commit id (7-64 characters)").optional(),
    flake: z.string().min(1).max(1024).optional().meta({ description: "Locked flake reference the closures were built from" }),
  }).refine((s) => s.commit !== undefined || s.flake !== undefined, "give source.commit, source.flake or both"),
  roles: z.partialRecord(z.enum(["microvm-host", "control-plane"]), SystemTargetSchema).optional()
    .meta({ description: "The system for every node of a role" }),
  nodes: z.record(NodeNameKey, SystemTargetSchema).optional()
    .meta({ description: "The system for single nodes (wins over the role's)" }),
}).refine((m) => Object.keys(m.roles ?? {}).length + Object.keys(m.nodes ?? {}).length > 0, "a release names at least one system, in roles or nodes")
  .meta({ id: "ReleaseManifest", title: "hostplane release manifest" });

export type ReleaseManifest = z.infer<typeof ReleaseManifestSchema>;
export type SystemTarget = z.infer<typeof SystemTargetSchema>;

/** The system `node` should run under `manifest`, or null when the release has none for it. */
export function targetFor(manifest: Pick<ReleaseManifest, "roles" | "nodes">, node: { name: string; role: NodeRole }): SystemTarget | null {
  return manifest.nodes?.[node.name] ?? manifest.roles?.[node.role] ?? null;
}

/** Every distinct system path of the release (what must be in the cache, signed). */
export function releasePaths(manifest: Pick<ReleaseManifest, "roles" | "nodes">): string[] {
  const paths = [...Object.values(manifest.roles ?? {}), ...Object.values(manifest.nodes ?? {})].map((t) => t.path);
  return [...new Set(paths)].sort();
}
