/**
 * Every rule's documented bad example triggers that rule, and its good example
 * does not: the docs and SARIF help can never drift from what guard does.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ALL_RULES } from "./rules.js";
import { lintFile, type LintInput } from "./lint.js";
import { defaultGuardConfig } from "./config.js";
import { parseNix } from "./nix/parser.js";
import type { GuardPolicy } from "./nix-rules/context.js";

// 2026-11-24T00:00:00Z: fixed, so age-based examples do not expire.
const NOW = 1795564800;
/** A flake.lock whose root has the given inputs (their nodes are not needed by the flake.nix rules). */
const lockWith = (names: string[]): string =>
  JSON.stringify({ nodes: { root: { inputs: Object.fromEntries(names.map((n) => [n, n])) } }, root: "root", version: 7 });

/**
 * Which file a snippet belongs in, and how to make it a whole file. Flake
 * examples get a flake.lock beside them: for good examples one that locks every
 * input (as after `nix flake lock`), for bad ones an empty one — or none at all
 * for missing-flake-lock.
 */
function asInput(ruleId: string, snippet: string, good: boolean): LintInput {
  const s = snippet.trim();
  if (s.startsWith("{") && s.includes("\"nodes\"")) return { file: "flake.lock", text: s };
  if (ruleId === "cache-trust/invalid-setting" && !s.includes(";")) return { file: "nix.conf", text: s + "\n" };
  const flake = ruleId.startsWith("pinning/") && /inputs\.|nixConfig/.test(s) || ruleId === "cache-trust/flake-extra-substituters";
  const file = flake ? "flake.nix" : "example.nix";
  const declared = [...s.matchAll(/inputs\.([A-Za-z0-9_-]+)/g)].map((m) => m[1]!);
  const siblingLock = good ? lockWith(declared) : ruleId === "pinning/missing-flake-lock" ? null : lockWith([]);
  let text = s;
  try {
    parseNix(text);
  } catch {
    text = `{ config, lib, pkgs, inputs, ... }: {\n${s}\n}`;
  }
  return flake ? { file, text, siblingLock } : { file, text };
}

const config = defaultGuardConfig(NOW);
/** Rules that only apply under a policy the default leaves empty get that policy here. */
const POLICY_FOR: Record<string, GuardPolicy> = {
  "pinning/input-owner": { ...config.policy, pinning: { ...config.policy.pinning, allowedInputOwners: ["our-org"] } },
  "cache-trust/substituter-without-key": {
    ...config.policy,
    cacheTrust: { substituters: [{ url: "https://cache.example.com", keys: ["cache.example.com-1:8XzpSsRhRSON1K6IAZCY+kzk97CqwemkYHrEd9IWovI="] }], extraTrustedKeys: [] },
  },
};
const ruleIds = (ruleId: string, input: LintInput): string[] =>
  lintFile(input, { policy: POLICY_FOR[ruleId] ?? config.policy, severities: config.severities }).findings.map((f) => f.ruleId);

for (const rule of ALL_RULES) {
  test(`${rule.id}: bad example is reported, good example is not`, () => {
    const bad = ruleIds(rule.id, asInput(rule.id, rule.bad, false));
    assert.ok(bad.includes(rule.id), `bad example of ${rule.id} gave [${bad.join(", ")}]:\n${rule.bad}`);
    const good = ruleIds(rule.id, asInput(rule.id, rule.good, true));
    assert.ok(!good.includes(rule.id), `good example of ${rule.id} was reported:\n${rule.good}`);
  });
}
