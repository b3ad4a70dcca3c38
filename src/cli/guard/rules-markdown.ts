/** The rule reference in docs/security/ci-guardrails.md, generated from the catalog so it cannot drift. */
import type { RuleMeta } from "../../guard/rule-meta.js";

const CATEGORY_TITLES: Record<string, string> = {
  secret: "secret/ — credentials written in Nix sources",
  "store-leak": "store-leak/ — patterns that copy a secret into /nix/store",
  pinning: "pinning/ — inputs that are not pinned",
  "cache-trust": "cache-trust/ — binary-cache trust settings",
  guard: "guard/ — the tool's own findings",
};

function fence(snippet: string): string {
  const lang = snippet.trim().startsWith("{") && snippet.includes("\"nodes\"") ? "json" : "nix";
  let ticks = "```";
  while (snippet.includes(ticks)) ticks += "`";
  return `${ticks}${lang}\n${snippet}\n${ticks}`;
}

export function renderRulesMarkdown(rules: readonly RuleMeta[]): string {
  const out: string[] = [];
  for (const [category, title] of Object.entries(CATEGORY_TITLES)) {
    const inCategory = rules.filter((r) => r.category === category);
    if (inCategory.length === 0) continue;
    out.push(`### ${title}`, "");
    for (const r of inCategory) {
      out.push(`#### \`${r.id}\``, "", `**${r.title}** — default severity: ${r.severity}.`, "", r.help, "", "Flagged:", "", fence(r.bad), "", "Instead:", "", fence(r.good), "");
    }
  }
  return out.join("\n");
}
