/**
 * The host-contract report for heartbeats: gathered (gatherFacts, with the
 * scratch probes that cost ~0.2 s) at most every `intervalMs`, evaluated with
 * the site config; heartbeats in between reuse the last one. Nix's trust
 * settings come from the same gather, so nix runs once per interval too.
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

/** Remembers the last snapshot and gathers again only when it is older than `intervalMs`. */
export class ContractCache {
  private last: { at: number; snapshot: ContractSnapshot } | undefined;
  private pending: Promise<ContractSnapshot> | undefined;

  constructor(
    private readonly gather: () => Promise<ContractSnapshot>,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<ContractSnapshot> {
    if (this.last && this.now() - this.last.at < this.intervalMs) return this.last.snapshot;
    // Concurrent callers share one gather.
    this.pending ??= this.gather().then((snapshot) => {
      this.last = { at: this.now(), snapshot };
      return snapshot;
    }).finally(() => { this.pending = undefined; });
    return this.pending;
  }
}
