/** What the agent's loops share about talking to the server: which failures to retry, and reachability logged on change. */
import { ApiProblemError } from "./api.js";
import type { AgentLog } from "./log.js";

/** A condition the agent cannot retry its way out of (refused bootstrap token, name taken, …): exit 2. */
export class AgentFatalError extends Error {
  override readonly name = "AgentFatalError";
}

export function isRetryable(err: unknown): boolean {
  return !(err instanceof ApiProblemError) || err.status === 429 || err.status === 408;
}

export function isAuthRefused(err: unknown): boolean {
  return err instanceof ApiProblemError && (err.status === 401 || err.status === 403);
}

/** Reachability of the server, logged on change only (not per retry). */
export class Link {
  private down: string | null = null;
  constructor(private readonly log: AgentLog, private readonly server: string) {}
  failed(what: string, err: unknown, retryInMs: number): void {
    const reason = (err as Error).message;
    if (this.down === null) this.log("warn", "server unreachable; retrying with backoff", { server: this.server, during: what, error: reason, retryInMs });
    this.down = reason;
  }
  ok(): void {
    if (this.down !== null) this.log("info", "server reachable again", { server: this.server });
    this.down = null;
  }
}
