import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, it } from "node:test";
import Ajv from "ajv-draft-04";
import type * as Sarif from "sarif";
import type { Finding } from "../../guard/finding.js";
import type { GuardReport } from "../../guard/report.js";
import type { RuleMeta } from "../../guard/rule-meta.js";
import { SUPPRESSION_RULE } from "../../guard/suppression.js";
import { renderReport } from "./index.js";
import { pascalCaseRuleName } from "./sarif.js";

/** The official SARIF 2.1.0 schema (draft-04) shipped by @microsoft/jest-sarif. */
function loadValidator() {
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve("@microsoft/jest-sarif/package.json"));
  const schema = JSON.parse(readFileSync(path.join(pkgDir, "lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8")) as object;
  // ajv-draft-04 is CommonJS with `exports.default`; under NodeNext the default import is the module object.
  // The schema's `language` pattern (`…[a-zA-Z]{2}]?$`) is invalid with the `u` flag, so compile patterns without it.
  // Strict mode stays on; the three formats the schema uses are registered below (no ajv-formats installed).
  const ajv = new Ajv.default({ allErrors: true, unicodeRegExp: false });
  ajv.addFormat("uri", (s: string) => URL.canParse(s));
  ajv.addFormat("uri-reference", (s: string) => URL.canParse(s, "file:///base/"));
  ajv.addFormat("date-time", (s: string) => !Number.isNaN(Date.parse(s)));
  return ajv.compile(schema);
}

const validate = loadValidator();

function errorsText(): string {
  return JSON.stringify(validate.errors?.slice(0, 5), null, 2);
}

const FAKE_KEY = ["AK", "IA", "Q3EGRIPL", "5ZNMX7YT"].join("");

const rules: RuleMeta[] = [
  {
    id: "secret/aws-access-key",
    category: "secret",
    severity: "error",
    title: "AWS access key in Nix source",
    help: "Keys in Nix end up world-readable in /nix/store. Use a secret manager such as sops-nix or agenix.",
    bad: 'services.foo.awsKey = "AKIA…";',
    good: "services.foo.awsKeyFile = config.sops.secrets.aws.path;",
  },
  {
    id: "pinning/unpinned-fetch",
    category: "pinning",
    severity: "warning",
    title: "Fetch without a hash",
    help: "Pin fetches with a hash so builds are reproducible.",
    bad: "fetchTarball https://example.org/x.tar.gz",
    good: 'fetchTarball { url = "https://example.org/x.tar.gz"; sha256 = "…"; }',
  },
  {
    id: "cache-trust/extra-substituter",
    category: "cache-trust",
    severity: "note",
    title: "Extra binary cache",
    help: "Every substituter is trusted to serve store paths; ```keep``` the list short.",
    bad: 'nix.settings.substituters = [ "https://cache.example.org" ];',
    good: "# rely on cache.nixos.org and your own signed cache",
  },
  SUPPRESSION_RULE,
];

const findings: Finding[] = [
  {
    ruleId: "secret/aws-access-key",
    severity: "error",
    message: "AWS access key in `services.foo.awsKey`; use awsKeyFile with sops-nix",
    file: "hosts/web server/default.nix",
    region: { start: { line: 3, column: 24 }, end: { line: 3, column: 44 } },
    attrPath: "services.foo.awsKey",
    masked: "AKIA…(20)",
    fingerprint: "0123456789abcdef0123456789abcdef",
  },
  {
    ruleId: "pinning/unpinned-fetch",
    severity: "warning",
    message: "fetchTarball without sha256",
    file: "flake/default.nix",
    region: { start: { line: 1, column: 1 }, end: { line: 2, column: 3 } },
    fingerprint: "fedcba9876543210fedcba9876543210",
  },
  {
    ruleId: "custom/unknown-rule",
    severity: "note",
    message: "a rule without metadata",
    file: "x.nix",
    region: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } },
    fingerprint: "11111111111111111111111111111111",
  },
];

function report(overrides: Partial<GuardReport> = {}): GuardReport {
  return {
    tool: { name: "hostplane", version: "0.1.0" },
    root: "/srv/ci/checkout",
    findings,
    rules,
    stats: { files: 12, bytes: 3456, durationMs: 78, suppressed: 1, baselined: 0 },
    sources: new Map([["hosts/web server/default.nix", `{\n  services.foo = {\n    awsKey = "${FAKE_KEY}";\n  };\n}\n`]]),
    failOn: "error",
    ...overrides,
  };
}

function sarif(r: GuardReport = report()): Sarif.Log {
  return JSON.parse(renderReport("sarif", r, { color: false })) as Sarif.Log;
}

void describe("sarif reporter", () => {
  void it("produces a log that validates against the official SARIF 2.1.0 schema", () => {
    const log = sarif();
    assert.ok(validate(log), errorsText());
    const empty = sarif(report({ findings: [], rules: [] }));
    assert.ok(validate(empty), errorsText());
  });

  void it("the validator rejects broken logs (so the test above can fail)", () => {
    const good = sarif();
    const badVersion = { ...good, version: "2.0.0" };
    assert.equal(validate(badVersion), false);
    const noMessage = structuredClone(good) as unknown as { runs: { results: Record<string, unknown>[] }[] };
    delete noMessage.runs[0]!.results[0]!["message"];
    assert.equal(validate(noMessage), false);
    const badLevel = structuredClone(good) as unknown as { runs: { results: Record<string, unknown>[] }[] };
    badLevel.runs[0]!.results[0]!["level"] = "fatal";
    assert.equal(validate(badLevel), false);
    const badRegion = structuredClone(good);
    badRegion.runs[0]!.results![0]!.locations![0]!.physicalLocation!.region!.startLine = 0;
    assert.equal(validate(badRegion), false);
  });

  void it("describes the tool and every known rule", () => {
    const log = sarif();
    assert.equal(log.$schema, "https://json.schemastore.org/sarif-2.1.0.json");
    assert.equal(log.version, "2.1.0");
    assert.equal(log.runs.length, 1);
    const run = log.runs[0]!;
    const driver = run.tool.driver;
    assert.equal(driver.name, "hostplane");
    assert.equal(driver.semanticVersion, "0.1.0");
    assert.ok(driver.informationUri?.startsWith("https://"));
    assert.deepEqual(
      driver.rules?.map((r) => r.id),
      ["cache-trust/extra-substituter", "guard/invalid-suppression", "pinning/unpinned-fetch", "secret/aws-access-key"],
    );
    const aws = driver.rules?.find((r) => r.id === "secret/aws-access-key");
    assert.equal(aws?.name, "SecretAwsAccessKey");
    assert.equal(aws?.shortDescription?.text, rules[0]!.title);
    assert.equal(aws?.fullDescription?.text, rules[0]!.help);
    assert.equal(aws?.defaultConfiguration?.level, "error");
    assert.deepEqual(aws?.properties?.tags, ["secret", "security"]);
    assert.equal(aws?.properties?.["security-severity"], "8.0");
    assert.ok(aws?.help?.markdown?.includes(`\`\`\`nix\n${rules[0]!.bad}\n\`\`\``));
    assert.ok(aws?.help?.markdown?.includes(`\`\`\`nix\n${rules[0]!.good}\n\`\`\``));
    assert.ok(aws?.help?.text.includes(rules[0]!.good));
    const cache = driver.rules?.find((r) => r.id === "cache-trust/extra-substituter");
    assert.equal(cache?.defaultConfiguration?.level, "note");
    assert.equal(cache?.properties?.["security-severity"], "2.0");
    assert.equal(driver.rules?.find((r) => r.id === "pinning/unpinned-fetch")?.properties?.["security-severity"], "5.0");
    assert.equal(pascalCaseRuleName("store-leak/user-password"), "StoreLeakUserPassword");
    assert.deepEqual(run.originalUriBaseIds, { "%SRCROOT%": { uri: "file:///srv/ci/checkout/" } });
  });

  void it("maps findings to results with locations, rule indexes and fingerprints", () => {
    const run = sarif().runs[0]!;
    const results = run.results ?? [];
    assert.equal(results.length, 3);
    const aws = results.find((r) => r.ruleId === "secret/aws-access-key")!;
    assert.equal(run.tool.driver.rules?.[aws.ruleIndex!]?.id, "secret/aws-access-key");
    assert.equal(aws.level, "error");
    assert.equal(aws.message.text, findings[0]!.message);
    assert.deepEqual(aws.locations?.[0]?.physicalLocation, {
      artifactLocation: { uri: "hosts/web%20server/default.nix", uriBaseId: "%SRCROOT%" },
      region: { startLine: 3, startColumn: 24, endLine: 3, endColumn: 44 },
    });
    assert.deepEqual(aws.partialFingerprints, { "hostplaneFingerprint/v1": findings[0]!.fingerprint });
    const multi = results.find((r) => r.ruleId === "pinning/unpinned-fetch")!;
    assert.deepEqual(multi.locations?.[0]?.physicalLocation?.region, { startLine: 1, startColumn: 1, endLine: 2, endColumn: 3 });
    const unknown = results.find((r) => r.ruleId === "custom/unknown-rule")!;
    assert.equal(unknown.ruleIndex, undefined, "no index for a rule without metadata");
  });

  void it("never contains the secret", () => {
    const text = renderReport("sarif", report(), { color: false });
    assert.ok(!text.includes(FAKE_KEY));
    assert.ok(!text.includes(FAKE_KEY.slice(4)));
  });
});
