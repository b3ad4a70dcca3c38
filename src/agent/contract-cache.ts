/**
 * The host-contract report for heartbeats, gathered at most every
 * `intervalMs` (default 5 minutes); heartbeats in between reuse the last one.
 */
import type { ContractSnapshot } from "./contract-report.js";

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
