import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyBaseline, BaselineError, createBaseline, parseBaseline } from "./baseline.js";
import type { Finding } from "./finding.js";
import { fingerprintFindings } from "./fingerprint.js";

/** A fake credential, assembled at runtime so no scanner sees a literal. */
const FAKE_SECRET = ["ghp", "_", "Zx9", "Qw7Er5Ty3Ui1Op0As2Df4Gh6Jk8Lz0Xc"].join("");

function finding(ruleId: string, file: string, line: number, fingerprint: string, masked?: string): Finding {
  return {
    ruleId,
    severity: "error",
    message: `${ruleId} here`,
    file,
    region: { start: { line, column: 5 }, end: { line, column: 9 } },
    fingerprint,
    ...(masked !== undefined ? { masked } : {}),
  };
}

void describe("fingerprintFindings", () => {
  void it("is 32 hex chars, stable, and ignores whitespace changes", () => {
    const [a, b, c] = fingerprintFindings([
      { ruleId: "secret/github-token", file: "hosts/a.nix", attrPath: "services.x.token", matchedText: `"${FAKE_SECRET}"` },
      { ruleId: "pinning/unpinned-fetch", file: "hosts/a.nix", matchedText: "fetchTarball {\n  url = u;\n}" },
      { ruleId: "pinning/unpinned-fetch", file: "hosts/b.nix", matchedText: "fetchTarball { url = u; }" },
    ]);
    assert.match(a!, /^[0-9a-f]{32}$/);
    const [b2] = fingerprintFindings([{ ruleId: "pinning/unpinned-fetch", file: "hosts/a.nix", matchedText: "fetchTarball   {  url = u;  }" }]);
    assert.equal(b2, b, "re-indentation keeps the fingerprint");
    assert.notEqual(b, c, "the file is part of the identity");
    assert.ok(!a!.includes(FAKE_SECRET.slice(0, 8)));
  });

  void it("numbers identical tuples in one file by occurrence", () => {
    const same = { ruleId: "secret/github-token", file: "a.nix", matchedText: FAKE_SECRET };
    const [first, second, third] = fingerprintFindings([same, same, { ...same, file: "b.nix" }]);
    assert.notEqual(first, second);
    const [otherFile] = fingerprintFindings([{ ...same, file: "b.nix" }]);
    assert.equal(third, otherFile, "occurrences count per file");
    assert.deepEqual(fingerprintFindings([same, same]), [first, second], "deterministic");
  });

  void it("distinguishes attribute paths", () => {
    const base = { ruleId: "store-leak/user-password", file: "a.nix", matchedText: '"x"' };
    const [p1, p2] = fingerprintFindings([
      { ...base, attrPath: "users.users.alice.password" },
      { ...base, attrPath: "users.users.bob.password" },
    ]);
    assert.notEqual(p1, p2);
  });
});

void describe("baseline", () => {
  const fps = fingerprintFindings([
    { ruleId: "secret/github-token", file: "b.nix", matchedText: FAKE_SECRET },
    { ruleId: "secret/github-token", file: "b.nix", matchedText: FAKE_SECRET },
    { ruleId: "pinning/unpinned-fetch", file: "a.nix", matchedText: "fetchTarball u" },
  ]) as [string, string, string];
  const masked = `${FAKE_SECRET.slice(0, 4)}…(${FAKE_SECRET.length})`;
  const findings = [
    finding("secret/github-token", "b.nix", 10, fps[0], masked),
    finding("secret/github-token", "b.nix", 20, fps[1], masked),
    finding("pinning/unpinned-fetch", "a.nix", 3, fps[2]),
  ];

  void it("round-trips, sorted, with no secret, masked value or line numbers", () => {
    const text = createBaseline(findings);
    assert.ok(text.endsWith("\n"));
    assert.ok(!text.includes(FAKE_SECRET));
    assert.ok(!text.includes(masked));
    assert.ok(!/"(line|column|region|masked|message)"/.test(text));
    const parsed = parseBaseline(text, "guard-baseline.json");
    assert.equal(parsed.version, 1);
    assert.equal(parsed.tool, "hostplane-guard");
    assert.deepEqual(
      parsed.findings.map((e) => e.file),
      ["a.nix", "b.nix", "b.nix"],
    );
    assert.equal(createBaseline([...findings].reverse()), text, "input order does not matter");
    const { fresh, baselined, stale } = applyBaseline(findings, parsed);
    assert.deepEqual(fresh, []);
    assert.equal(baselined, 3);
    assert.equal(stale, 0);
  });

  void it("survives line shifts, because the fingerprint has no line", () => {
    const baseline = parseBaseline(createBaseline(findings), "b.json");
    const shifted = findings.map((f) => ({
      ...f,
      region: { start: { line: f.region.start.line + 7, column: 1 }, end: { line: f.region.end.line + 7, column: 2 } },
    }));
    assert.equal(applyBaseline(shifted, baseline).baselined, 3);
  });

  void it("uses multiset semantics", () => {
    const one = parseBaseline(createBaseline([findings[0]!]), "b.json");
    const same = [findings[0]!, { ...findings[0]! }, { ...findings[0]! }];
    const r1 = applyBaseline(same, one);
    assert.equal(r1.baselined, 1);
    assert.equal(r1.fresh.length, 2);
    const two = parseBaseline(createBaseline([findings[0]!, findings[0]!]), "b.json");
    const r2 = applyBaseline(same, two);
    assert.equal(r2.baselined, 2);
    assert.equal(r2.fresh.length, 1);
    const r3 = applyBaseline([findings[2]!], two);
    assert.deepEqual(r3, { fresh: [findings[2]], baselined: 0, stale: 2 });
  });

  void it("reports malformed files with the file name and the problem", () => {
    const cases: [string, RegExp][] = [
      ["{ not json", /not valid JSON/],
      ["[]", /expected a JSON object at the top level, got an array/],
      ['{"version": 1, "tool": "eslint", "findings": []}', /"tool" must be "hostplane-guard", got the string "eslint"/],
      ['{"version": 2, "tool": "hostplane-guard", "findings": []}', /unsupported "version": got number 2/],
      ['{"version": 1, "tool": "hostplane-guard"}', /"findings" must be an array, got nothing/],
      ['{"version": 1, "tool": "hostplane-guard", "findings": [null]}', /findings\[0\] must be an object, got null/],
      [
        '{"version": 1, "tool": "hostplane-guard", "findings": [{"fingerprint": "ab", "ruleId": "x/y", "file": ""}]}',
        /findings\[0\]\.file must be a non-empty string/,
      ],
      ['{"version": 1, "tool": "hostplane-guard", "findings": [{"ruleId": "x/y", "file": "a"}]}', /findings\[0\]\.fingerprint must be a non-empty string, got nothing/],
    ];
    for (const [text, expected] of cases) {
      assert.throws(
        () => parseBaseline(text, ".hostplane/guard-baseline.json"),
        (error: unknown) => {
          assert.ok(error instanceof BaselineError);
          assert.ok(error instanceof Error);
          assert.equal(error.name, "BaselineError");
          assert.ok(error.message.includes(".hostplane/guard-baseline.json"), error.message);
          assert.match(error.message, expected);
          return true;
        },
      );
    }
  });

  void it("accepts an empty baseline and a byte-order mark", () => {
    const parsed = parseBaseline(`\uFEFF${createBaseline([])}`, "b.json");
    assert.deepEqual(parsed.findings, []);
  });
});
