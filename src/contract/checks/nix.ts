/**
 * Nix trust on the host: the same audit as `hostplane cache trust-audit`
 * (one implementation), split into checks by what an operator fixes.
 * Without the fleet's trust policy, substituters and keys are judged against
 * the site's own configuration or Nix's defaults, and the report says so.
 */
import { auditEffectiveConfig, type TrustProblem } from "../../cache/trust-audit.js";
import type { TrustPolicy } from "../../cache/trust-policy.js";
import { CACHE_NIXOS_ORG_KEY } from "../../guard/cache-trust/nix-settings.js";
import { redactUrl } from "../../http/redact-url.js";
import type { ContractConfig } from "../config.js";
import type { Facts } from "../facts.js";
import { ALL_PROFILES, known, pass, problem, type CheckDef, type JudgeContext, type Outcome } from "../check.js";

/** What an absent policy and site config mean: trust only what Nix trusts out of the box. */
const NIX_DEFAULT_POLICY: TrustPolicy = {
  substituters: [{ url: "https://cache.nixos.org", keys: ["cache.nixos.org-1"] }],
  keys: [{ name: "cache.nixos.org-1", publicKey: CACHE_NIXOS_ORG_KEY, status: "trusted" }],
};

/**
 * The trust policy the nix.* checks judge by, and a note saying which: the
 * fleet's policy when given; else the caches and keys the site configured the
 * host with (contract.json `nix`), any listed key signing for any listed cache;
 * else Nix's defaults.
 */
export function trustBasis(config: ContractConfig, policy: TrustPolicy | undefined): { policy: TrustPolicy; note?: string } {
  if (policy) return { policy };
  if (config.nix) {
    const keys = config.nix.trustedPublicKeys.map((publicKey) => ({ name: publicKey.slice(0, publicKey.indexOf(":")), publicKey, status: "trusted" as const }));
    return {
      policy: { substituters: config.nix.substituters.map((url) => ({ url, keys: keys.map((k) => k.name) })), keys },
      note: "Nix substituters and keys were judged against the site config's nix.substituters and nix.trustedPublicKeys: pass --trust-policy FILE to judge them against the fleet's policy (which also knows revoked keys).",
    };
  }
  return { policy: NIX_DEFAULT_POLICY, note: "Nix substituters and keys were judged against Nix's default cache (cache.nixos.org): pass --trust-policy FILE to judge them against the fleet's policy." };
}

const audits = new WeakMap<Facts, Map<TrustPolicy, TrustProblem[]>>();

/** The trust audit of the facts' Nix settings, computed once per facts and policy. */
function audit(facts: Facts, policy: TrustPolicy): TrustProblem[] {
  let byPolicy = audits.get(facts);
  if (!byPolicy) audits.set(facts, (byPolicy = new Map<TrustPolicy, TrustProblem[]>()));
  let problems = byPolicy.get(policy);
  if (!problems) {
    const nix = known(facts.nix, "nix");
    problems = auditEffectiveConfig(nix.settings, "nix show-config", policy).problems;
    byPolicy.set(policy, problems);
  }
  return problems;
}

function nixCheck(spec: Omit<CheckDef, "group" | "profiles" | "whenUnknown" | "judge" | "severity"> & {
  severity?: "fail" | "warn";
  rules: readonly string[];
  /** The settings this check owns: malformed values of them (cache-trust/invalid-setting) land here. */
  settings: readonly string[];
  seen: (settings: Record<string, { value: unknown }>) => string;
}): CheckDef {
  return {
    id: spec.id, group: "nix", title: spec.title, why: spec.why, severity: spec.severity ?? "fail",
    profiles: ALL_PROFILES, nixos: spec.nixos, hint: spec.hint, whenUnknown: "fail",
    judge(facts: Facts, { trustPolicy }: JudgeContext): Outcome {
      const settings = known(facts.nix, "nix").settings;
      const found = audit(facts, trustPolicy).filter((p) => spec.rules.includes(p.ruleId)
        || (p.ruleId === "cache-trust/invalid-setting" && spec.settings.some((s) => settingOf(p.message) === s)));
      if (found.length === 0) return pass(spec.seen(settings));
      return problem(found.map((p) => p.message).join("; "));
    },
  };
}

/** The setting an invalid-setting message is about ("nix.conf setting trusted-public-keys contains …"). */
function settingOf(message: string): string | undefined {
  return /^(?:nix\.conf setting )?([a-z-]+)\b/.exec(message)?.[1];
}

function list(settings: Record<string, { value: unknown }>, name: string): string {
  const v = settings[name]?.value;
  const items = (Array.isArray(v) ? v.map((x) => JSON.stringify(x).replace(/^"|"$/g, "")) : typeof v === "string" ? v.split(/\s+/).filter(Boolean) : []).map(redactUrl);
  return items.length === 0 ? "(none)" : items.join(" ");
}

export const NIX_CHECKS: CheckDef[] = [
  nixCheck({
    id: "nix.require-sigs", title: "Nix requires signatures on substituted paths",
    why: "Without signature checks whoever controls a cache or the network path to it controls what runs on the host.",
    nixos: ["nix.settings.require-sigs"], hint: "set nix.settings.require-sigs = true and drop ?trusted=1 from substituter URLs",
    rules: ["cache-trust/require-sigs-disabled"], settings: ["require-sigs"],
    seen: (s) => `require-sigs = ${JSON.stringify(s["require-sigs"]?.value ?? "(default)")}`,
  }),
  nixCheck({
    id: "nix.substituters", title: "Substituters only from the fleet's caches, over HTTPS",
    why: "Production hosts must not pull from arbitrary public caches; every cache is a party that can feed the host code.",
    nixos: ["nix.settings.substituters"], hint: "list only the fleet's caches in nix.settings.substituters (hostplane.host.nix.substituters)",
    rules: ["cache-trust/substituter-not-allowed", "cache-trust/insecure-substituter", "cache-trust/substituter-without-key", "cache-trust/flake-extra-substituters"],
    settings: ["substituters", "trusted-substituters"],
    seen: (s) => list(s, "substituters"),
  }),
  nixCheck({
    id: "nix.trusted-keys", title: "Only the fleet's current signing keys are trusted",
    why: "A trusted key that is not the fleet's, or that was revoked, lets paths signed by it onto the host.",
    nixos: ["nix.settings.trusted-public-keys"], hint: "set nix.settings.trusted-public-keys to the policy's current keys (hostplane.host.nix.trustedPublicKeys)",
    rules: ["cache-trust/untrusted-public-key", "cache-trust/revoked-key-trusted", "cache-trust/secret-key-files-in-store"],
    settings: ["trusted-public-keys", "secret-key-files"],
    seen: (s) => list(s, "trusted-public-keys"),
  }),
  nixCheck({
    id: "nix.trusted-users", title: "Only root is a trusted Nix user",
    why: "A trusted user can add substituters and keys of their own choosing: effectively root on every host.",
    nixos: ["nix.settings.trusted-users"], hint: "set nix.settings.trusted-users = [ \"root\" ]",
    rules: ["cache-trust/trusted-users-broad"], settings: ["trusted-users", "allowed-users"],
    seen: (s) => list(s, "trusted-users"),
  }),
  nixCheck({
    id: "nix.flake-config", title: "Flakes cannot change Nix settings", severity: "warn",
    why: "accept-flake-config lets any flake evaluated on the host add caches and keys.",
    nixos: ["nix.settings.accept-flake-config"], hint: "set nix.settings.accept-flake-config = false",
    rules: ["cache-trust/accept-flake-config"], settings: ["accept-flake-config"],
    seen: (s) => `accept-flake-config = ${JSON.stringify(s["accept-flake-config"]?.value ?? false)}`,
  }),
];
