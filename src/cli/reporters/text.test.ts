import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Finding } from "../../guard/finding.js";
import type { GuardReport } from "../../guard/report.js";
import { renderReport } from "./index.js";
import { buildCodeFrame, FRAME_WIDTH } from "./text.js";

/** Fake credentials, assembled at runtime so no scanner sees a literal. */
const FAKE_KEY = ["AK", "IA", "Q3EGRIPL", "5ZNMX7YT"].join("");
const FAKE_TOKEN = ["gh", "p_", "Zx9Qw7Er5Ty3Ui1Op0As2Df4", "Gh6Jk8Lz0Xc"].join("");

// eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

function finding(partial: Partial<Finding> & Pick<Finding, "ruleId" | "region">): Finding {
  return {
    severity: "error",
    message: `${partial.ruleId} found`,
    file: "hosts/web.nix",
    fingerprint: "0".repeat(32),
    ...partial,
  };
}

/** Region of `needle` on a 1-based line of `text` (end exclusive). */
function regionOf(text: string, needle: string): Finding["region"] {
  const lines = text.split("\n");
  const index = lines.findIndex((l) => l.includes(needle));
  assert.ok(index >= 0, `needle not found`);
  const column = lines[index]!.indexOf(needle) + 1;
  return { start: { line: index + 1, column }, end: { line: index + 1, column: column + needle.length } };
}

function makeReport(findings: Finding[], sources: Record<string, string>, overrides: Partial<GuardReport> = {}): GuardReport {
  return {
    tool: { name: "hostplane", version: "0.1.0" },
    root: "/repo",
    findings,
    rules: [],
    stats: { files: 42, bytes: 1000, durationMs: 5, suppressed: 1, baselined: 0 },
    sources: new Map(Object.entries(sources)),
    failOn: "error",
    ...overrides,
  };
}

/** Column (0-based) of the frame text start, and of the first caret. */
function caretAlignment(out: string, frameNeedle: string): { textStart: number; caret: number; carets: number; frame: string } {
  const lines = out.split("\n");
  const frameIdx = lines.findIndex((l) => / \| /.test(l) && l.includes(frameNeedle));
  assert.ok(frameIdx >= 0, `frame with ${frameNeedle} not in:\n${out}`);
  const frame = lines[frameIdx]!;
  const caretLine = lines[frameIdx + 1]!;
  return {
    textStart: frame.indexOf(" | ") + 3,
    caret: caretLine.indexOf("^"),
    carets: caretLine.length - caretLine.indexOf("^"),
    frame,
  };
}

void describe("text reporter", () => {
  const source = `{\n  services.foo = {\n    awsKey = "${FAKE_KEY}"; token = "${FAKE_TOKEN}";\n  };\n  src = fetchTarball url;\n}\n`;
  const keyRegion = regionOf(source, FAKE_KEY);
  const tokenRegion = regionOf(source, FAKE_TOKEN);
  const secretFinding = finding({ ruleId: "secret/aws-access-key", region: keyRegion, masked: "AKIA…(20)" });
  const tokenFinding = finding({ ruleId: "secret/github-token", region: tokenRegion, masked: "ghp_…(40)" });
  const wholeLine = finding({
    ruleId: "store-leak/plain-option",
    severity: "warning",
    region: { start: { line: 3, column: 5 }, end: { line: 3, column: 5 + `awsKey = "${FAKE_KEY}";`.length } },
  });
  const fetch = finding({ ruleId: "pinning/unpinned-fetch", severity: "warning", region: regionOf(source, "fetchTarball url") });

  void it("never prints a secret, in any frame, with or without color", () => {
    const report = makeReport([secretFinding, tokenFinding, wholeLine, fetch], { "hosts/web.nix": source });
    for (const color of [false, true]) {
      const out = renderReport("text", report, { color });
      assert.ok(!out.includes(FAKE_KEY), out);
      assert.ok(!out.includes(FAKE_TOKEN), out);
      assert.ok(!out.includes(FAKE_KEY.slice(4, 14)));
      assert.ok(!out.includes(FAKE_TOKEN.slice(4, 14)));
      assert.ok(out.includes("AKIA…(20)"));
      assert.ok(out.includes("ghp_…(40)"));
    }
  });

  void it("puts the carets under the region, also after masking", () => {
    const out = renderReport("text", makeReport([fetch, secretFinding, wholeLine], { "hosts/web.nix": source }), { color: false });
    const f = caretAlignment(out, "fetchTarball");
    assert.equal(f.caret - f.textStart, fetch.region.start.column - 1);
    assert.equal(f.carets, "fetchTarball url".length);

    // The masked secret: carets span exactly the masked form.
    const lines = out.split("\n");
    const secretRow = lines.findIndex((l) => l.includes("secret/aws-access-key"));
    const frame = lines[secretRow + 1]!;
    const caretLine = lines[secretRow + 2]!;
    const textStart = frame.indexOf(" | ") + 3;
    const maskedAt = frame.indexOf("AKIA…(20)");
    assert.equal(caretLine.indexOf("^"), maskedAt);
    assert.equal(caretLine.length - caretLine.indexOf("^"), "AKIA…(20)".length);
    assert.equal(maskedAt - textStart, keyRegion.start.column - 1);

    // The wider finding on the same line: its carets cover the masked text of the other finding.
    const wideRow = lines.findIndex((l) => l.includes("store-leak/plain-option"));
    const wideFrame = lines[wideRow + 1]!;
    const wideCarets = lines[wideRow + 2]!;
    assert.equal(wideCarets.indexOf("^"), wideFrame.indexOf("awsKey"));
    assert.equal(wideCarets.length - wideCarets.indexOf("^"), `awsKey = "AKIA…(20)";`.length);
    assert.ok(!wideFrame.includes(FAKE_KEY));
  });

  void it("redacts secret/* regions without a masked form", () => {
    const bare = finding({ ruleId: "secret/aws-access-key", region: keyRegion });
    const out = renderReport("text", makeReport([bare], { "hosts/web.nix": source }), { color: false });
    assert.ok(!out.includes(FAKE_KEY));
    assert.ok(out.includes("[redacted]"));
  });

  void it("masks a secret region that starts on an earlier line", () => {
    const text = `x = ''\n  ${FAKE_TOKEN}\n'';\ny = 1;\n`;
    const multi = finding({
      ruleId: "secret/github-token",
      region: { start: { line: 1, column: 5 }, end: { line: 3, column: 3 } },
      masked: "ghp_…(40)",
    });
    const onLine2 = finding({ ruleId: "pinning/other", severity: "note", region: regionOf(text, FAKE_TOKEN) });
    const out = renderReport("text", makeReport([multi, onLine2], { "hosts/web.nix": text }), { color: false });
    assert.ok(!out.includes(FAKE_TOKEN), out);
  });

  void it("clips very long lines around the region and keeps carets aligned", () => {
    const line = `${"a".repeat(5000)} = "${FAKE_KEY}"; ${"b".repeat(5000)}`;
    const text = `{\n${line}\n}\n`;
    const f = finding({ ruleId: "secret/aws-access-key", region: regionOf(text, FAKE_KEY), masked: "AKIA…(20)" });
    const frame = buildCodeFrame(f, line, [f]);
    assert.ok(frame.text.length <= FRAME_WIDTH + 2, `frame is ${frame.text.length} columns`);
    assert.ok(frame.text.startsWith("…") && frame.text.endsWith("…"));
    assert.equal(frame.text.slice(frame.caretStart, frame.caretStart + frame.caretLength), "AKIA…(20)");
    const out = renderReport("text", makeReport([f], { "hosts/web.nix": text }), { color: false });
    assert.ok(!out.includes(FAKE_KEY));
    assert.ok(out.split("\n").every((l) => l.length < FRAME_WIDTH + 40));

    // A region longer than the window starts the window at the region.
    const longRegion = finding({
      ruleId: "pinning/x",
      region: { start: { line: 2, column: 101 }, end: { line: 2, column: 4001 } },
    });
    const lf = buildCodeFrame(longRegion, line, [longRegion]);
    assert.equal(lf.text.slice(lf.caretStart, lf.caretStart + 3), "aaa");
    assert.equal(lf.caretStart, 1);
    assert.equal(lf.caretLength, FRAME_WIDTH);
  });

  void it("keeps columns with tabs and neutralises terminal escapes in source", () => {
    const text = "\tx = \u001b[31mfetchTarball url;\n";
    const f = finding({ ruleId: "pinning/unpinned-fetch", region: regionOf(text, "fetchTarball") });
    const out = renderReport("text", makeReport([f], { "hosts/web.nix": text }), { color: false });
    assert.ok(!out.includes("\u001b"));
    const a = caretAlignment(out, "fetchTarball");
    assert.equal(a.caret - a.textStart, f.region.start.column - 1);
  });

  void it("groups by file, prints position, severity and rule, and a summary", () => {
    const other = finding({
      ruleId: "cache-trust/extra-substituter",
      severity: "note",
      file: "a/nix.conf",
      region: { start: { line: 1, column: 1 }, end: { line: 1, column: 4 } },
    });
    const out = renderReport("text", makeReport([secretFinding, fetch, other, tokenFinding], { "hosts/web.nix": source }), {
      color: false,
    });
    const lines = out.split("\n");
    assert.equal(lines[0], "a/nix.conf");
    assert.ok(lines.includes("hosts/web.nix"));
    assert.ok(lines.indexOf("hosts/web.nix") > 0);
    const row = lines.find((l) => l.includes("secret/aws-access-key"))!;
    assert.match(row, new RegExp(`^  ${keyRegion.start.line}:${keyRegion.start.column}\\s+error\\s+secret/aws-access-key found  secret/aws-access-key$`));
    assert.equal(
      lines.at(-2),
      "✖ 4 problems (2 errors, 1 warning, 1 note) in 2 files · 42 files checked · 1 suppressed · 0 baselined",
    );
    assert.ok(out.endsWith("\n"));
  });

  void it("reports a clean run, and a run below the fail threshold", () => {
    const clean = renderReport("text", makeReport([], {}, { stats: { files: 42, bytes: 1, durationMs: 1, suppressed: 0, baselined: 0 } }), {
      color: false,
    });
    assert.equal(clean, "✔ no problems · 42 files checked\n");
    const below = renderReport("text", makeReport([fetch], {}), { color: false });
    assert.match(below, /^⚠ 1 problem \(0 errors, 1 warning\) in 1 file · 42 files checked/m);
    assert.ok(!below.includes(" | "), "no frame without a source");
  });

  void it("colors only when asked", () => {
    const report = makeReport([secretFinding, fetch], { "hosts/web.nix": source });
    const plain = renderReport("text", report, { color: false });
    const colored = renderReport("text", report, { color: true });
    assert.ok(!ANSI.test(plain));
    assert.ok(colored.includes("\u001b["));
    assert.equal(colored.replace(ANSI, ""), plain);
  });
});

void describe("json reporter", () => {
  void it("emits versioned, pretty JSON with masked values only and a summary", () => {
    const source = `a = "${FAKE_KEY}";\n`;
    const withExtra = {
      ...finding({ ruleId: "secret/aws-access-key", region: regionOf(source, FAKE_KEY), masked: "AKIA…(20)" }),
      secretText: FAKE_KEY,
    } as Finding;
    const warn = finding({ ruleId: "pinning/x", severity: "warning", file: "b.nix", region: regionOf(source, "a =") });
    const out = renderReport("json", makeReport([warn, withExtra], { "hosts/web.nix": source }), { color: true });
    assert.ok(!out.includes(FAKE_KEY), "unknown fields are not copied");
    assert.ok(out.includes('\n  "version": 1'));
    const parsed = JSON.parse(out) as Record<string, unknown> & { findings: Finding[] };
    assert.deepEqual(Object.keys(parsed), ["version", "tool", "findings", "stats", "summary"]);
    assert.deepEqual(parsed["tool"], { name: "hostplane", version: "0.1.0" });
    assert.deepEqual(parsed["summary"], { errors: 1, warnings: 1, notes: 0, failOn: "error", failed: true });
    assert.deepEqual(
      parsed.findings.map((f) => f.file),
      ["b.nix", "hosts/web.nix"],
    );
    assert.equal(parsed.findings[1]?.masked, "AKIA…(20)");
    assert.deepEqual(parsed["stats"], { files: 42, bytes: 1000, durationMs: 5, suppressed: 1, baselined: 0 });
  });
});
