/**
 * Baseline files: accepted, pre-existing findings that CI should not fail on.
 *
 * The file stores only fingerprint, rule and file for each finding — no
 * secret, no masked value, no line numbers — so it is safe to commit and it
 * survives edits that shift code. Entries are sorted for stable diffs.
 */
import type { Finding } from "./finding.js";

export const BASELINE_VERSION = 1;
export const BASELINE_TOOL = "hostplane-guard";

export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  file: string;
}

export interface Baseline {
  version: typeof BASELINE_VERSION;
  tool: typeof BASELINE_TOOL;
  findings: BaselineEntry[];
}

/** A baseline file that cannot be used; the message names the file and the problem. */
export class BaselineError extends Error {
  override readonly name = "BaselineError";
  readonly sourceName: string;

  constructor(sourceName: string, problem: string, options?: ErrorOptions) {
    super(`invalid baseline ${sourceName}: ${problem}`, options);
    this.sourceName = sourceName;
  }
}

function compareEntries(a: BaselineEntry, b: BaselineEntry): number {
  return cmp(a.file, b.file) || cmp(a.ruleId, b.ruleId) || cmp(a.fingerprint, b.fingerprint);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Serialises findings as a baseline file (pretty JSON, sorted, trailing newline). */
export function createBaseline(findings: readonly Finding[]): string {
  const entries = findings
    .map((f): BaselineEntry => ({ fingerprint: f.fingerprint, ruleId: f.ruleId, file: f.file }))
    .sort(compareEntries);
  const baseline: Baseline = { version: BASELINE_VERSION, tool: BASELINE_TOOL, findings: entries };
  return `${JSON.stringify(baseline, null, 2)}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Short description of a JSON value for error messages (never dumps large values). */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  return "an object";
}

/** Parses and validates a baseline file. Throws `BaselineError` when it is malformed. */
export function parseBaseline(text: string, sourceName: string): Baseline {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new BaselineError(sourceName, `not valid JSON (${detail})`, { cause: error });
  }
  if (!isRecord(data)) {
    throw new BaselineError(sourceName, `expected a JSON object at the top level, got ${describe(data)}`);
  }
  if (data["tool"] !== BASELINE_TOOL) {
    throw new BaselineError(
      sourceName,
      `"tool" must be "${BASELINE_TOOL}", got ${describe(data["tool"])} (is this a hostplane guard baseline?)`,
    );
  }
  if (data["version"] !== BASELINE_VERSION) {
    throw new BaselineError(
      sourceName,
      `unsupported "version": got ${describe(data["version"])}, this hostplane reads version ${BASELINE_VERSION}`,
    );
  }
  const raw = data["findings"];
  if (!Array.isArray(raw)) {
    throw new BaselineError(sourceName, `"findings" must be an array, got ${describe(raw)}`);
  }
  const findings = raw.map((item: unknown, index): BaselineEntry => {
    if (!isRecord(item)) {
      throw new BaselineError(sourceName, `findings[${index}] must be an object, got ${describe(item)}`);
    }
    const field = (key: keyof BaselineEntry): string => {
      const value = item[key];
      if (typeof value !== "string" || value === "") {
        throw new BaselineError(
          sourceName,
          `findings[${index}].${key} must be a non-empty string, got ${describe(value)}`,
        );
      }
      return value;
    };
    return { fingerprint: field("fingerprint"), ruleId: field("ruleId"), file: field("file") };
  });
  return { version: BASELINE_VERSION, tool: BASELINE_TOOL, findings };
}

export interface BaselineResult {
  /** Findings the baseline does not cover, in input order. */
  fresh: Finding[];
  /** How many findings the baseline absorbed. */
  baselined: number;
  /** Baseline entries no finding matched (fixed since; the baseline can be pruned). */
  stale: number;
}

/**
 * Removes baselined findings. Multiset semantics: a fingerprint listed n times
 * absorbs at most n findings with that fingerprint.
 */
export function applyBaseline(findings: readonly Finding[], baseline: Baseline): BaselineResult {
  const budget = new Map<string, number>();
  for (const entry of baseline.findings) budget.set(entry.fingerprint, (budget.get(entry.fingerprint) ?? 0) + 1);
  const fresh: Finding[] = [];
  let baselined = 0;
  for (const finding of findings) {
    const left = budget.get(finding.fingerprint) ?? 0;
    if (left > 0) {
      budget.set(finding.fingerprint, left - 1);
      baselined += 1;
    } else {
      fresh.push(finding);
    }
  }
  return { fresh, baselined, stale: baseline.findings.length - baselined };
}
