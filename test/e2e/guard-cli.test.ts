/** `hostplane guard` end to end: the built binary on real directories, as CI and users run it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import Ajv from "ajv-draft-04";
import { hostplane, scratchTree, REPO_ROOT } from "../harness/cli.js";

// Fake credentials, assembled at run time so this file holds none.
const GH_TOKEN = "gh" + "p_" + "Zq8rT2vXk9mB4nL7cW1yH6sD3fJ0gP5aE8uQ";
const PASSWORD = "Qm" + "7vX2pL9" + "wK4z";
const LEAKY = `{ config, ... }: {\n  systemd.services.foo.environment.API_TOKEN = "${GH_TOKEN}";\n  users.users.bob.password = "${PASSWORD}";\n}\n`;
const CLEAN = `{ config, ... }: {\n  users.users.bob.hashedPasswordFile = config.sops.secrets.bob.path;\n}\n`;

test("finds every category in the example fleet and is silent on its clean modules", () => {
  const r = hostplane(["guard", "examples/fleet", "--format", "json"], REPO_ROOT);
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout) as { findings: { ruleId: string; file: string }[] };
  const categories = new Set(report.findings.map((f) => f.ruleId.split("/")[0]));
  for (const c of ["secret", "store-leak", "pinning", "cache-trust"]) assert.ok(categories.has(c), `no ${c} finding`);
  assert.deepEqual(report.findings.filter((f) => f.file.includes("/modules/")), []);
  const clean = hostplane(["guard", "examples/fleet/modules"], REPO_ROOT);
  assert.equal(clean.code, 0, clean.stdout);
  assert.match(clean.stdout, /no problems · 4 files checked/);
});

test("exit codes: 0 clean, 1 findings, 2 usage and config errors", () => {
  const dir = scratchTree({ "clean.nix": CLEAN, "leaky/host.nix": LEAKY });
  try {
    assert.equal(hostplane(["guard", "clean.nix"], dir).code, 0);
    assert.equal(hostplane(["guard"], dir).code, 1);
    const unknown = hostplane(["guard", "--frobnicate"], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--frobnicate'/);
    const missing = hostplane(["guard", "nope/"], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file or directory: nope\//);
    assert.equal(hostplane(["guard", "--format", "xml"], dir).code, 2);
    assert.equal(hostplane(["guard", "--fail-on", "fatal"], dir).code, 2);
    assert.equal(hostplane(["frobnicate"], dir).code, 2);
    assert.equal(hostplane(["guard", "--help"], dir).code, 0);
    assert.match(hostplane(["guard", "--help"], dir).stdout, /Usage: hostplane guard/);
    assert.match(hostplane(["--version"], dir).stdout, /^hostplane \d+\.\d+\.\d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a secret never appears in clear in any output format", () => {
  const dir = scratchTree({ "host.nix": LEAKY });
  try {
    for (const format of ["text", "json", "sarif"]) {
      const r = hostplane(["guard", "--format", format], dir);
      assert.equal(r.code, 1);
      assert.ok(!r.stdout.includes(GH_TOKEN) && !r.stdout.includes(PASSWORD), `${format} output leaks a secret`);
      assert.ok(!r.stderr.includes(GH_TOKEN));
    }
    const text = hostplane(["guard"], dir).stdout;
    assert.match(text, /ghp_…\(40 chars\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SARIF output validates against the SARIF 2.1.0 schema", () => {
  const r = hostplane(["guard", "examples/fleet", "--format", "sarif"], REPO_ROOT);
  const require = createRequire(import.meta.url);
  const schemaPath = join(require.resolve("@microsoft/jest-sarif/package.json"), "../lib/schemas/sarif-2.1.0-rtm.5.json");
  // ajv-draft-04 is CommonJS with `exports.default`; under NodeNext the default import is the module object.
  const ajv = new Ajv.default({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")) as object);
  const log = JSON.parse(r.stdout) as { runs: { results: unknown[]; tool: { driver: { rules: unknown[] } } }[] };
  assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 3)));
  assert.ok(log.runs[0]!.results.length > 20);
  assert.ok(log.runs[0]!.tool.driver.rules.length > 50);
});

test("baseline: CI fails only on findings that are new, even after lines shift", () => {
  const dir = scratchTree({ "host.nix": LEAKY });
  try {
    const written = hostplane(["guard", "--write-baseline", "guard-baseline.json"], dir);
    assert.equal(written.code, 0, written.stderr);
    const baselineText = readFileSync(join(dir, "guard-baseline.json"), "utf8");
    assert.ok(!baselineText.includes(GH_TOKEN) && !baselineText.includes(PASSWORD));
    assert.equal(hostplane(["guard", "--baseline", "guard-baseline.json"], dir).code, 0);
    // Shift every line down; the old findings stay baselined.
    writeFileSync(join(dir, "host.nix"), "# a new comment\n\n" + LEAKY);
    const shifted = hostplane(["guard", "--baseline", "guard-baseline.json"], dir);
    assert.equal(shifted.code, 0, shifted.stdout);
    assert.match(shifted.stdout, /3 baselined/);
    // A new leak fails.
    writeFileSync(join(dir, "host.nix"), LEAKY.replace("}\n", '  users.users.eve.initialPassword = "s3cret-again!";\n}\n'));
    const fresh = hostplane(["guard", "--baseline", "guard-baseline.json", "--format", "json"], dir);
    assert.equal(fresh.code, 1);
    const ids = (JSON.parse(fresh.stdout) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId).sort();
    // A literal in a password option is both a store leak and a credential in git history.
    assert.deepEqual(ids, ["secret/literal-credential", "store-leak/user-password"]);
    writeFileSync(join(dir, "bad-baseline.json"), "{ not json");
    const bad = hostplane(["guard", "--baseline", "bad-baseline.json"], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad-baseline\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("inline suppressions need a reason", () => {
  const withReason = LEAKY.replace("  users.users.bob", "  # hostplane-guard: allow store-leak/user-password -- throwaway VM test user\n  users.users.bob");
  const noReason = LEAKY.replace("  users.users.bob", "  # hostplane-guard: allow store-leak/user-password\n  users.users.bob");
  const dir = scratchTree({ "a.nix": withReason, "b.nix": noReason });
  try {
    const r = hostplane(["guard", "--format", "json"], dir);
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; file: string }[]; stats: { suppressed: number } };
    assert.equal(report.stats.suppressed, 1);
    const a = report.findings.filter((f) => f.file === "a.nix").map((f) => f.ruleId).sort();
    const b = report.findings.filter((f) => f.file === "b.nix").map((f) => f.ruleId).sort();
    // The suppression names one rule; the literal-credential finding on the same line stays.
    assert.deepEqual(a, ["secret/github-token", "secret/literal-credential"]);
    assert.deepEqual(b, ["guard/invalid-suppression", "secret/github-token", "secret/literal-credential", "store-leak/user-password"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("config file: severity overrides, disabled rules, excludes; bad config names file, key and line", () => {
  const dir = scratchTree({
    "host.nix": LEAKY,
    "vendor/third-party.nix": LEAKY,
    ".hostplane-guard.yaml": "failOn: error\nrules:\n  store-leak/user-password: warning\n  secret/*: off\nexclude:\n  - vendor/\n",
  });
  try {
    const r = hostplane(["guard", "--format", "json"], dir);
    assert.equal(r.code, 0, r.stdout); // the remaining finding is a warning, below failOn
    const findings = (JSON.parse(r.stdout) as { findings: { ruleId: string; severity: string; file: string }[] }).findings;
    assert.deepEqual(findings.map((f) => [f.file, f.ruleId, f.severity]), [["host.nix", "store-leak/user-password", "warning"]]);
    assert.equal(hostplane(["guard", "--fail-on", "warning"], dir).code, 1);

    writeFileSync(join(dir, ".hostplane-guard.yaml"), "failOn: error\nrules:\n  secret/no-such-rule: warning\npinning:\n  maxAgeDays: -3\n");
    const bad = hostplane(["guard"], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /\.hostplane-guard\.yaml/);
    assert.match(bad.stderr, /rules\.secret\/no-such-rule \(line 3\): unknown rule id/);
    assert.match(bad.stderr, /pinning\.maxAgeDays \(line 5\)/);
    writeFileSync(join(dir, ".hostplane-guard.yaml"), "rules: [unclosed\n");
    const broken = hostplane(["guard"], dir);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /line \d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a file that does not parse is reported and every other file is still checked", () => {
  const dir = scratchTree({ "broken.nix": "{ a = 1 }\n", "host.nix": LEAKY });
  try {
    const r = hostplane(["guard", "--format", "json"], dir);
    const findings = (JSON.parse(r.stdout) as { findings: { ruleId: string; file: string; region: { start: { line: number; column: number } } }[] }).findings;
    const parse = findings.find((f) => f.ruleId === "guard/parse-error");
    assert.deepEqual([parse?.file, parse?.region.start.line, parse?.region.start.column], ["broken.nix", 1, 9]);
    assert.ok(findings.some((f) => f.file === "host.nix" && f.ruleId === "store-leak/user-password"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(".gitignore is honoured; an explicitly named file is checked anyway", () => {
  const dir = scratchTree({ ".gitignore": "generated/\n", "generated/out.nix": LEAKY, "host.nix": CLEAN });
  try {
    assert.equal(hostplane(["guard"], dir).code, 0);
    assert.equal(hostplane(["guard", "generated/out.nix"], dir).code, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const hasGit = (() => {
  try {
    execFileSync("git", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

test("--staged checks the index, not the work tree", { skip: hasGit ? false : "git is not installed" }, () => {
  const dir = scratchTree({ "host.nix": CLEAN });
  const git = (...args: string[]): void => void execFileSync("git", ["-c", "user.email=t@example.org", "-c", "user.name=t", ...args], { cwd: dir, stdio: "ignore" });
  try {
    git("init", "-q");
    git("add", "host.nix");
    assert.equal(hostplane(["guard", "--staged"], dir).code, 0);
    writeFileSync(join(dir, "host.nix"), LEAKY);
    // Not staged yet: the index is still clean.
    assert.equal(hostplane(["guard", "--staged"], dir).code, 0);
    git("add", "host.nix");
    const r = hostplane(["guard", "--staged"], dir);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /store-leak\/user-password/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--output writes the report whole; an unwritable path is a clear error", () => {
  const dir = scratchTree({ "host.nix": LEAKY });
  try {
    assert.equal(hostplane(["guard", "--format", "sarif", "--output", "out.sarif"], dir).code, 1);
    assert.ok((JSON.parse(readFileSync(join(dir, "out.sarif"), "utf8")) as { version: string }).version === "2.1.0");
    const r = hostplane(["guard", "--output", "no/such/dir/out.txt"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot write/);
    assert.ok(!existsSync(join(dir, "no")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("worker threads give exactly the findings of a single thread on a large tree", () => {
  // > 4 MB, so the pool uses workers: 400 modules of ~11 KB, every 7th with a leak.
  const files: Record<string, string> = {};
  const filler = Array.from({ length: 200 }, (_, i) => `  services.app${i}.settings = { port = ${8000 + i}; name = "app-${i}"; enable = true; };`).join("\n");
  for (let i = 0; i < 400; i++) {
    const leak = i % 7 === 0 ? `  users.users.u${i}.password = "${PASSWORD}${i}";\n` : "";
    files[`hosts/h${i}.nix`] = `{ config, lib, ... }: {\n${leak}${filler}\n}\n`;
  }
  const dir = scratchTree(files);
  try {
    const one = hostplane(["guard", "--format", "json", "--jobs", "1"], dir);
    const two = hostplane(["guard", "--format", "json", "--jobs", "2"], dir);
    assert.equal(one.code, 1);
    const strip = (out: string): unknown => (JSON.parse(out) as { findings: unknown[] }).findings;
    assert.equal((strip(one.stdout) as unknown[]).length, 2 * 58); // user-password + literal-credential per leak
    assert.deepEqual(strip(two.stdout), strip(one.stdout));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
