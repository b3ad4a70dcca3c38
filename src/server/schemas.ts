/**
 * The /v1 API's data shapes: one zod schema per body, parameter set and
 * answer. Routes validate with them at the edge, the OpenAPI document is
 * generated from them (`.meta()` carries names and descriptions), and the API
 * client (CLI, agent) checks answers with them — plain zod, so a client does
 * not load the server's HTTP framework.
 *
 * Bodies sent by agents (enroll, heartbeat) ignore unknown fields, so a newer
 * agent can talk to an older server during an upgrade; operator bodies reject
 * them, so a typo is an error rather than a silently ignored option.
 */
import { z } from "zod";
import { NODE_STATES } from "../fleet/node.js";
import { ReleaseManifestSchema } from "../fleet/release.js";
import { NODE_CREDENTIAL_PATTERN } from "./credentials.js";

export const ProblemSchema = z.object({
  type: z.string().meta({ example: "urn:hostplane:problem:illegal-transition" }),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string().meta({ description: "Machine-readable problem code, stable across releases" }),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional()
    .meta({ description: "For invalid-request: every schema violation with its location" }),
}).meta({ id: "Problem",  description: "RFC 9457 problem details" });

export const isoTime = z.string().meta({ format: "date-time", example: "2026-11-20T10:00:00.000Z" });

const UNSTORABLE = /[\0\p{Cs}]/u;

/** Where in `value` a string (or key) holds NUL or an unpaired surrogate, which no store keeps as sent; null when none does. */
function unstorablePath(value: unknown, path: string[] = [], depth = 0): string[] | null {
  if (typeof value === "string") return UNSTORABLE.test(value) ? path : null;
  if (typeof value !== "object" || value === null || depth > 64) return null;
  for (const [k, v] of Object.entries(value)) {
    if (UNSTORABLE.test(k)) return [...path, k];
    const found = unstorablePath(v, [...path, k], depth + 1);
    if (found) return found;
  }
  return null;
}

/** A body schema that also refuses text the database cannot hold as sent. */
export function storable<T extends z.ZodType>(schema: T): T {
  return schema.superRefine((value, ctx) => {
    const path = unstorablePath(value);
    if (path) ctx.addIssue({ code: "custom", path, message: "text must not contain NUL characters or unpaired UTF-16 surrogates" });
  });
}

export const NodeStateSchema = z.enum(NODE_STATES).meta({ id: "NodeState" });
export const NodeRoleSchema = z.enum(["microvm-host", "control-plane"]).meta({ id: "NodeRole" });
export const OperatorRoleSchema = z.enum(["viewer", "operator", "admin"]).meta({ id: "OperatorRole" });
const NodeConditionSchema = z.enum(["NotReady", "Unreachable", "ContractFailing"]).meta({ id: "NodeCondition" });

/** A host name: lower-case letters, digits, `-` and `.`; starts and ends with a letter or digit. No `_`, so it never looks like a node id. */
export const NodeNameSchema = z.string().min(1).max(253)
  .regex(/^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/, "must be a lower-case host name: letters, digits, '-' and '.', starting and ending with a letter or digit")
  .meta({ example: "web-3" });

const LabelsSchema = z.record(
  z.string().min(1).max(63).regex(/^[\w./-]+$/, "label keys are letters, digits and . _ / -"),
  z.string().max(253),
).refine((r) => Object.keys(r).length <= 64, "at most 64 labels").meta({ id: "Labels" });

export const ContractSummarySchema = z.object({
  ok: z.boolean(),
  failing: z.array(z.string().max(128)).max(500).meta({ description: "Ids of failing checks" }),
  evaluatedAt: z.iso.datetime({ offset: true }).meta({ format: "date-time" }),
}).meta({ id: "ContractSummary" });

const BootIdentitySchema = z.object({ kernel: z.string().max(4096).nullable(), initrd: z.string().max(4096).nullable() }).meta({ id: "BootIdentity" });

export const NodeFactsSchema = z.looseObject({
  hostname: z.string().max(253),
  kernel: z.string().max(256),
  currentSystem: z.string().max(4096).nullable(),
  bootedSystem: z.string().max(4096).nullable(),
  generations: z.array(z.looseObject({ number: z.number().int().nonnegative(), path: z.string().max(4096), current: z.boolean() })).max(10_000),
  freeBytes: z.record(z.string().max(4096), z.number().nonnegative()),
  nixTrust: z.record(z.string().max(256), z.unknown()),
  workloads: z.array(z.looseObject({ id: z.string().max(256), state: z.string().max(64) })).max(10_000),
  contract: z.unknown().meta({ description: "The full host-contract report (hostplane.contract-report/v1)" }),
  agentVersion: z.string().max(64),
  boot: z.object({
    current: BootIdentitySchema.nullable(),
    booted: BootIdentitySchema.nullable(),
  }).optional().meta({ description: "Kernel and initrd identities (targets of <system>/kernel and <system>/initrd) of the current and booted systems; absent from older agents" }),
}).meta({ id: "NodeFacts",  description: "What the agent reports about its host; unknown fields are kept (they count in the facts hash)" });

const DrainProgressSchema = z.object({
  startedAt: isoTime,
  deadline: isoTime,
  force: z.boolean(),
  deadlinePassed: z.boolean().optional(),
  evictions: z.record(z.string(), z.object({
    attempts: z.number().int(),
    nextAttemptAt: isoTime.nullable(),
    status: z.enum(["pending", "evicted", "error"]),
    error: z.string().optional(),
  })),
}).meta({ id: "DrainProgress" });

/** The release schema's health checks (fleet/release.ts), as operations carry them to the agent. */
export const HealthCheckListSchema = ReleaseManifestSchema.shape.nodes.unwrap().valueType.shape.healthChecks.unwrap();

const StorePathText = z.string().max(4096).meta({ example: "/nix/store/0c2sl1g5xam3ihw7rx0dsgzivhd0abcd-nixos-system-web-3-26.05" });

/** An operation offered to its node (docs/ops/upgrades-and-rollback.md, "Wire protocol"). */
export const OperationOfferSchema = z.object({
  id: z.string().meta({ example: "op_5f2c9a1e0b7d4c3a" }),
  epoch: z.number().int().min(1).meta({ description: "The node's operation counter (fencing): refuse an operation whose epoch is not above the last accepted" }),
  kind: z.enum(["upgrade", "rollback"]),
  rollout: z.string().nullable(),
  target: StorePathText,
  previous: StorePathText.nullable(),
  closureSize: z.number().int().nullable().meta({ description: "Bytes of the target's closure, unpacked (for the disk preflight); null when unknown" }),
  cache: z.object({ url: z.string(), publicKeys: z.array(z.string()) }).meta({ description: "Where to fetch the closure from, and the keys its signatures must come from" }),
  healthChecks: HealthCheckListSchema,
  confirmTimeoutSeconds: z.number().int(),
  healthTimeoutSeconds: z.number().int(),
}).meta({ id: "OperationOffer" });

export const DesiredStateSchema = z.object({
  version: z.number().int().meta({ description: "The node's version: bumped by every lifecycle change, and when an operation is offered or withdrawn" }),
  state: NodeStateSchema,
  drain: DrainProgressSchema.nullable(),
  decommission: z.boolean().meta({ description: "The node is being (or has been) decommissioned: stop, then wipe the credential once refused" }),
}).meta({ id: "DesiredState" });

/** GET …/desired: the desired state with the operation to apply; heartbeat answers leave `operation` out so they stay cheap. */
export const DesiredWithOperationSchema = DesiredStateSchema.extend({
  operation: OperationOfferSchema.nullable().meta({ description: "The operation the node is to apply, or null" }),
}).meta({ id: "DesiredStateWithOperation" });

// Agent-facing bodies.

export const EnrollRequestSchema = storable(z.object({
  name: NodeNameSchema,
  role: NodeRoleSchema.optional().meta({ description: "Must match the bootstrap token's role when given" }),
  facts: NodeFactsSchema.optional(),
  credential: z.string().regex(NODE_CREDENTIAL_PATTERN, "must be a node credential: hp_node_, 16 lower-case hex digits, _, then 32 random bytes in unpadded base64url (43 characters)")
    .optional().meta({ description: "A node credential the agent made itself, saved before this request so that a crash before the answer does not lose it; the server keeps only its SHA-256 and answers it back as `credential`. Without it the server makes one." }),
})).meta({ id: "EnrollRequest" });

export const EnrollResponseSchema = z.object({
  node: z.object({ id: z.string(), name: z.string(), state: NodeStateSchema }),
  credential: z.string().meta({ description: "hp_node_… bearer credential; shown once, keep it 0600" }),
  heartbeatSeconds: z.number().int(),
  leaseSeconds: z.number().int(),
}).meta({ id: "EnrollResponse" });

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits (SHA-256)");

export const HeartbeatRequestSchema = storable(z.object({
  factsHash: sha256Hex.meta({ description: "SHA-256 of the canonical JSON of the facts (src/fleet/facts-hash.ts)" }),
  facts: NodeFactsSchema.optional().meta({ description: "Sent when the hash changed, or when the server answered needFacts" }),
  contract: ContractSummarySchema.optional(),
})).meta({ id: "HeartbeatRequest" });

export const HeartbeatResponseSchema = z.object({
  needFacts: z.boolean().meta({ description: "true: the heartbeat was NOT recorded; send it again with the facts" }),
  desired: DesiredStateSchema,
  heartbeatSeconds: z.number().int(),
}).meta({ id: "HeartbeatResponse" });

/** Query integers arrive as strings: digits only, no coercion of "", "1e3" or " 1". */
export function queryInt(min: number, max: number) {
  return z.string().regex(/^\d{1,15}$/, "must be a non-negative integer").transform(Number)
    .pipe(z.number().int().min(min).max(max)).meta({ type: "integer", minimum: min, maximum: max });
}

export const DesiredQuerySchema = z.object({
  since: queryInt(0, Number.MAX_SAFE_INTEGER).optional().meta({ description: "Answer once the node's version is greater than this" }),
  wait: queryInt(0, 60).optional().meta({ description: "Seconds to wait for a change (long-poll), at most 60; default 0" }),
});

// Operator-facing shapes.

export const NodeRefParamSchema = z.object({
  id: z.string().min(1).max(253).regex(/^[\w.-]+$/, "must be a node id or name")
    .meta({ param: { name: "id", in: "path" }, description: "Node id (n_…) or name", example: "web-3" }),
});

export const DriftSchema = z.object({
  status: z.enum(["InSync", "Drifted", "RebootRequired", "Unknown"]),
  reason: z.string().meta({ description: "Why, for people (empty when InSync)" }),
}).meta({ id: "Drift" });

export const NodeSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  state: NodeStateSchema,
  role: NodeRoleSchema,
  labels: z.record(z.string(), z.string()),
  conditions: z.array(NodeConditionSchema),
  contract: z.object({ ok: z.boolean(), failing: z.array(z.string()) }).nullable(),
  generation: z.number().int().nullable().meta({ description: "Current system profile generation, from the facts" }),
  currentSystem: z.string().nullable(),
  lastHeartbeatAt: isoTime.nullable(),
  heartbeatAgeSeconds: z.number().nullable(),
  version: z.number().int(),
  drift: DriftSchema.meta({ description: "Does the node run what the control plane last committed on it? (src/fleet/drift.ts)" }),
}).meta({ id: "NodeSummary" });

export const NodeListSchema = z.object({ nodes: z.array(NodeSummarySchema) }).meta({ id: "NodeList" });

export const NodeDetailSchema = NodeSummarySchema.extend({
  enrolledAt: isoTime,
  updatedAt: isoTime,
  contract: ContractSummarySchema.nullable(),
  facts: NodeFactsSchema.nullable(),
  factsHash: z.string().nullable(),
  drain: DrainProgressSchema.nullable(),
}).meta({ id: "NodeDetail" });

export const DrainRequestSchema = z.strictObject({
  deadlineSeconds: z.number().int().min(0).max(7 * 86_400).default(3600)
    .meta({ description: "Time to evict workloads before the drain fails (or, with force, stops what is left)" }),
  force: z.boolean().default(false),
}).meta({ id: "DrainRequest" });

const TokenNameSchema = z.string().min(1).max(128).regex(/^[\w.@:-]+$/, "letters, digits and . _ @ : - only");

export const TokenCreateSchema = z.strictObject({
  name: TokenNameSchema,
  role: OperatorRoleSchema,
  expiresInSeconds: z.number().int().min(60).max(10 * 365 * 86_400).optional(),
}).meta({ id: "TokenCreate" });

export const TokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: OperatorRoleSchema,
  createdAt: isoTime,
  expiresAt: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
}).meta({ id: "TokenInfo" });

export const TokenCreatedSchema = TokenInfoSchema.extend({
  token: z.string().meta({ description: "hp_op_… bearer token; shown once" }),
}).meta({ id: "TokenCreated" });

export const TokenListSchema = z.object({ tokens: z.array(TokenInfoSchema) }).meta({ id: "TokenList" });

export const TokenIdParamSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/, "must be a token id (16 hex digits)").meta({ param: { name: "id", in: "path" } }),
});

export const BootstrapCreateSchema = storable(z.strictObject({
  ttlSeconds: z.number().int().min(60).max(30 * 86_400).default(3600),
  uses: z.number().int().min(1).max(10_000).default(1),
  labels: LabelsSchema.default({}),
  role: NodeRoleSchema.default("microvm-host"),
})).meta({ id: "BootstrapCreate" });

export const BootstrapCreatedSchema = z.object({
  token: z.string().meta({ description: "hp_boot_… enrollment token; shown once" }),
  id: z.string(),
  expiresAt: isoTime,
  uses: z.number().int(),
  role: NodeRoleSchema,
  labels: z.record(z.string(), z.string()),
}).meta({ id: "BootstrapCreated" });

export const AuditQuerySchema = z.object({
  target: z.string().max(300).regex(/^[\w.:@/-]*$/, "a target such as node:web-3 or token:<id>").optional().meta({ example: "node:web-3" }),
  after: queryInt(0, Number.MAX_SAFE_INTEGER).optional().meta({ description: "Only entries with a greater id (paging)" }),
  limit: queryInt(1, 1000).optional().meta({ description: "At most this many entries (default 100)" }),
});

export const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: isoTime,
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  before: z.unknown(),
  after: z.unknown(),
}).meta({ id: "AuditEntry" });

export const AuditListSchema = z.object({
  entries: z.array(AuditEntrySchema),
  next: z.number().int().nullable().meta({ description: "Pass as `after` for the next page; null at the end" }),
}).meta({ id: "AuditList" });

export const HealthSchema = z.object({ status: z.literal("ok"), database: z.literal("ok") }).meta({ id: "Health" });

export type NodeSummary = z.infer<typeof NodeSummarySchema>;
export type NodeDetail = z.infer<typeof NodeDetailSchema>;
export type DesiredState = z.infer<typeof DesiredStateSchema>;
export type OperationOffer = z.infer<typeof OperationOfferSchema>;
export type Drift = z.infer<typeof DriftSchema>;
export type HeartbeatRequest = z.input<typeof HeartbeatRequestSchema>;
export type TokenInfo = z.infer<typeof TokenInfoSchema>;
export type TokenCreated = z.infer<typeof TokenCreatedSchema>;
export type BootstrapCreated = z.infer<typeof BootstrapCreatedSchema>;
