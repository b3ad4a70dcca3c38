/**
 * One operation at a time, each applied at most once. At start it resumes
 * whatever the journals left unfinished and re-reports the newest outcome;
 * then it takes operations from the desired state: one already journaled as
 * finished only has its outcome reported again; one whose epoch is not above
 * the last accepted (the highest in any journal) is refused; a new one is
 * applied. The agent's heartbeats and long-poll go on meanwhile.
 */
import type { AgentLog } from "../log.js";
import type { Operation } from "../wire.js";
import type { ApplyEngine, Outcome } from "./engine.js";
import type { Journal, JournalRead } from "./journal.js";
import { isTerminal } from "./steps.js";

/**
 * Finished journals kept on the node (the newest ones): enough for an operator reading the node's own record
 * after an incident; the server keeps every step anyway. Unfinished journals and the newest one (which holds the
 * last accepted epoch) are never removed.
 */
export const KEEP_FINISHED_JOURNALS = 20;

export class OperationRunner {
  private chain: Promise<void> = Promise.resolve();
  /** Work queued or running (start-up resumes included). */
  private pending = 0;
  private lastEpoch = 0;
  /** Ids queued or running, and ids already dealt with by this process (applied, re-reported or refused). */
  private readonly busy = new Set<string>();
  private readonly settled = new Set<string>();

  constructor(private readonly o: { engine: ApplyEngine; journal: Journal; log: AgentLog; signal: AbortSignal; onOutcome?: (outcome: Outcome) => void }) {}

  /** Resumes unfinished journals (oldest first) and re-reports the newest finished one; later offers wait for it. */
  start(): void {
    this.enqueue(async () => {
      const { journals, errors } = await this.o.journal.list();
      for (const e of errors) this.o.log("error", "an operation journal cannot be read; it is ignored", { error: e.message });
      this.lastEpoch = journals.reduce((m, j) => Math.max(m, j.op.epoch), 0);
      const newest = journals.at(-1);
      for (const j of journals) {
        if (this.o.signal.aborted) return;
        if (!isTerminal(j.last.step) || j === newest) await this.resume(j);
      }
      await this.prune(journals);
    });
  }

  /** Removes finished journals beyond the newest KEEP_FINISHED_JOURNALS (journals: oldest first). */
  private async prune(journals: readonly JournalRead[]): Promise<void> {
    const finished = journals.slice(0, -1).filter((j) => isTerminal(j.last.step));
    const old = finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED_JOURNALS));
    for (const j of old) {
      try {
        await this.o.journal.remove(j.id);
      } catch (err) {
        this.o.log("warn", "cannot remove an old operation journal", { operation: j.id, error: (err as Error).message });
      }
    }
    if (old.length > 0) this.o.log("info", "removed old operation journals", { removed: old.length, kept: journals.length - old.length });
  }

  /** Takes an operation from the desired state (called on every desired state; repeats are ignored). */
  offer(op: Operation): void {
    if (this.busy.has(op.id) || this.settled.has(op.id)) return;
    this.busy.add(op.id);
    this.enqueue(async () => {
      // Offered again while the start-up resumed it.
      if (this.settled.has(op.id)) return;
      const journaled = await this.o.journal.read(op.id);
      if (journaled !== null) { await this.resume(journaled); return; }
      if (op.epoch <= this.lastEpoch) {
        this.settled.add(op.id);
        this.o.log("warn", "refusing an operation whose epoch is not above the last accepted one", { operation: op.id, epoch: op.epoch, lastAcceptedEpoch: this.lastEpoch });
        return;
      }
      this.lastEpoch = op.epoch;
      const started = Date.now();
      const outcome = await this.o.engine.apply(op);
      this.o.log("info", "operation ended", { operation: op.id, epoch: op.epoch, outcome, durationMs: Date.now() - started });
      if (outcome !== "stopped") this.ended(op.id, outcome);
    }, op.id);
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** True when nothing is queued or running now (no operation could be cut short). */
  quiet(): boolean {
    return this.pending === 0;
  }

  private async resume(j: JournalRead): Promise<void> {
    this.busy.add(j.id);
    try {
      const outcome = await this.o.engine.recover(j);
      this.o.log("info", isTerminal(j.last.step) ? "operation outcome reported again" : "resumed operation ended", { operation: j.id, epoch: j.op.epoch, outcome });
      if (outcome !== "stopped") this.ended(j.id, outcome);
    } finally {
      this.busy.delete(j.id);
    }
  }

  private ended(id: string, outcome: Outcome): void {
    this.settled.add(id);
    this.o.onOutcome?.(outcome);
  }

  private enqueue(work: () => Promise<void>, id?: string): void {
    this.pending++;
    this.chain = this.chain.then(async () => {
      try {
        if (this.o.signal.aborted) return;
        await work();
      } catch (err) {
        this.o.log("error", "applying an operation failed unexpectedly; the journal keeps where it stood and the agent resumes it at its next start", { operation: id, error: (err as Error).message });
      } finally {
        if (id !== undefined) this.busy.delete(id);
        this.pending--;
      }
    });
  }
}
