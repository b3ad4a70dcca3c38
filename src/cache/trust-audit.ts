/**
 * Does a host's effective Nix configuration honour the fleet's trust policy?
 * Substituters only from the allowlist and over HTTPS, signatures required,
 * trusted keys only the fleet's current (non-revoked) ones, trusted-users root
 * only. The same checks guard runs on Nix sources (one implementation), plus
 * revocation, which only the policy knows about. Pure: settings in, problems out.
 */
import { checkNixSettings, normalizeSettingName, parseNixConf, type CacheTrustPolicy, type SettingEntry } from "../guard/cache-trust/nix-settings.js";
import { LineIndex } from "../guard/line-index.js";
import type { Severity } from "../guard/finding.js";
import { ALL_RULES } from "../guard/rules.js";
import { revokedKeys, trustedKeys, type TrustPolicy } from "./trust-policy.js";

export interface TrustProblem {
  ruleId: string;
  severity: Severity;
  message: string;
  /** `file:line` for a nix.conf, or the source's name (`nix show-config`). */
  where: string;
}

export interface TrustAuditResult {
  source: string;
  problems: TrustProblem[];
}

const SEVERITY = new Map(ALL_RULES.map((r) => [r.id, r.severity]));

/** The guard cache-trust policy implied by the fleet's trust policy. */
export function cacheTrustPolicyOf(policy: TrustPolicy): CacheTrustPolicy {
  const trusted = new Set(trustedKeys(policy));
  const byName = new Map(policy.keys.map((k) => [k.name, k.publicKey]));
  const used = new Set<string>();
  const substituters = policy.substituters.map((s) => {
    const keys = s.keys.map((n) => byName.get(n)).filter((k): k is string => k !== undefined && trusted.has(k));
    for (const k of keys) used.add(k);
    return { url: s.url, keys };
  });
  return { substituters, extraTrustedKeys: [...trusted].filter((k) => !used.has(k)) };
}

/** Settings from `nix show-config --json` (or `nix config show --json`), as entries without positions. */
export function settingsFromShowConfig(config: Record<string, { value: unknown }>): SettingEntry[] {
  const entries: SettingEntry[] = [];
  for (const name of ["substituters", "trusted-substituters", "trusted-public-keys", "require-sigs", "trusted-users", "accept-flake-config", "secret-key-files"]) {
    const v = config[name]?.value;
    if (v === undefined) continue;
    const values = typeof v === "boolean" ? v : Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))) : (typeof v === "string" ? v : JSON.stringify(v)).split(/\s+/).filter(Boolean);
    entries.push({ key: name, values, start: 0, end: 0, valueStart: 0, valueEnd: 0 });
  }
  return entries;
}

function auditEntries(entries: SettingEntry[], policy: TrustPolicy, locate: (offset: number) => string, effective: boolean): TrustProblem[] {
  const problems: TrustProblem[] = [];
  for (const f of checkNixSettings(entries, { policy: cacheTrustPolicyOf(policy), context: "nix.conf" })) {
    // A key of no allowed cache is untrusted; a revoked key gets its own, stronger finding below.
    if (f.ruleId === "cache-trust/untrusted-public-key" && revokedKeys(policy).some((k) => f.message.includes(k.publicKey))) continue;
    const message = f.message.replace("the guard configuration", "the trust policy");
    problems.push({ ruleId: f.ruleId, severity: SEVERITY.get(f.ruleId) ?? "error", message, where: locate(f.start) });
  }
  const revoked = revokedKeys(policy);
  for (const e of entries) {
    if (normalizeSettingName(e.key).name !== "trusted-public-keys" || typeof e.values === "boolean") continue;
    for (const key of e.values) {
      const hit = revoked.find((k) => k.publicKey === key);
      if (!hit) continue;
      problems.push({
        ruleId: "cache-trust/revoked-key-trusted", severity: "error", where: locate(e.start),
        message: `trusted-public-keys still trusts ${hit.name}, revoked${hit.revokedAt ? ` on ${hit.revokedAt}` : ""}${hit.reason ? ` (${hit.reason})` : ""}: paths signed only by it are still accepted; remove it from the host's nix.settings.trusted-public-keys and redeploy`,
      });
    }
  }
  if (effective && !entries.some((e) => normalizeSettingName(e.key).name === "require-sigs")) {
    problems.push({ ruleId: "cache-trust/require-sigs-disabled", severity: "error", where: locate(0), message: "the effective configuration does not show require-sigs; hostplane cannot confirm signatures are required" });
  }
  return problems;
}

/** Audit a nix.conf file's text. */
export function auditNixConf(text: string, source: string, policy: TrustPolicy): TrustAuditResult {
  const parsed = parseNixConf(text);
  const lines = new LineIndex(text);
  const locate = (offset: number): string => `${source}:${lines.position(offset).line}`;
  const problems: TrustProblem[] = parsed.findings.map((f) => ({
    ruleId: f.ruleId, severity: SEVERITY.get(f.ruleId) ?? "error", message: f.message, where: locate(f.start),
  }));
  problems.push(...auditEntries(parsed.entries, policy, locate, false));
  return { source, problems };
}

/** Audit the effective settings Nix reports on this host. */
export function auditEffectiveConfig(config: Record<string, { value: unknown }>, source: string, policy: TrustPolicy): TrustAuditResult {
  return { source, problems: auditEntries(settingsFromShowConfig(config), policy, () => source, true) };
}
