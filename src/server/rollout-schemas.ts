/**
 * The /v1 shapes of releases, rollouts, operations and drift
 * (docs/ops/upgrades-and-rollback.md). Operator bodies reject unknown fields;
 * the agent's operation reports ignore them (a newer agent may add some).
 */
import { z } from "zod";
import { ReleaseManifestSchema } from "../fleet/release.js";
import { RolloutPolicySchema } from "../fleet/rollout-policy.js";
import { DriftSchema, isoTime, NodeRefParamSchema, queryInt, storable } from "./schemas.js";

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export const ReleaseCreateSchema = storable(ReleaseManifestSchema);

export const ReleaseSchema = z.object({
  id: z.string().meta({ example: "rel_3f1a…" }),
  name: z.string(),
  manifest: ReleaseManifestSchema,
  paths: z.array(z.string()).meta({ description: "Every distinct system closure of the release" }),
  createdBy: z.string(),
  createdAt: isoTime,
}).meta({ id: "Release" });

export const ReleaseListSchema = z.object({
  releases: z.array(ReleaseSchema.omit({ manifest: true })),
}).meta({ id: "ReleaseList" });

export const RefParamSchema = z.object({
  id: z.string().min(1).max(128).regex(ID, "must be an id or a name").meta({ param: { name: "id", in: "path" } }),
});

export const RolloutStartSchema = z.strictObject({
  release: z.string().min(1).max(128).regex(ID, "a release id or name").meta({ description: "The release's id or name" }),
  policy: RolloutPolicySchema.optional().meta({ description: "How the rollout goes; every field has a default" }),
}).meta({ id: "RolloutStart" });

export const RolloutAbortSchema = storable(z.strictObject({
  reason: z.string().min(1).max(1000),
  rollback: z.boolean().optional().meta({ description: "Roll upgraded nodes back to the generation they had (default: the policy's rollbackOnAbort)" }),
})).meta({ id: "RolloutAbort" });

const OutcomeSchema = z.enum(["waiting", "draining", "in-flight", "done", "failed", "skipped"]);
const RolloutStatusSchema = z.enum(["running", "paused", "aborting", "aborted", "succeeded"]);
const OperationStatusSchema = z.enum(["pending", "running", "confirming", "confirmed", "succeeded", "failed", "rolled-back"]);

export const RolloutSummarySchema = z.object({
  id: z.string(),
  release: z.object({ id: z.string(), name: z.string() }),
  status: RolloutStatusSchema,
  wave: z.number().int().meta({ description: "The wave under way (0-based)" }),
  waves: z.number().int(),
  bakeUntil: isoTime.nullable(),
  abortReason: z.string().nullable(),
  createdBy: z.string(),
  createdAt: isoTime,
  updatedAt: isoTime,
  version: z.number().int(),
}).meta({ id: "RolloutSummary" });

export const RolloutListSchema = z.object({ rollouts: z.array(RolloutSummarySchema) }).meta({ id: "RolloutList" });

export const RolloutDetailSchema = RolloutSummarySchema.extend({
  policy: RolloutPolicySchema,
  canaryWave: z.boolean(),
  progress: z.array(z.object({
    wave: z.number().int(),
    nodes: z.array(z.string()),
    counts: z.record(OutcomeSchema, z.number().int()),
  })).meta({ description: "Per wave: its nodes and how many are waiting, draining, in flight, done, failed or skipped" }),
  nodes: z.array(z.object({
    name: z.string(),
    wave: z.number().int(),
    outcome: OutcomeSchema,
    target: z.string(),
    drain: z.boolean(),
    reason: z.string().nullable().meta({ description: "Why it was skipped or failed" }),
    operation: z.object({ id: z.string(), kind: z.enum(["upgrade", "rollback"]), status: OperationStatusSchema, epoch: z.number().int() }).nullable()
      .meta({ description: "Its latest operation in this rollout" }),
  })),
}).meta({ id: "RolloutDetail" });

export const RolloutEventSchema = z.object({
  seq: z.number().int(),
  at: isoTime,
  type: z.string().meta({ example: "node-started" }),
  node: z.string().nullable(),
  detail: z.string(),
  data: z.unknown(),
}).meta({ id: "RolloutEvent" });

export const RolloutEventListSchema = z.object({
  events: z.array(RolloutEventSchema),
  next: z.number().int().meta({ description: "Pass as `after` to get the events that follow" }),
  status: RolloutStatusSchema.meta({ description: "The rollout's status now (aborted or succeeded: no more events will come)" }),
}).meta({ id: "RolloutEventList" });

export const RolloutEventsQuerySchema = z.object({
  after: queryInt(0, Number.MAX_SAFE_INTEGER).optional().meta({ description: "Only events with a greater seq" }),
  wait: queryInt(0, 60).optional().meta({ description: "Seconds to wait for an event when there is none yet (long-poll), at most 60" }),
});

export const OperationParamSchema = NodeRefParamSchema.extend({
  op: z.string().min(1).max(128).regex(ID, "must be an operation id").meta({ param: { name: "op", in: "path" }, example: "op_5f2c9a1e0b7d4c3a" }),
});

const STEPS = ["received", "preflight", "fetched", "activated", "health", "confirm-requested", "confirmed", "refused", "confirm-timeout", "committed", "rolled-back", "failed"] as const;

export const OperationEventRequestSchema = storable(z.object({
  epoch: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  step: z.enum(STEPS),
  ok: z.boolean(),
  at: z.iso.datetime({ offset: true }).meta({ format: "date-time" }),
  detail: z.string().max(8192).optional(),
  data: z.record(z.string(), z.unknown()).optional().meta({ description: "Figures: bytes to fetch, free space, health check results, a failed activation's subprocess result" }),
})).meta({ id: "OperationEventRequest" });

const OperationEventSchema = z.object({
  seq: z.number().int(),
  step: z.string(),
  ok: z.boolean(),
  at: isoTime,
  receivedAt: isoTime,
  detail: z.string().nullable(),
  data: z.unknown(),
}).meta({ id: "OperationEvent" });

export const OperationEventAnswerSchema = z.object({
  operation: z.string(),
  seq: z.number().int(),
  status: OperationStatusSchema,
}).meta({ id: "OperationEventAnswer" });

const CheckResultSchema = z.object({ name: z.string().max(256), ok: z.boolean(), detail: z.string().max(8192) });

export const ConfirmRequestSchema = storable(z.object({
  epoch: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  healthy: z.boolean(),
  checks: z.array(CheckResultSchema).max(64),
})).meta({ id: "ConfirmRequest" });

export const ConfirmQuerySchema = z.object({
  wait: queryInt(0, 60).optional().meta({ description: "Seconds to wait for the rollout's decision, at most 60; default 0" }),
});

export const ConfirmAnswerSchema = z.object({
  decision: z.enum(["confirmed", "refused", "pending"]),
  reason: z.string().nullable().optional(),
}).meta({ id: "ConfirmAnswer" });

export const OperationSchema = z.object({
  id: z.string(),
  node: z.string(),
  nodeId: z.string(),
  rollout: z.string().nullable(),
  kind: z.enum(["upgrade", "rollback"]),
  epoch: z.number().int(),
  target: z.string(),
  previous: z.string().nullable(),
  status: OperationStatusSchema,
  decision: z.enum(["confirmed", "refused"]).nullable(),
  decisionReason: z.string().nullable(),
  error: z.string().nullable(),
  healthy: z.boolean().nullable(),
  checks: z.array(CheckResultSchema).nullable(),
  withdrawn: z.boolean(),
  createdAt: isoTime,
  updatedAt: isoTime,
  events: z.array(OperationEventSchema).meta({ description: "The steps its agent reported, oldest first" }),
}).meta({ id: "Operation" });

export const NodeOperationsQuerySchema = z.object({
  before: queryInt(1, 2 ** 31 - 1).optional().meta({ description: "Only operations with a smaller epoch (paging)" }),
  limit: queryInt(1, 100).optional().meta({ description: "At most this many (default 20)" }),
});

export const OperationListSchema = z.object({
  operations: z.array(OperationSchema),
  next: z.number().int().nullable().meta({ description: "Pass as `before` for the next page; null at the end" }),
}).meta({ id: "OperationList" });

export const DriftListSchema = z.object({
  nodes: z.array(DriftSchema.extend({
    id: z.string(),
    name: z.string(),
    desiredSystem: z.string().nullable(),
    currentSystem: z.string().nullable(),
  })),
  counts: z.record(z.enum(["InSync", "Drifted", "RebootRequired", "Unknown"]), z.number().int()),
}).meta({ id: "DriftList" });

export type RolloutDetail = z.infer<typeof RolloutDetailSchema>;
export type RolloutSummary = z.infer<typeof RolloutSummarySchema>;
export type OperationDetail = z.infer<typeof OperationSchema>;
