import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Finding } from "./finding.js";
import { LineIndex } from "./line-index.js";
import { isSuppressed, parseSuppressions, SUPPRESSION_RULE } from "./suppression.js";

function findingAt(ruleId: string, line: number, column = 3): Finding {
  return {
    ruleId,
    severity: "error",
    message: "m",
    file: "a.nix",
    region: { start: { line, column }, end: { line, column: column + 4 } },
    fingerprint: "f".repeat(32),
  };
}

void describe("parseSuppressions", () => {
  void it("parses an end-of-line suppression with a reason", () => {
    const text = 'x = 1;\n  token = "abc"; # hostplane-guard: allow secret/generic-token -- test fixture\n';
    const { suppressions, problems } = parseSuppressions(text);
    assert.deepEqual(problems, []);
    assert.equal(suppressions.length, 1);
    const s = suppressions[0]!;
    assert.equal(s.line, 2);
    assert.equal(s.standalone, false);
    assert.deepEqual(s.rules, ["secret/generic-token"]);
    assert.equal(s.reason, "test fixture");
    assert.equal(text.slice(s.start, s.end), "# hostplane-guard: allow secret/generic-token -- test fixture");
    assert.ok(isSuppressed(findingAt("secret/generic-token", 2), suppressions));
    assert.ok(!isSuppressed(findingAt("secret/generic-token", 3), suppressions), "end-of-line form does not cover the next line");
    assert.ok(!isSuppressed(findingAt("secret/aws-access-key", 2), suppressions), "other rules are not covered");
  });

  void it("applies a comment alone on its line to the line below", () => {
    const text = "{\n  # hostplane-guard: allow store-leak/user-password, pinning/* -- VM test only\n  users.users.a.password = \"x\";\n}\n";
    const { suppressions, problems } = parseSuppressions(text);
    assert.deepEqual(problems, []);
    assert.equal(suppressions[0]?.standalone, true);
    assert.ok(isSuppressed(findingAt("store-leak/user-password", 3), suppressions));
    assert.ok(isSuppressed(findingAt("pinning/unpinned-fetch", 3), suppressions));
    assert.ok(!isSuppressed(findingAt("store-leak/user-password", 4), suppressions));
    assert.ok(!isSuppressed(findingAt("store-leak/user-password", 1), suppressions));
  });

  void it("supports category wildcards only for their category", () => {
    const { suppressions } = parseSuppressions('a = "x"; # hostplane-guard: allow secret/* -- fixture\n');
    assert.ok(isSuppressed(findingAt("secret/aws-access-key", 1), suppressions));
    assert.ok(isSuppressed(findingAt("secret/github-token", 1), suppressions));
    assert.ok(!isSuppressed(findingAt("secrets-extra/x", 1), suppressions));
    assert.ok(!isSuppressed(findingAt("cache-trust/untrusted-substituter", 1), suppressions));
  });

  void it("parses one-line block comments, end-of-line and standalone", () => {
    const text = [
      'a = "x"; /* hostplane-guard: allow secret/* -- fixture */',
      "  /* hostplane-guard: allow pinning/* -- vendored */  ",
      "b = fetchTarball u;",
      'c = /* hostplane-guard: allow secret/* -- inline */ "y";',
    ].join("\n");
    const { suppressions, problems } = parseSuppressions(text);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      suppressions.map((s) => [s.line, s.standalone, s.reason]),
      [
        [1, false, "fixture"],
        [2, true, "vendored"],
        [4, false, "inline"],
      ],
    );
    assert.ok(isSuppressed(findingAt("pinning/fetch-tarball", 3), suppressions));
    assert.ok(isSuppressed(findingAt("secret/x", 4), suppressions));
  });

  void it("requires a reason: missing, empty and malformed forms are problems that suppress nothing", () => {
    const lines = [
      'a = "x"; # hostplane-guard: allow secret/*',
      'b = "x"; # hostplane-guard: allow secret/* --   ',
      'c = "x"; # hostplane-guard: ignore secret/* -- because',
      'd = "x"; # hostplane-guard: allow -- because',
      'e = "x"; # hostplane-guard: allow Secret Stuff -- because',
      'f = "x"; # hostplane-guard: allow secret/a,, secret/b -- because',
      'g = "x"; /* hostplane-guard: allow secret/* -- no close',
      'h = "x"; # hostplane-guard: allowsecret/* -- because',
    ];
    const text = lines.join("\n");
    const { suppressions, problems } = parseSuppressions(text);
    assert.deepEqual(suppressions, []);
    assert.equal(problems.length, lines.length);
    const index = new LineIndex(text);
    for (const [i, p] of problems.entries()) {
      assert.equal(p.ruleId, SUPPRESSION_RULE.id);
      assert.equal(index.position(p.start).line, i + 1, `problem ${i} sits on its comment line`);
      assert.ok(p.message.startsWith("invalid suppression: "), p.message);
    }
    assert.match(problems[0]!.message, /missing its reason/);
    assert.match(problems[1]!.message, /empty reason/);
    assert.match(problems[2]!.message, /unknown suppression form/);
    for (let line = 1; line <= lines.length; line++) {
      assert.ok(!isSuppressed(findingAt("secret/aws-access-key", line), suppressions));
    }
  });

  void it("flags unknown rule ids when the known rules are given", () => {
    const known = new Set(["secret/aws-access-key", "pinning/unpinned-fetch"]);
    const ok = parseSuppressions("# hostplane-guard: allow secret/aws-access-key, pinning/* -- r\n", { knownRuleIds: known });
    assert.equal(ok.suppressions.length, 1);
    const bad = parseSuppressions("# hostplane-guard: allow secret/typo -- r\n# hostplane-guard: allow nope/* -- r\n", {
      knownRuleIds: known,
    });
    assert.equal(bad.suppressions.length, 0);
    assert.equal(bad.problems.length, 2);
  });

  void it("ignores the marker outside comments and handles \\r\\n", () => {
    const text = 'a = "hostplane-guard: allow secret/* -- r";\r\n# hostplane-guard: allow secret/* -- crlf\r\nb = 1;\r\n';
    const { suppressions, problems } = parseSuppressions(text);
    assert.deepEqual(problems, []);
    assert.equal(suppressions.length, 1);
    assert.equal(suppressions[0]?.line, 2);
    assert.equal(suppressions[0]?.reason, "crlf");
    assert.equal(suppressions[0]?.standalone, true);
  });

  void it("has the invalid-suppression rule metadata", () => {
    assert.equal(SUPPRESSION_RULE.id, "guard/invalid-suppression");
    assert.equal(SUPPRESSION_RULE.severity, "error");
    assert.equal(SUPPRESSION_RULE.category, "guard");
  });

  void it("stays linear on a 1 MB line (no ReDoS)", () => {
    const mb = 1 << 20;
    const cases = [
      `x = 1; # hostplane-guard: allow ${"secret/a, ".repeat(mb / 10)}`, // no reason, huge rule list
      `x = 1; # hostplane-guard: allow ${"-".repeat(mb)}`,
      `x = "${"/* hostplane-guard: allow ".repeat(mb / 26)}";`, // many unterminated block markers
      `x = "${"a hostplane-guard: ".repeat(mb / 19)}";`, // many markers outside comments
      `${" ".repeat(mb)}# hostplane-guard: allow secret/* -- ${"r".repeat(mb)}`,
    ];
    for (const text of cases) {
      const started = performance.now();
      parseSuppressions(text);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms on a ${text.length}-char line`);
    }
  });
});
