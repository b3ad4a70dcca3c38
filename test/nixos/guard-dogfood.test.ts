/**
 * Dogfood: the NixOS module passes our own CI guardrails (`hostplane guard`):
 * no secrets or store leaks, pinned inputs, https caches.
 *
 * One finding is allowed, as a warning only: `pinning/nixpkgs-too-old`. It
 * measures the locked nixpkgs revision against today's date, so it appears
 * 30 days after every re-lock until `nix flake update nixpkgs` (which needs
 * network) is run again. It is printed, never hidden.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostplane, REPO_ROOT } from "../harness/cli.js";

interface Finding {
  ruleId: string;
  severity: string;
  message: string;
  file: string;
  region: { start: { line: number } };
}
interface Report {
  findings: Finding[];
  stats: { files: number };
}

const AGE_RULE = "pinning/nixpkgs-too-old";

test("hostplane guard nixos exits 0", () => {
  const r = hostplane(["guard", "nixos"], REPO_ROOT);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
});

test("guard finds nothing in nixos/ and test/nixos/ but, at most, the lock's age", (t) => {
  const r = hostplane(["guard", "nixos", "test/nixos", "--format", "json"], REPO_ROOT);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  // flake.nix, flake.lock, package.nix, the module's files and the evaluation fixture.
  assert.ok(report.stats.files >= 10, `guard checked only ${report.stats.files} files`);
  for (const f of report.findings) t.diagnostic(`${f.file}:${f.region.start.line} ${f.severity} ${f.ruleId}: ${f.message}`);
  assert.deepEqual(report.findings.filter((f) => f.ruleId !== AGE_RULE), []);
  for (const f of report.findings) assert.equal(f.severity, "warning", `${AGE_RULE} must stay a warning`);
});
