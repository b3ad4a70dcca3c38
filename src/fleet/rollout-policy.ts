/**
 * How a rollout goes: canaries first, then cumulative waves, how many nodes
 * of a wave may be under operation at once, how many may fail before the
 * rollout aborts, how long each wave bakes, when nodes are drained first, and
 * the maintenance windows new operations may start in. Schema with defaults,
 * plus the pure helpers the planner uses (quantities, windows).
 */
import { z } from "zod";

/** A count (`3`) or a share of a set (`"25%"`). */
const QuantitySchema = z.union([z.number().int().min(0), z.string().regex(/^(100|[1-9]?\d)%$/, "a percentage from 0% to 100%")]);
export type Quantity = z.infer<typeof QuantitySchema>;

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 24-hour, UTC");

const WindowSchema = z.strictObject({
  days: z.array(z.enum(DAYS)).min(1).optional().meta({ description: "Days the window opens on (UTC; default every day)" }),
  start: HHMM,
  end: HHMM.meta({ description: "Exclusive; before `start` means the window runs past midnight" }),
});
export type MaintenanceWindow = z.infer<typeof WindowSchema>;

/** On the waves field itself, so its problems are reported together with every other field's. */
function checkWaves(waves: string[], ctx: z.RefinementCtx): void {
  if (waves.at(-1) !== "100%") ctx.addIssue({ code: "custom", path: [waves.length - 1], message: `the last wave must be "100%" so every node is upgraded; got ${JSON.stringify(waves.at(-1))}` });
  let last = -1;
  for (const [i, w] of waves.entries()) {
    if (!w.endsWith("%")) continue;
    const pct = Number(w.slice(0, -1));
    if (pct <= last) ctx.addIssue({ code: "custom", path: [i], message: `waves are cumulative and must grow: ${w} after ${last}%` });
    last = pct;
  }
}

const seconds = (description: string) => z.number().int().min(0).max(30 * 86_400).meta({ description });

export const RolloutPolicySchema = z.strictObject({
  canary: z.strictObject({
    labels: z.record(z.string(), z.string()).optional().meta({ description: "Canaries are the nodes carrying all these labels (e.g. {\"canary\": \"true\"})" }),
    count: z.number().int().min(0).max(10_000).default(1).meta({ description: "At most this many canaries (without labels: the first Ready nodes by name)" }),
    bakeSeconds: seconds("How long the canaries bake (default: bakeSeconds)").optional(),
  }).default({ count: 1 }),
  waves: z.array(z.string().regex(/^((100|[1-9]?\d)%|\d{1,6})$/, "a percentage (\"10%\") or a node count (\"5\")")).min(1).superRefine(checkWaves).default(["10%", "50%", "100%"])
    .meta({ description: "After the canaries: cumulative share (or count) of the rollout's nodes upgraded by the end of each wave; the last must be 100%" }),
  maxUnavailable: QuantitySchema.default("25%").meta({ description: "Nodes of a wave under operation at once (at least 1)" }),
  failureBudget: QuantitySchema.default(0).meta({ description: "Failed nodes a wave tolerates; one more aborts the rollout" }),
  bakeSeconds: seconds("After a wave succeeded: how long its nodes must stay healthy before the next wave").default(300),
  drain: z.enum(["always", "never", "kernel-or-runtime"]).default("kernel-or-runtime")
    .meta({ description: "Drain a node's microVMs before its upgrade: always, never, or when the kernel or microVM runtime changes (or is not known)" }),
  drainDeadlineSeconds: seconds("Deadline of those drains; a drain that misses it fails the node").default(3600),
  maintenanceWindows: z.array(WindowSchema).default([]).meta({ description: "New operations start only inside one of these (none: any time)" }),
  confirmTimeoutSeconds: seconds("The agent rolls back by itself when the server has not confirmed within this").default(60),
  healthTimeoutSeconds: seconds("How long the agent waits for the health checks to pass after activation").default(120),
  operationTimeoutSeconds: seconds("An operation not finished by then counts as failed").default(1800),
  rollbackOnAbort: z.boolean().default(true).meta({ description: "On abort, nodes this rollout changed go back to their previous generation" }),
}).meta({ id: "RolloutPolicy" });

export type RolloutPolicy = z.infer<typeof RolloutPolicySchema>;
export type RolloutPolicyInput = z.input<typeof RolloutPolicySchema>;

/** `q` of a set of `total`: a count as is (capped), a percentage rounded up. */
export function resolveQuantity(q: Quantity, total: number): number {
  if (typeof q === "number") return Math.min(q, total);
  return Math.ceil((Number(q.slice(0, -1)) / 100) * total);
}

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** Is `now` (ms since the epoch) inside one of `windows`? No windows: always. */
export function inMaintenanceWindow(windows: readonly MaintenanceWindow[], now: number): boolean {
  if (windows.length === 0) return true;
  const d = new Date(now);
  const minute = d.getUTCHours() * 60 + d.getUTCMinutes();
  const today = DAYS[d.getUTCDay()]!;
  const yesterday = DAYS[(d.getUTCDay() + 6) % 7]!;
  return windows.some((w) => {
    const start = minutes(w.start);
    const end = minutes(w.end);
    const opensOn = (day: (typeof DAYS)[number]) => w.days === undefined || w.days.includes(day);
    if (start < end) return opensOn(today) && minute >= start && minute < end;
    if (start === end) return opensOn(today); // a whole day
    // Past midnight: the evening part belongs to today's window, the morning part to yesterday's.
    return (minute >= start && opensOn(today)) || (minute < end && opensOn(yesterday));
  });
}
