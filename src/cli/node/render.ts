/** Nodes for people: the `node list` table and the `node show` page. */
import type { NodeDetail, NodeSummary } from "../../server/schemas.js";
import { table } from "../server/table.js";

/** 42 s, 5 m, 3 h, 2 d. */
export function age(seconds: number | null): string {
  if (seconds === null) return "never";
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

function contract(c: NodeSummary["contract"]): string {
  if (c === null) return "unknown";
  return c.ok ? "pass" : `FAIL (${c.failing.slice(0, 3).join(", ")}${c.failing.length > 3 ? `, +${c.failing.length - 3}` : ""})`;
}

export function renderNodeList(nodes: NodeSummary[]): string {
  if (nodes.length === 0) return "no nodes enrolled (hostplane token bootstrap makes an enrollment token)\n";
  return table(
    ["NAME", "STATE", "CONDITIONS", "CONTRACT", "GENERATION", "LAST HEARTBEAT", "DRIFT"],
    nodes.map((n) => [n.name, n.state, n.conditions.join(",") || "-", contract(n.contract), n.generation === null ? "-" : String(n.generation), age(n.heartbeatAgeSeconds), n.drift.status]),
  );
}

export function renderNode(n: NodeDetail): string {
  const lines: [string, string][] = [
    ["name", n.name],
    ["id", n.id],
    ["state", n.state],
    ["conditions", n.conditions.join(", ") || "none"],
    ["role", n.role],
    ["labels", Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(", ") || "none"],
    ["contract", n.contract === null ? "unknown" : n.contract.ok ? `pass (evaluated ${n.contract.evaluatedAt})` : `FAIL: ${n.contract.failing.join(", ")} (evaluated ${n.contract.evaluatedAt})`],
    ["generation", n.generation === null ? "-" : String(n.generation)],
    ["current system", n.currentSystem ?? "-"],
    ["drift", n.drift.status + (n.drift.reason ? ` (${n.drift.reason})` : "")],
    ["last heartbeat", n.lastHeartbeatAt === null ? "never" : `${n.lastHeartbeatAt} (${age(n.heartbeatAgeSeconds)} ago)`],
    ["enrolled", n.enrolledAt],
    ["version", String(n.version)],
  ];
  if (n.facts) {
    lines.push(["hostname", n.facts.hostname], ["kernel", n.facts.kernel], ["agent", n.facts.agentVersion]);
    lines.push(["workloads", n.facts.workloads.length === 0 ? "none" : n.facts.workloads.map((w) => `${w.id} (${w.state})`).join(", ")]);
  }
  if (n.drain) lines.push(["drain", `started ${n.drain.startedAt}, deadline ${n.drain.deadline}${n.drain.force ? ", force" : ""}`]);
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${(k + ":").padEnd(width + 1)} ${v}`).join("\n") + "\n";
}
