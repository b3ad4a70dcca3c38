/** `node history` for people: a node's operations, newest first, each with the steps its agent reported. */
import type { OperationDetail } from "../../server/rollout-schemas.js";

export function renderHistory(node: string, ops: readonly OperationDetail[]): string {
  if (ops.length === 0) return `node ${node} has had no operations (a rollout gives it one)\n`;
  const lines: string[] = [];
  for (const op of ops) {
    lines.push(`${op.createdAt}  ${op.kind} ${op.id} (epoch ${op.epoch}${op.rollout === null ? "" : `, rollout ${op.rollout}`}): ${op.status}${op.withdrawn ? " (withdrawn)" : ""}`);
    lines.push(`  target:   ${op.target}`);
    if (op.previous !== null) lines.push(`  previous: ${op.previous}`);
    if (op.decision !== null) lines.push(`  decision: ${op.decision}${op.decisionReason === null ? "" : ` (${op.decisionReason})`}`);
    for (const c of op.checks ?? []) lines.push(`  check:    ${c.name} ${c.ok ? "ok" : "FAILED"}${c.detail ? `: ${c.detail}` : ""}`);
    for (const e of op.events) lines.push(`  ${e.at}  ${e.step}${e.ok ? "" : " (failed)"}${e.detail === null ? "" : `: ${e.detail}`}`);
    if (op.events.length === 0) lines.push("  (no step reported yet)");
    if (op.error !== null) lines.push(`  error:    ${op.error}`);
    lines.push("");
  }
  return lines.join("\n");
}
