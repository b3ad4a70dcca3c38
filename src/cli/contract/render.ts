/** Human text for contract reports and the check list. */
import type { CheckDef, CheckStatus, ContractReport } from "../../contract/index.js";

const COLORS: Record<CheckStatus, string> = { pass: "\x1b[32m", warn: "\x1b[33m", fail: "\x1b[31m", skip: "\x1b[2m" };
const RESET = "\x1b[0m";

export function renderReport(report: ContractReport, options: { color: boolean; durationMs?: number }): string {
  const width = Math.max(...report.results.map((r) => r.id.length), 10);
  const paint = (status: CheckStatus, text: string): string => (options.color ? `${COLORS[status]}${text}${RESET}` : text);
  const lines = [`host contract (${report.profile}) on ${report.hostname}, facts of ${report.gatheredAt}`];
  for (const r of report.results) {
    lines.push(`  ${paint(r.status, r.status.toUpperCase().padEnd(4))}  ${r.id.padEnd(width)}  ${r.seen}`);
    if (r.status === "pass" || r.status === "skip") continue;
    const indent = " ".repeat(8 + width);
    if (r.hint) lines.push(`${indent}→ ${r.hint}`);
    if (r.nixos && r.nixos.length > 0) lines.push(`${indent}  NixOS: ${r.nixos.join(", ")}  (${r.docs})`);
  }
  const s = report.summary;
  const took = options.durationMs === undefined ? "" : ` in ${(options.durationMs / 1000).toFixed(2)} s`;
  const ignored = report.ignored.length > 0 ? `, ${report.ignored.length} ignored` : "";
  for (const note of report.notes) lines.push("", `note: ${note}`);
  lines.push("", `${report.results.length} checks: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip${ignored} (gathered${took})`);
  lines.push(report.ok ? "The host honours the contract." : `The host does not honour the contract: ${s.fail} check${s.fail === 1 ? "" : "s"} failed.`);
  return lines.join("\n") + "\n";
}

export function renderChecksList(checks: readonly CheckDef[]): string {
  const width = Math.max(...checks.map((c) => c.id.length));
  const lines = checks.map((c) => `${c.id.padEnd(width)}  ${c.severity.padEnd(4)}  ${c.title}${c.nixos.length ? `  [${c.nixos.join(", ")}]` : ""}`);
  return lines.join("\n") + "\n";
}
