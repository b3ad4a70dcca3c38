/**
 * Lint one file: pick the checks for its kind (Nix source, flake.lock,
 * nix.conf), run them, and turn raw findings into located, fingerprinted,
 * masked findings with suppressions applied. Pure: the caller reads files.
 */
import type { Finding, RawFinding, Severity } from "./finding.js";
import { LineIndex } from "./line-index.js";
import { fingerprintFindings } from "./fingerprint.js";
import { isSuppressed, parseSuppressions } from "./suppression.js";
import { maskSecret } from "./secrets/context.js";
import { parseNix } from "./nix/parser.js";
import { NixSyntaxError } from "./nix/syntax-error.js";
import { walkNix, type WalkHandlers } from "./analyze/walk.js";
import { checkFlakeLock } from "./pinning/flake-lock.js";
import { checkNixSettings, parseNixConf } from "./cache-trust/nix-settings.js";
import { detectSecrets } from "./secrets/patterns.js";
import { secretHandlers, scanComments } from "./nix-rules/secrets.js";
import { storeLeakHandlers } from "./nix-rules/store-leak.js";
import { pinningHandlers, rootInputsOfLock } from "./nix-rules/pinning.js";
import { cacheTrustHandlers } from "./nix-rules/cache-trust.js";
import type { GuardPolicy, RuleContext } from "./nix-rules/context.js";
import { KNOWN_RULE_IDS } from "./rules.js";

export type GuardFileKind = "nix" | "flake-lock" | "nix-conf";

/** Which checks a file gets, by name: `*.nix`, `flake.lock`, `nix.conf` (and `*.nix.conf`). */
export function fileKindOf(path: string): GuardFileKind | null {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (name === "flake.lock") return "flake-lock";
  if (name === "nix.conf" || name.endsWith(".nix.conf")) return "nix-conf";
  if (name.endsWith(".nix")) return "nix";
  return null;
}

export interface LintInput {
  /** Path relative to the scan root, forward slashes. */
  file: string;
  text: string;
  /**
   * For a flake.nix: the text of the flake.lock beside it, null when there is none.
   * Leave undefined when unknown (e.g. a single file checked from stdin).
   */
  siblingLock?: string | null;
}

export interface LintOptions {
  policy: GuardPolicy;
  /** Severity per rule id (defaults from the rule catalog, after config overrides). */
  severities: ReadonlyMap<string, Severity>;
  /** Rule ids (or `category/*`) switched off by configuration. */
  disabled?: ReadonlySet<string>;
}

export interface LintResult {
  findings: Finding[];
  suppressed: number;
}

/** Raw findings for one file, before location, masking and suppression. */
export function collectRawFindings(input: LintInput, policy: GuardPolicy): RawFinding[] {
  const raw: RawFinding[] = [];
  const kind = fileKindOf(input.file) ?? "nix";
  const ctx: RuleContext = { src: input.text, file: input.file, policy, report: (f) => raw.push(f) };
  if (kind === "flake-lock") {
    raw.push(...checkFlakeLock(input.text, policy.pinning));
    return raw;
  }
  if (kind === "nix-conf") {
    const parsed = parseNixConf(input.text);
    raw.push(...parsed.findings, ...checkNixSettings(parsed.entries, { policy: policy.cacheTrust, context: "nix.conf" }));
    let at = 0;
    for (const line of input.text.split("\n")) {
      for (const m of detectSecrets(line)) {
        raw.push({
          ruleId: m.ruleId, start: at + m.start, end: at + m.end, secretText: line.slice(m.start, m.end),
          message: "credential in a nix.conf file, which is world-readable; point secret-key-files or access-tokens at a root-only file instead",
        });
      }
      at += line.length + 1;
    }
    return raw;
  }
  lintNixSource(input, ctx);
  return raw;
}

function lintNixSource(input: LintInput, ctx: RuleContext): void {
  let parsed;
  try {
    parsed = parseNix(input.text);
  } catch (err) {
    if (!(err instanceof NixSyntaxError) && !(err instanceof RangeError)) throw err;
    const offset = err instanceof NixSyntaxError ? err.offset : 0;
    ctx.report({
      ruleId: "guard/parse-error", start: offset, end: Math.min(offset + 1, input.text.length),
      message: `cannot parse this file (${err instanceof NixSyntaxError ? err.message : "nesting too deep"}); no other rule checked it — fix the syntax (\`nix-instantiate --parse ${input.file}\` shows Nix's view)`,
    });
    // Credentials in an unparseable file still leak: fall back to a pattern scan of the whole text.
    for (const m of detectSecrets(input.text)) {
      ctx.report({ ruleId: m.ruleId, start: m.start, end: m.end, secretText: input.text.slice(m.start, m.end), message: "credential in a file that does not parse; revoke it and deliver it at runtime with sops-nix or agenix" });
    }
    return;
  }
  const isFlake = input.file === "flake.nix" || input.file.endsWith("/flake.nix");
  const flakeView = isFlake && input.siblingLock !== undefined
    ? { rootInputs: input.siblingLock === null ? null : rootInputsOfLock(input.siblingLock) }
    : null;
  const parts: WalkHandlers[] = [
    secretHandlers(ctx), storeLeakHandlers(ctx), pinningHandlers(ctx, flakeView), cacheTrustHandlers(ctx, isFlake),
  ];
  try {
    walkNix(parsed.ast, combine(parts));
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    ctx.report({ ruleId: "guard/parse-error", start: 0, end: 0, message: "expression nested too deeply to analyse; no other rule checked this file" });
    return;
  }
  for (const p of parts) p.finish?.();
  scanComments(ctx, parsed.comments);
}

function combine(parts: WalkHandlers[]): WalkHandlers {
  const defs = parts.flatMap((p) => (p.def ? [p.def] : []));
  const calls = parts.flatMap((p) => (p.call ? [p.call] : []));
  const strings = parts.flatMap((p) => (p.string ? [p.string] : []));
  const paths = parts.flatMap((p) => (p.path ? [p.path] : []));
  return {
    def: (ev) => { for (const f of defs) f(ev); },
    call: (c, s) => { for (const f of calls) f(c, s); },
    string: (n, s) => { for (const f of strings) f(n, s); },
    path: (n, s) => { for (const f of paths) f(n, s); },
  };
}

function isDisabled(ruleId: string, disabled: ReadonlySet<string> | undefined): boolean {
  if (!disabled || disabled.size === 0) return false;
  return disabled.has(ruleId) || disabled.has(ruleId.slice(0, ruleId.indexOf("/")) + "/*");
}

/** Lint one file end to end: findings located, masked, fingerprinted, suppressions applied. */
export function lintFile(input: LintInput, options: LintOptions): LintResult {
  const raw = collectRawFindings(input, options.policy);
  const { suppressions, problems } = parseSuppressions(input.text, { knownRuleIds: KNOWN_RULE_IDS });
  raw.push(...problems);
  // One finding per rule and span: let-bound values are analysed at each use.
  const seen = new Set<string>();
  const unique = raw
    .filter((f) => !isDisabled(f.ruleId, options.disabled))
    .filter((f) => {
      const key = `${f.ruleId}\0${f.start}\0${f.end}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.start - b.start || a.end - b.end || a.ruleId.localeCompare(b.ruleId));
  const lines = new LineIndex(input.text);
  const prints = fingerprintFindings(unique.map((f) => ({
    ruleId: f.ruleId, file: input.file, matchedText: input.text.slice(f.start, f.end), ...(f.attrPath ? { attrPath: f.attrPath } : {}),
  })));
  const findings: Finding[] = [];
  let suppressed = 0;
  unique.forEach((f, i) => {
    const finding: Finding = {
      ruleId: f.ruleId,
      severity: options.severities.get(f.ruleId) ?? "error",
      message: f.message,
      file: input.file,
      region: { start: lines.position(f.start), end: lines.position(Math.max(f.end, f.start)) },
      fingerprint: prints[i]!,
      ...(f.attrPath ? { attrPath: f.attrPath } : {}),
      ...(f.secretText !== undefined ? { masked: maskSecret(f.secretText) } : {}),
    };
    if (f.ruleId !== "guard/invalid-suppression" && isSuppressed(finding, suppressions)) suppressed++;
    else findings.push(finding);
  });
  return { findings, suppressed };
}
