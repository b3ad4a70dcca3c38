/**
 * secret/* over Nix sources: credential patterns in every string fragment and
 * comment, and secret-named attributes or `KEY=value` lines holding a literal.
 */
import type { ExprOf } from "../nix/ast.js";
import type { Comment } from "../nix/lexer.js";
import { effectiveValues } from "../analyze/calls.js";
import type { DefEvent, Site, WalkHandlers } from "../analyze/walk.js";
import { detectSecrets, SECRET_RULES } from "../secrets/patterns.js";
import { isHashLikeName, isPublicKeyName, isSecretLikeName, looksLikeLiteralSecret } from "../secrets/context.js";
import { formatPath, literalValue, type RuleContext } from "./context.js";
import { findEmbeddedCredentials } from "./embedded-credentials.js";

const LITERAL_RULE = "secret/literal-credential";

function siteName(site: Site): string | undefined {
  const path = site.def?.path;
  const last = path?.[path.length - 1];
  return last?.kind === "static" ? last.name : undefined;
}

/** Content hashes and public keys are expected under these names; patterns would only misfire there. */
function quietSite(site: Site): boolean {
  const name = siteName(site);
  return name !== undefined && (isHashLikeName(name) || isPublicKeyName(name));
}

export function secretHandlers(ctx: RuleContext): WalkHandlers {
  /** Pattern-scan one literal run; `path` is formatted only when something is found. */
  const scan = (start: number, end: number, path: readonly string[], site: Site | null): void => {
    const raw = ctx.src.slice(start, end);
    const matches = detectSecrets(raw);
    const embedded = findEmbeddedCredentials(raw);
    if (matches.length === 0 && embedded.length === 0) return;
    if (site !== null && quietSite(site)) return; // judged only on a hit: most strings have none
    const attrPath = path.length ? formatPath(path) : undefined;
    for (const m of matches) {
      ctx.report({
        ruleId: m.ruleId, start: start + m.start, end: start + m.end, secretText: raw.slice(m.start, m.end),
        message: `${describe(m.ruleId)} in ${attrPath ? attrPath : "a Nix string"}: anything in a Nix expression can reach the world-readable /nix/store and stays in git history; revoke it, and deliver it at runtime with sops-nix or agenix through a …File option`,
        ...(attrPath ? { attrPath } : {}),
      });
    }
    for (const c of embedded) {
      ctx.report({
        ruleId: LITERAL_RULE, start: start + c.start, end: start + c.end, secretText: raw.slice(c.start, c.end),
        message: `"${c.key}" is set to a literal credential inside ${attrPath ? attrPath : "a Nix string"}; render this text at runtime (sops.templates with config.sops.placeholder, or an EnvironmentFile outside the store)`,
        ...(attrPath ? { attrPath } : {}),
      });
    }
  };

  const onString = (node: ExprOf<"String">, site: Site): void => {
    for (const p of node.parts) if (p.kind === "literal") scan(p.start, p.end, site.path, site);
  };

  const onDef = (ev: DefEvent): void => {
    // Quoted names are text too: `url."https://user:token@host/".insteadOf = …`.
    for (const seg of ev.binding.path) {
      if (seg.kind === "static" && ctx.src.charCodeAt(seg.start) === 34 /* " */) scan(seg.start + 1, seg.end - 1, ev.path, null);
    }
    const last = ev.binding.path[ev.binding.path.length - 1];
    if (last?.kind !== "static" || !isSecretLikeName(last.name)) return;
    for (const v of effectiveValues(ev.binding.value)) {
      if (v.type !== "String") continue;
      const value = literalValue(ctx, v);
      if (value === null || !looksLikeLiteralSecret(value)) continue;
      // A recognised credential format is reported by its own rule, with a better message.
      if (v.parts.some((p) => p.kind === "literal" && detectSecrets(ctx.src.slice(p.start, p.end)).length > 0)) continue;
      const where = formatPath(ev.path);
      // Detectors that need a label (`TWILIO_AUTH_TOKEN=…`, `aws_secret_access_key=…`) see the attribute name as one.
      const labelled = detectSecrets(`${last.name}=${value}`).find((m) => m.end > last.name.length + 1);
      // Several words are a command or prose, and a bare lowercase word an enum value (`combined`),
      // unless the name asks for a password or passphrase.
      const wantsPassword = /pass|pwd/i.test(last.name);
      if (!labelled && !wantsPassword && (/\s\S+\s/.test(value.trim()) || /^[a-z]+$/.test(value))) continue;
      ctx.report({
        ruleId: labelled?.ruleId ?? LITERAL_RULE, start: v.start, end: v.end, secretText: value, attrPath: where,
        message: labelled
          ? `${describe(labelled.ruleId)} in ${where}: anything in a Nix expression can reach the world-readable /nix/store and stays in git history; revoke it, and deliver it at runtime with sops-nix or agenix through a …File option`
          : `${where} holds a literal credential; it will be readable by every user in /nix/store and stays in git history. Use the option's …File variant (or environmentFile) with a sops-nix/agenix secret`,
      });
    }
  };

  return { string: onString, def: onDef };
}

/** Pattern scan of comments: a key pasted into a comment is still a leaked key. */
export function scanComments(ctx: RuleContext, comments: readonly Comment[]): void {
  for (const c of comments) {
    const raw = ctx.src.slice(c.start, c.end);
    for (const m of detectSecrets(raw)) {
      ctx.report({
        ruleId: m.ruleId, start: c.start + m.start, end: c.start + m.end, secretText: raw.slice(m.start, m.end),
        message: `${describe(m.ruleId)} in a comment: it is published with the repository; revoke it and remove it from git history`,
      });
    }
  }
}

const TITLES = new Map(SECRET_RULES.map((r) => [r.id, r.title.replace(/ in a Nix string$/, "")]));

/** The rule's title names the credential kind ("GitHub token", "age secret key"). */
function describe(ruleId: string): string {
  return TITLES.get(ruleId) ?? ruleId;
}
