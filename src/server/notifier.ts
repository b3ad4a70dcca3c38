/**
 * Wakes long-polls when a node changes. Every lifecycle write through the app
 * calls `changed(nodeId)`; a waiting `GET …/desired` re-reads the node then.
 * In-process only: with several servers behind one PostgreSQL, a change made on
 * another server is seen when the poll times out (at most `wait` seconds late).
 */
import { EventEmitter } from "node:events";

export class NodeNotifier {
  private readonly emitter = new EventEmitter();
  /** Every pending waiter's release, so close() reaches them all (a Set: O(1) removal with thousands waiting). */
  private readonly pending = new Set<() => void>();
  private closed = false;

  constructor() {
    // One listener per waiting agent: thousands are expected, not a leak.
    this.emitter.setMaxListeners(0);
  }

  changed(nodeId: string): void {
    this.emitter.emit(nodeId);
  }

  /**
   * Resolves on the next change of `nodeId`, after `timeoutMs`, when `signal`
   * aborts (the client went away) or when the notifier closes — whichever
   * comes first; always cleans up its listener and timer.
   */
  waitForChange(nodeId: string, timeoutMs: number, signal?: AbortSignal): Promise<"changed" | "timeout" | "aborted"> {
    if (this.closed) return Promise.resolve("aborted");
    if (signal?.aborted) return Promise.resolve("aborted");
    return new Promise((resolve) => {
      const done = (why: "changed" | "timeout" | "aborted") => {
        clearTimeout(timer);
        this.emitter.off(nodeId, onChange);
        this.pending.delete(onClose);
        signal?.removeEventListener("abort", onAbort);
        resolve(why);
      };
      const onChange = () => done("changed");
      const onClose = () => done("aborted");
      const onAbort = () => done("aborted");
      const timer = setTimeout(() => done("timeout"), timeoutMs);
      this.emitter.on(nodeId, onChange);
      this.pending.add(onClose);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Release every waiter (server shutdown): they answer with the current state at once. */
  close(): void {
    this.closed = true;
    for (const release of [...this.pending]) release();
  }

  /** Waiters right now (for tests and metrics). */
  waiting(): number {
    return this.pending.size;
  }
}
