/**
 * The step each unfinished or failed operation of a rollout last reported:
 * the rollout's detail names operations, not their steps, so these are read
 * one by one, a few at a time, and only for the operations worth a look
 * (not the succeeded ones: at most `max`).
 */
import type { ApiClient } from "../../server/api-client.js";
import type { RolloutDetail } from "../../server/rollout-schemas.js";
import type { StepsByOperation } from "./render.js";

export async function operationSteps(api: ApiClient, r: RolloutDetail, max = 50): Promise<StepsByOperation> {
  const wanted = r.nodes.filter((n) => n.operation !== null && n.operation.status !== "succeeded").slice(0, max);
  const steps = new Map<string, { step: string; ok: boolean; at: string }>();
  const queue = [...wanted];
  const worker = async () => {
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
      const op = await api.getOperation(n.name, n.operation!.id);
      const last = op.events.at(-1);
      if (last !== undefined) steps.set(op.id, { step: last.step, ok: last.ok, at: last.at });
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
  return steps;
}
