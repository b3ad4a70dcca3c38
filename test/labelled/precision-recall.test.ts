/**
 * Precision and recall of `hostplane guard` on the labelled corpus
 * (test/corpus): every case is linted with the default configuration (or the
 * case's own) at a fixed "now", findings are matched to expectations by rule
 * (or category) and line, and the result is tabulated per category.
 *
 * Scoring:
 *  - a finding that matches a required expectation is a true positive;
 *  - a required expectation nothing matches is a false negative;
 *  - a finding that matches only an optional expectation, or repeats a rule of
 *    the same category on a line that is already expected to be flagged, is
 *    redundant: neither true nor false positive;
 *  - every other finding is a false positive (in a negative case, all are).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Finding } from "../../src/guard/finding.js";
import { defaultGuardConfig, parseGuardConfig } from "../../src/guard/config.js";
import { lintFile } from "../../src/guard/lint.js";
import { ALL_RULES } from "../../src/guard/rules.js";
import {
  ALL_CASES, NEGATIVE_CASES, NOW_SECONDS, POSITIVE_CASES, categoryOf, expectationLabel,
  type Expectation, type LabelledCase,
} from "../corpus/index.js";

const CATEGORIES = ["secret", "store-leak", "pinning", "cache-trust", "guard"] as const;
const MIN_PRECISION = 0.9;
const MIN_RECALL = 0.9;

interface CaseResult {
  c: LabelledCase;
  findings: Finding[];
  error?: string;
  tp: Array<{ e: Expectation; f: Finding }>;
  fn: Expectation[];
  fp: Finding[];
  redundant: Finding[];
}

function lint(c: LabelledCase): Finding[] {
  const config = c.config !== undefined ? parseGuardConfig(c.config, `${c.name} (config)`, NOW_SECONDS) : defaultGuardConfig(NOW_SECONDS);
  const input = { file: c.file, text: c.text, ...(c.siblingLock !== undefined ? { siblingLock: c.siblingLock } : {}) };
  return lintFile(input, { policy: config.policy, severities: config.severities, disabled: config.disabled }).findings;
}

function touches(e: Expectation, f: Finding): boolean {
  const lo = e.line;
  const hi = e.endLine ?? e.line;
  return f.region.start.line <= hi && f.region.end.line >= lo;
}

function sameRule(e: Expectation, f: Finding): boolean {
  return e.ruleId !== undefined ? e.ruleId === f.ruleId : e.category === categoryOf(f.ruleId);
}

function score(c: LabelledCase): CaseResult {
  const r: CaseResult = { c, findings: [], tp: [], fn: [], fp: [], redundant: [] };
  try {
    r.findings = lint(c);
  } catch (err) {
    r.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  const used = new Set<Finding>();
  // Exact rule ids first, so a category-level expectation does not take a finding a specific one needs.
  const required = c.expect.filter((e) => !e.optional).sort((a, b) => Number(a.ruleId === undefined) - Number(b.ruleId === undefined));
  for (const e of required) {
    const f = r.findings.find((x) => !used.has(x) && sameRule(e, x) && touches(e, x));
    if (f) {
      used.add(f);
      r.tp.push({ e, f });
    } else r.fn.push(e);
  }
  for (const f of r.findings) {
    if (used.has(f)) continue;
    const excused = c.expect.some((e) => (sameRule(e, f) || categoryOf(e.ruleId ?? e.category!) === categoryOf(f.ruleId)) && touches(e, f));
    (excused ? r.redundant : r.fp).push(f);
  }
  return r;
}

const results = ALL_CASES.map(score);

function describeFinding(f: Finding): string {
  const where = f.region.start.line === f.region.end.line ? `${f.region.start.line}` : `${f.region.start.line}-${f.region.end.line}`;
  return `${f.ruleId}@${where}${f.attrPath ? ` [${f.attrPath}]` : ""}`;
}

function lineOf(c: LabelledCase, n: number): string {
  return (c.text.split("\n")[n - 1] ?? "").trim().slice(0, 110);
}

// ---------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------

interface Tally { tp: number; fp: number; fn: number }

function tallies(): Map<string, Tally> {
  const t = new Map<string, Tally>([...CATEGORIES, "overall"].map((k) => [k, { tp: 0, fp: 0, fn: 0 }]));
  const bump = (cat: string, key: keyof Tally): void => {
    for (const k of [cat, "overall"]) {
      if (!t.has(k)) t.set(k, { tp: 0, fp: 0, fn: 0 });
      t.get(k)![key]++;
    }
  };
  for (const r of results) {
    for (const { f } of r.tp) bump(categoryOf(f.ruleId), "tp");
    for (const f of r.fp) bump(categoryOf(f.ruleId), "fp");
    for (const e of r.fn) bump(categoryOf(e.ruleId ?? e.category!), "fn");
  }
  return t;
}

const ratio = (num: number, den: number): number => (den === 0 ? 1 : num / den);
const TALLY = tallies();
const OVERALL = TALLY.get("overall")!;
const PRECISION = ratio(OVERALL.tp, OVERALL.tp + OVERALL.fp);
const RECALL = ratio(OVERALL.tp, OVERALL.tp + OVERALL.fn);

function report(): string {
  const out: string[] = [];
  out.push(`labelled corpus: ${ALL_CASES.length} cases (${POSITIVE_CASES.length} positive, ${NEGATIVE_CASES.length} negative), now=${new Date(NOW_SECONDS * 1000).toISOString()}`);
  out.push("");
  out.push("category      TP   FP   FN  precision  recall");
  for (const [k, v] of TALLY) {
    const p = ratio(v.tp, v.tp + v.fp);
    const r = ratio(v.tp, v.tp + v.fn);
    out.push(`${k.padEnd(12)} ${String(v.tp).padStart(3)}  ${String(v.fp).padStart(3)}  ${String(v.fn).padStart(3)}  ${p.toFixed(3).padStart(9)}  ${r.toFixed(3).padStart(6)}`);
  }
  const failing = results.filter((r) => r.error !== undefined || r.fn.length > 0 || r.fp.length > 0);
  if (failing.length) {
    out.push("");
    out.push(`${failing.length} case(s) with misses or false alarms:`);
    for (const r of failing) {
      out.push(`- ${r.c.name} (${r.c.file})`);
      if (r.error !== undefined) out.push(`    ERROR ${r.error}`);
      for (const e of r.fn) out.push(`    FN ${expectationLabel(e)}: ${lineOf(r.c, e.line)}`);
      for (const f of r.fp) out.push(`    FP ${describeFinding(f)}: ${lineOf(r.c, f.region.start.line)}`);
      const got = r.findings.map(describeFinding).join(", ") || "(none)";
      out.push(`    expected: ${r.c.expect.map(expectationLabel).join(", ") || "(none)"}`);
      out.push(`    actual:   ${got}`);
    }
  }
  const redundant = results.flatMap((r) => r.redundant.map((f) => `${r.c.name}: ${describeFinding(f)}`));
  if (redundant.length) {
    out.push("");
    out.push(`${redundant.length} redundant finding(s) (not scored): ${redundant.join("; ")}`);
  }
  return out.join("\n");
}

console.log(report());

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

test("corpus is well-formed and covers every rule", () => {
  assert.ok(ALL_CASES.length >= 120, `only ${ALL_CASES.length} cases`);
  assert.ok(NEGATIVE_CASES.length >= 40, `only ${NEGATIVE_CASES.length} negative cases`);
  const names = new Set<string>();
  for (const c of ALL_CASES) {
    assert.ok(!names.has(c.name), `duplicate case name ${c.name}`);
    names.add(c.name);
    assert.ok(!c.text.includes("«") && !c.text.includes("»"), `${c.name}: marker left in text`);
    const lines = c.text.split("\n").length;
    for (const e of c.expect) {
      assert.ok((e.ruleId === undefined) !== (e.category === undefined), `${c.name}: expectation needs ruleId xor category`);
      assert.ok(e.line >= 1 && e.line <= lines && (e.endLine ?? e.line) >= e.line, `${c.name}: bad line in ${expectationLabel(e)}`);
      if (e.ruleId !== undefined) assert.ok(ALL_RULES.some((r) => r.id === e.ruleId), `${c.name}: unknown rule ${e.ruleId}`);
    }
  }
  for (const c of POSITIVE_CASES) assert.ok(c.expect.some((e) => !e.optional), `positive case ${c.name} expects nothing`);
  for (const c of NEGATIVE_CASES) assert.equal(c.expect.length, 0, `negative case ${c.name} has expectations`);
  const covered = new Set(POSITIVE_CASES.flatMap((c) => c.expect.filter((e) => !e.optional).map((e) => e.ruleId)));
  const missing = ALL_RULES.map((r) => r.id).filter((id) => !covered.has(id));
  assert.deepEqual(missing, [], `rules without a positive case: ${missing.join(", ")}`);
});

test("no case makes the linter throw", () => {
  const errors = results.filter((r) => r.error !== undefined).map((r) => `${r.c.name}: ${r.error}`);
  assert.deepEqual(errors, []);
});

test("no findings on any negative case", () => {
  const negatives = new Set(NEGATIVE_CASES);
  const fps = results
    .filter((r) => negatives.has(r.c) && r.findings.length > 0)
    .flatMap((r) => r.findings.map((f) => `${r.c.name} (${r.c.file}): ${describeFinding(f)}: ${lineOf(r.c, f.region.start.line)}`));
  assert.deepEqual(fps, [], `false positives on negative cases:\n  ${fps.join("\n  ")}`);
});

for (const r of results.filter((x) => NEGATIVE_CASES.includes(x.c))) {
  test(`negative: ${r.c.name}`, () => {
    assert.equal(r.error, undefined);
    const got = r.findings.map((f) => `${describeFinding(f)}: ${lineOf(r.c, f.region.start.line)}`);
    assert.deepEqual(got, [], `${r.c.file} must not be flagged`);
  });
}

test(`overall precision >= ${MIN_PRECISION} and recall >= ${MIN_RECALL}`, () => {
  const msg = `precision ${PRECISION.toFixed(3)} (TP ${OVERALL.tp}, FP ${OVERALL.fp}), recall ${RECALL.toFixed(3)} (FN ${OVERALL.fn})`;
  assert.ok(PRECISION >= MIN_PRECISION, msg);
  assert.ok(RECALL >= MIN_RECALL, msg);
});
