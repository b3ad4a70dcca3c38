/**
 * SARIF 2.1.0 report (GitHub code scanning, IDE viewers).
 *
 * One run; every known rule is listed in `tool.driver.rules` so results can
 * point at them by index. Locations are relative to `%SRCROOT%`, which
 * `originalUriBaseIds` resolves to the scan root. No region snippets are
 * emitted: a snippet could carry a secret.
 */
import { pathToFileURL } from "node:url";
import type * as Sarif from "sarif";
import type { Finding, Severity } from "../../guard/finding.js";
import type { RuleMeta } from "../../guard/rule-meta.js";
import { compareFindings } from "../../guard/report.js";
import type { GuardReport } from "../../guard/report.js";

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const SARIF_INFORMATION_URI = "https://github.com/hostplane/hostplane";
const SRCROOT = "%SRCROOT%";
const FINGERPRINT_KEY = "hostplaneFingerprint/v1";

const SECURITY_SEVERITY: Record<Severity, string> = { error: "8.0", warning: "5.0", note: "2.0" };

/** `secret/aws-access-key` → `SecretAwsAccessKey`. */
export function pascalCaseRuleName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** A fence longer than any backtick run in the snippet, so the snippet cannot close it. */
function fence(snippet: string): string {
  let longest = 0;
  let run = 0;
  for (const ch of snippet) {
    run = ch === "`" ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return "`".repeat(Math.max(3, longest + 1));
}

function codeBlock(snippet: string): string {
  const f = fence(snippet);
  let end = snippet.length;
  while (end > 0 && snippet[end - 1] === "\n") end--;
  return `${f}nix\n${snippet.slice(0, end)}\n${f}`;
}

function ruleDescriptor(rule: RuleMeta): Sarif.ReportingDescriptor {
  return {
    id: rule.id,
    name: pascalCaseRuleName(rule.id),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.help },
    help: {
      text: `${rule.help}\n\nBad:\n${rule.bad}\n\nGood:\n${rule.good}`,
      markdown: `${rule.help}\n\n**Bad:**\n\n${codeBlock(rule.bad)}\n\n**Good:**\n\n${codeBlock(rule.good)}`,
    },
    defaultConfiguration: { level: rule.severity },
    properties: { tags: [rule.category, "security"], "security-severity": SECURITY_SEVERITY[rule.severity] },
  };
}

/** Relative path with forward slashes → URI reference (each segment percent-encoded). */
function relativeUri(file: string): string {
  return file
    .replace(/\\/g, "/")
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}

/** Absolute directory → `file:///…/` with a trailing slash, as SARIF requires for base URIs. */
function rootUri(root: string): string {
  const href = pathToFileURL(root).href;
  return href.endsWith("/") ? href : `${href}/`;
}

function positive(n: number): number {
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

function sarifRegion(finding: Finding): Sarif.Region {
  const startLine = positive(finding.region.start.line);
  const startColumn = positive(finding.region.start.column);
  const endLine = Math.max(positive(finding.region.end.line), startLine);
  const endColumn = endLine === startLine ? Math.max(positive(finding.region.end.column), startColumn) : positive(finding.region.end.column);
  return { startLine, startColumn, endLine, endColumn };
}

function result(finding: Finding, ruleIndex: ReadonlyMap<string, number>): Sarif.Result {
  const index = ruleIndex.get(finding.ruleId);
  return {
    ruleId: finding.ruleId,
    ...(index !== undefined ? { ruleIndex: index } : {}),
    level: finding.severity,
    message: { text: finding.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: relativeUri(finding.file), uriBaseId: SRCROOT },
          region: sarifRegion(finding),
        },
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    ...(finding.attrPath !== undefined ? { properties: { attrPath: finding.attrPath } } : {}),
  };
}

export function buildSarifLog(report: GuardReport): Sarif.Log {
  const unique = new Map<string, RuleMeta>();
  for (const rule of report.rules) if (!unique.has(rule.id)) unique.set(rule.id, rule);
  const rules = [...unique.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ruleIndex = new Map(rules.map((rule, i) => [rule.id, i] as const));
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            informationUri: SARIF_INFORMATION_URI,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            rules: rules.map(ruleDescriptor),
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: rootUri(report.root) } },
        columnKind: "utf16CodeUnits",
        results: [...report.findings].sort(compareFindings).map((f) => result(f, ruleIndex)),
      },
    ],
  };
}

export function renderSarif(report: GuardReport): string {
  return `${JSON.stringify(buildSarifLog(report), null, 2)}\n`;
}
