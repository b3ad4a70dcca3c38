/** The catalog of every guard rule: ids, default severities, help, and bad/good examples. */
import type { RuleMeta } from "./rule-meta.js";
import { SECRET_RULES } from "./secrets/patterns.js";
import { STORE_LEAK_RULES } from "./nix-rules/store-leak.js";
import { PINNING_NIX_RULES } from "./nix-rules/pinning.js";
import { PINNING_LOCK_RULES } from "./pinning/flake-lock.js";
import { CACHE_TRUST_RULES } from "./cache-trust/nix-settings.js";
import { SUPPRESSION_RULE } from "./suppression.js";

const PARSE_ERROR_RULE: RuleMeta = {
  id: "guard/parse-error",
  category: "guard",
  severity: "error",
  title: "File is not valid Nix",
  help: "guard could not parse this file, so no other rule checked it (credential patterns are still searched in its raw text). Nix would reject it too: fix the syntax. `nix-instantiate --parse FILE` shows Nix's own view.",
  bad: `{ a = 1 }`,
  good: `{ a = 1; }`,
};

export const ALL_RULES: readonly RuleMeta[] = [
  ...SECRET_RULES, ...STORE_LEAK_RULES, ...PINNING_NIX_RULES, ...PINNING_LOCK_RULES, ...CACHE_TRUST_RULES,
  SUPPRESSION_RULE, PARSE_ERROR_RULE,
];

export const KNOWN_RULE_IDS: ReadonlySet<string> = new Set(ALL_RULES.map((r) => r.id));
