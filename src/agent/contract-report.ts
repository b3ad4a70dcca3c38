/**
 * The host-contract report for heartbeats: gathered (gatherFacts, with the
 * scratch probes that cost ~0.2 s) and evaluated with the site config, in the
 * child process of contract-process.ts. Nix's trust settings come from the
 * same gather, so nix runs once per gather too.
 */
import { machine } from "node:os";
import type { ContractSummary } from "../fleet/node.js";
import { evaluateContract, gatherPlan, type ContractConfig, type ContractReport, type Facts } from "../contract/index.js";

export interface ContractSnapshot {
  report: ContractReport;
  summary: ContractSummary;
  /** Effective Nix trust settings (name → value), or `{ error }` when nix could not be asked. */
  nixTrust: Record<string, unknown>;
}

/** Pure: a gathered facts snapshot → what the agent reports. */
export function contractSnapshot(facts: Facts, config: ContractConfig): ContractSnapshot {
  const report = evaluateContract(facts, { config, profile: config.profile });
  const failing = report.results.filter((r) => r.status === "fail").map((r) => r.id);
  const nixTrust: Record<string, unknown> = facts.nix.ok
    ? Object.fromEntries(Object.entries(facts.nix.value.settings).map(([k, v]) => [k, v.value]))
    : { error: facts.nix.reason };
  return { report, summary: { ok: report.ok, failing, evaluatedAt: report.gatheredAt }, nixTrust };
}

/** Gathers this host's contract facts (the Linux adapter loads on first use). */
export async function gatherContract(config: ContractConfig): Promise<ContractSnapshot> {
  const { gatherFacts } = await import("../contract/linux/index.js");
  return contractSnapshot(await gatherFacts(gatherPlan(config, machine())), config);
}
