/**
 * evaluate(facts, options) → report: pure. The same function runs on the
 * host (`hostplane contract check`), on saved facts elsewhere
 * (`hostplane contract evaluate`), and in the server's admission gate.
 */
import type { TrustPolicy } from "../cache/trust-policy.js";
import { docsAnchor, Unknown, type CheckDef, type CheckResult, type CheckStatus, type ContractReport } from "./check.js";
import { CONTRACT, profileChecks } from "./catalog.js";
import { NO_POLICY_NOTE } from "./checks/nix.js";
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

function judge(check: CheckDef, facts: Facts, options: { config: ContractConfig; trustPolicy?: TrustPolicy }): Omit<CheckResult, "id" | "group" | "title" | "docs"> {
  const hint = { hint: check.hint, nixos: check.nixos };
  try {
    const o = check.judge(facts, options.trustPolicy ? { config: options.config, trustPolicy: options.trustPolicy } : { config: options.config });
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

export function evaluateContract(facts: Facts, options: EvaluateOptions = {}): ContractReport {
  const config = options.config ?? resolveContractConfig();
  const profile = options.profile ?? config.profile;
  const ignore = [...config.ignore, ...(options.ignore ?? [])];
  for (const pattern of ignore) {
    if (!CONTRACT.some((c) => matches(c, pattern))) {
      throw new UnknownCheckError(`--ignore ${pattern}: no such check or group (see hostplane contract list)`);
    }
  }
  const summary: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  const results: CheckResult[] = [];
  const ignored: string[] = [];
  for (const check of profileChecks(profile)) {
    if (ignore.some((p) => matches(check, p))) { ignored.push(check.id); continue; }
    const r = judge(check, facts, { config, ...(options.trustPolicy ? { trustPolicy: options.trustPolicy } : {}) });
    summary[r.status]++;
    results.push({ id: check.id, group: check.group, title: check.title, ...r, docs: docsAnchor(check.id) });
  }
  const notes = !options.trustPolicy && results.some((r) => r.group === "nix") ? [NO_POLICY_NOTE] : [];
  return {
    schema: "hostplane.contract-report/v1", hostname: facts.hostname, profile, gatheredAt: facts.gatheredAt,
    ok: summary.fail === 0, summary, ignored, notes, results,
  };
}
