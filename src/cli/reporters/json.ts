/**
 * Machine-readable report. Findings are copied field by field (never spread),
 * so nothing but the documented fields — and never a secret — is serialised.
 */
import type { Finding } from "../../guard/finding.js";
import { compareFindings, countSeverities, reportFails } from "../../guard/report.js";
import type { GuardReport, SeverityCounts } from "../../guard/report.js";

const JSON_REPORT_VERSION = 1;

export interface JsonReport {
  version: typeof JSON_REPORT_VERSION;
  tool: GuardReport["tool"];
  findings: Finding[];
  stats: GuardReport["stats"];
  summary: SeverityCounts & { failOn: GuardReport["failOn"]; failed: boolean };
}

function publicFinding(f: Finding): Finding {
  return {
    ruleId: f.ruleId,
    severity: f.severity,
    message: f.message,
    file: f.file,
    region: {
      start: { line: f.region.start.line, column: f.region.start.column },
      end: { line: f.region.end.line, column: f.region.end.column },
    },
    ...(f.attrPath !== undefined ? { attrPath: f.attrPath } : {}),
    ...(f.masked !== undefined ? { masked: f.masked } : {}),
    fingerprint: f.fingerprint,
  };
}

export function buildJsonReport(report: GuardReport): JsonReport {
  const { files, bytes, durationMs, suppressed, baselined } = report.stats;
  return {
    version: JSON_REPORT_VERSION,
    tool: { name: report.tool.name, version: report.tool.version },
    findings: [...report.findings].sort(compareFindings).map(publicFinding),
    stats: { files, bytes, durationMs, suppressed, baselined },
    summary: { ...countSeverities(report.findings), failOn: report.failOn, failed: reportFails(report) },
  };
}

export function renderJson(report: GuardReport): string {
  return `${JSON.stringify(buildJsonReport(report), null, 2)}\n`;
}
