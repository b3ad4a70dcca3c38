/** The complete result of one `hostplane guard` run, as handed to the reporters. */
import { SEVERITY_RANK } from "./finding.js";
import type { Finding, Severity } from "./finding.js";
import type { RuleMeta } from "./rule-meta.js";

export interface GuardReport {
  tool: { name: "hostplane"; version: string };
  /** Absolute scan root. */
  root: string;
  /** Findings left after suppression and baseline. */
  findings: Finding[];
  /** Every known rule. */
  rules: RuleMeta[];
  stats: { files: number; bytes: number; durationMs: number; suppressed: number; baselined: number };
  /** File (relative, as in `Finding.file`) → text, for code frames; entries may be missing. */
  sources: Map<string, string>;
  /** Lowest severity that fails the run. */
  failOn: Severity;
}

export interface SeverityCounts {
  errors: number;
  warnings: number;
  notes: number;
}

export function countSeverities(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { errors: 0, warnings: 0, notes: 0 };
  for (const f of findings) {
    switch (f.severity) {
      case "error":
        counts.errors += 1;
        break;
      case "warning":
        counts.warnings += 1;
        break;
      case "note":
        counts.notes += 1;
        break;
    }
  }
  return counts;
}

/** Whether any finding is at or above the `failOn` severity. */
export function reportFails(report: Pick<GuardReport, "findings" | "failOn">): boolean {
  const threshold = SEVERITY_RANK[report.failOn];
  return report.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold);
}

/** Stable order: file, line, column, rule id. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    cmp(a.file, b.file) ||
    a.region.start.line - b.region.start.line ||
    a.region.start.column - b.region.start.column ||
    cmp(a.ruleId, b.ruleId) ||
    cmp(a.fingerprint, b.fingerprint)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
