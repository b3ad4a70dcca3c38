/**
 * Delivers operation events to the server in order, one at a time, retrying
 * with backoff while the server is unreachable. Each event resolves with how
 * it ended: delivered; stale (409 stale-operation, or 404: the server no
 * longer has the operation for this node); dropped (refused otherwise, or
 * the agent is stopping). The engine waits for it before activation and lets
 * it run behind afterwards.
 */
import { ApiProblemError, type OperationApi, type OperationEvent } from "../api.js";
import { Backoff, type Sleep } from "../backoff.js";
import type { AgentLog } from "../log.js";

export type Delivery = "delivered" | "stale" | "dropped";

interface Pending {
  opId: string;
  event: OperationEvent;
  done: (d: Delivery) => void;
}

export function isStale(err: unknown): boolean {
  return err instanceof ApiProblemError && (err.code === "stale-operation" || err.status === 404 || err.status === 409);
}

export class EventReporter {
  private readonly queue: Pending[] = [];
  private pumping = false;

  constructor(private readonly o: { api: OperationApi; nodeId: string; log: AgentLog; sleep: Sleep; signal: AbortSignal; random?: () => number }) {}

  send(opId: string, event: OperationEvent): Promise<Delivery> {
    return new Promise((done) => {
      this.queue.push({ opId, event, done });
      if (!this.pumping) void this.pump();
    });
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    const backoff = new Backoff({ baseMs: 500, capMs: 10_000, ...(this.o.random ? { random: this.o.random } : {}) });
    let warned = false;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (this.o.signal.aborted) { this.queue.shift(); head.done("dropped"); continue; }
        try {
          await this.o.api.operationEvent(this.o.nodeId, head.opId, head.event);
          this.queue.shift();
          backoff.reset();
          if (warned) this.o.log("info", "operation events delivered again", { operation: head.opId });
          warned = false;
          head.done("delivered");
        } catch (err) {
          if (err instanceof ApiProblemError && err.status !== 429 && err.status !== 408) {
            this.queue.shift();
            const stale = isStale(err);
            this.o.log("warn", stale ? "the server refuses events of this operation as stale" : "the server refused an operation event", { operation: head.opId, step: head.event.step, epoch: head.event.epoch, error: err.message });
            head.done(stale ? "stale" : "dropped");
            continue;
          }
          const delay = backoff.next();
          if (!warned) this.o.log("warn", "cannot deliver an operation event; retrying with backoff", { operation: head.opId, step: head.event.step, error: (err as Error).message, retryInMs: delay });
          warned = true;
          await this.o.sleep(delay, this.o.signal);
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}
