/**
 * evaluate(facts, options) → report: pure. The same function runs on the
 * host (`hostplane contract check`), on saved facts elsewhere
 * (`hostplane contract evaluate`), and in the server's admission gate.
 */
import type { TrustPolicy } from "../cache/trust-policy.js";
import { docsAnchor, Unknown, type CheckDef, type CheckResult, type CheckStatus, type ContractReport } from "./check.js";
import { CONTRACT, profileChecks } from "./catalog.js";
import { trustBasis } from "./checks/nix.js";
import { resolveContractConfig, type ContractConfig, type ProfileName } from "./config.js";
import type { Facts } from "./facts.js";

export interface EvaluateOptions {
  /** Site values; defaults when absent. */
  config?: ContractConfig;
  /** Overrides config.profile. */
  profile?: ProfileName;
  /** Check ids (or group prefixes such as "hygiene") not to run, besides config.ignore. */
  ignore?: readonly string[];
  trustPolicy?: TrustPolicy;
}

/** Raised for an --ignore that names no check: a typo would otherwise silently ignore nothing. */
export class UnknownCheckError extends Error {
  override readonly name = "UnknownCheckError";
}

function matches(check: CheckDef, pattern: string): boolean {
  return check.id === pattern || check.id.startsWith(`${pattern}.`) || check.group === pattern;
}

function judge(check: CheckDef, facts: Facts, context: { config: ContractConfig; trustPolicy: TrustPolicy }): Omit<CheckResult, "id" | "group" | "title" | "docs"> {
  const hint = { hint: check.hint, nixos: check.nixos };
  try {
    const o = check.judge(facts, context);
    switch (o.result) {
      case "pass": return { status: "pass", seen: o.seen };
      case "skip": return { status: "skip", seen: o.seen };
      case "warn": return { status: "warn", seen: o.seen, ...hint, ...(o.hint ? { hint: o.hint } : {}) };
      case "problem": return { status: check.severity, seen: o.seen, ...hint, ...(o.hint ? { hint: o.hint } : {}) };
    }
  } catch (err) {
    if (!(err instanceof Unknown)) throw err;
    const status: CheckStatus = check.whenUnknown === "fail" ? check.severity : "skip";
    return status === "skip" ? { status, seen: `unknown: ${err.message}` } : { status, seen: `unknown: ${err.message}`, ...hint };
  }
}

/** Throw UnknownCheckError for a pattern that names no check or group; `source` says where it came from. */
export function checkIgnorePatterns(patterns: readonly string[], source: string): void {
  for (const pattern of patterns) {
    if (!CONTRACT.some((c) => matches(c, pattern))) {
      throw new UnknownCheckError(`${source}: ignore ${JSON.stringify(pattern)} names no check or group (see hostplane contract list)`);
    }
  }
}

export function evaluateContract(facts: Facts, options: EvaluateOptions = {}): ContractReport {
  // A profile without a config brings that profile's defaults (forwarding off on a control plane).
  const config = options.config ?? resolveContractConfig(options.profile === undefined ? {} : { profile: options.profile });
  const profile = options.profile ?? config.profile;
  checkIgnorePatterns(config.ignore, "the site config");
  checkIgnorePatterns(options.ignore ?? [], "--ignore");
  const ignore = [...config.ignore, ...(options.ignore ?? [])];
  const trust = trustBasis(config, options.trustPolicy);
  const summary: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  const results: CheckResult[] = [];
  const ignored: string[] = [];
  for (const check of profileChecks(profile)) {
    if (ignore.some((p) => matches(check, p))) { ignored.push(check.id); continue; }
    const r = judge(check, facts, { config, trustPolicy: trust.policy });
    summary[r.status]++;
    results.push({ id: check.id, group: check.group, title: check.title, ...r, docs: docsAnchor(check.id) });
  }
  const notes: string[] = [];
  if (facts.euid !== 0) {
    notes.push(`The facts were gathered as uid ${facts.euid}, not root: KVM ioctls, nft, legacy iptables and the scratch namespace need root, so those checks may fail for that reason alone. Run the check as root.`);
  }
  if (trust.note && results.some((r) => r.group === "nix")) notes.push(trust.note);
  return {
    schema: "hostplane.contract-report/v1", hostname: facts.hostname, profile, gatheredAt: facts.gatheredAt,
    ok: summary.fail === 0, summary, ignored, notes, results,
  };
}
