/**
 * What a host-contract check is: data (id, title, why, severity, profiles,
 * the NixOS options that satisfy it, a docs anchor) plus one pure function
 * from facts to an outcome. The catalog of these is the single source of
 * truth for the checks, the NixOS module cross-check and the host-OS chapter.
 */
import type { TrustPolicy } from "../cache/trust-policy.js";
import type { ContractConfig, ProfileName } from "./config.js";
import type { Facts, Probe } from "./facts.js";

export type CheckGroup = "kvm" | "kernel" | "cgroup" | "network" | "storage" | "services" | "hygiene" | "nix";

/** The outcome a check's judge returns. */
export type Outcome =
  /** The host honours the check. */
  | { result: "pass"; seen: string }
  /** It does not: reported at the check's severity (fail or warn). */
  | { result: "problem"; seen: string; hint?: string }
  /** Not fatal even for a fail-severity check (e.g. KVM under a hypervisor works, but nested). */
  | { result: "warn"; seen: string; hint?: string }
  /** The check does not apply here (wrong arch, nothing to look at). */
  | { result: "skip"; seen: string };

/** What the judge gets besides the facts. */
export interface JudgeContext {
  config: ContractConfig;
  /** What the nix.* checks judge substituters and keys against (the fleet's policy, the site's config, or Nix's defaults). */
  trustPolicy: TrustPolicy;
}

export interface CheckDef {
  id: string;
  group: CheckGroup;
  title: string;
  /** Why it matters for running microVMs (one or two sentences; shown in the docs). */
  why: string;
  severity: "fail" | "warn";
  profiles: readonly ProfileName[];
  /** NixOS options that satisfy the check, as set by nixosModules.host. */
  nixos: readonly string[];
  /** What to do when it does not pass (the judge may give a more specific hint). */
  hint: string;
  /**
   * When a fact the check needs could not be gathered: "fail" (the host must be
   * able to show it, and an admission gate must not let it through) or "skip"
   * (it legitimately may be unavailable, e.g. no readable kernel config).
   */
  whenUnknown: "fail" | "skip";
  judge(facts: Facts, context: JudgeContext): Outcome;
}

export type CheckStatus = "pass" | "warn" | "fail" | "skip";

export interface CheckResult {
  id: string;
  group: CheckGroup;
  title: string;
  status: CheckStatus;
  /** The value seen on the host (or why nothing could be seen). */
  seen: string;
  /** For anything not passing: what to do, and the NixOS option(s) to set. */
  hint?: string;
  nixos?: readonly string[];
  docs: string;
}

export interface ContractReport {
  schema: "hostplane.contract-report/v1";
  hostname: string;
  profile: ProfileName;
  gatheredAt: string;
  /** True when no check failed: the admission gate. */
  ok: boolean;
  summary: Record<CheckStatus, number>;
  ignored: string[];
  /** What the reader should know about how the checks were judged. */
  notes: string[];
  results: CheckResult[];
}

/** Thrown inside a judge when a probe it needs has no value; evaluate turns it into FAIL or SKIP. */
export class Unknown extends Error {
  override readonly name = "Unknown";
}

/** The probe's value, or throw Unknown carrying the probe's reason. */
export function known<T>(probe: Probe<T>, what?: string): T {
  if (probe.ok) return probe.value;
  throw new Unknown(what === undefined ? probe.reason : `${what}: ${probe.reason}`);
}

export const DOCS_PAGE = "docs/runtime/host-os.md";

/** Anchor of a check's row in the host-OS chapter. */
export function docsAnchor(id: string): string {
  return `${DOCS_PAGE}#${id.replace(/[^a-z0-9-]/g, "-")}`;
}

export const pass = (seen: string): Outcome => ({ result: "pass", seen });
export const problem = (seen: string, hint?: string): Outcome => (hint === undefined ? { result: "problem", seen } : { result: "problem", seen, hint });
export const warn = (seen: string, hint?: string): Outcome => (hint === undefined ? { result: "warn", seen } : { result: "warn", seen, hint });
export const skip = (seen: string): Outcome => ({ result: "skip", seen });

/** Both profiles, or the microVM host only. */
export const ALL_PROFILES: readonly ProfileName[] = ["microvm-host", "control-plane"];
export const MICROVM_HOST: readonly ProfileName[] = ["microvm-host"];
