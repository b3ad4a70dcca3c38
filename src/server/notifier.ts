/**
 * Wakes long-polls when a node changes. Every lifecycle write through the app
 * calls `changed(nodeId)` once it has committed; a waiting `GET …/desired`
 * re-reads the node then. This class wakes the waiters of this process only,
 * which is all a single server (SQLite) needs. With several servers behind one
 * PostgreSQL, PgNodeNotifier (notifier-pg.ts) also carries each change to the
 * other servers; the caller passes it to createApp. A spurious wake is always
 * harmless: the poll re-reads the version and waits again when it is unchanged.
 */
import { EventEmitter } from "node:events";

type WakeReason = "changed" | "timeout" | "aborted";

export class NodeNotifier {
  private readonly emitter = new EventEmitter();
  /** Every pending waiter's release, so close() and wakeAll() reach them all (a Set: O(1) removal with thousands waiting). */
  private readonly pending = new Set<(why: WakeReason) => void>();
  private closed = false;

  constructor() {
    // One listener per waiting agent: thousands are expected, not a leak.
    this.emitter.setMaxListeners(0);
  }

  changed(nodeId: string): void {
    this.wake(nodeId);
  }

  /**
   * Resolves on the next change of `nodeId`, after `timeoutMs`, when `signal`
   * aborts (the client went away) or when the notifier closes — whichever
   * comes first; always cleans up its listener and timer.
   */
  waitForChange(nodeId: string, timeoutMs: number, signal?: AbortSignal): Promise<WakeReason> {
    if (this.closed) return Promise.resolve("aborted");
    if (signal?.aborted) return Promise.resolve("aborted");
    return new Promise((resolve) => {
      const done = (why: WakeReason) => {
        clearTimeout(timer);
        this.emitter.off(nodeId, onChange);
        this.pending.delete(done);
        signal?.removeEventListener("abort", onAbort);
        resolve(why);
      };
      const onChange = () => done("changed");
      const onAbort = () => done("aborted");
      const timer = setTimeout(() => done("timeout"), timeoutMs);
      this.emitter.on(nodeId, onChange);
      this.pending.add(done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Release every waiter (server shutdown): they answer with the current state
   * at once. A subclass holding a connection resolves once it is closed.
   */
  close(): Promise<void> {
    this.closed = true;
    for (const release of [...this.pending]) release("aborted");
    return Promise.resolve();
  }

  /** Waiters right now (for tests and metrics). */
  waiting(): number {
    return this.pending.size;
  }

  /** Wake this process's waiters of `nodeId` (a change arrived from elsewhere). */
  protected wake(nodeId: string): void {
    this.emitter.emit(nodeId);
  }

  /** Wake every waiter as if its node changed: changes may have been missed, each poll re-reads. */
  protected wakeAll(): void {
    for (const release of [...this.pending]) release("changed");
  }
}
