/**
 * Bounded exponential backoff with full jitter (AWS architecture blog, "Exponential
 * Backoff and Jitter"): the n-th retry waits a uniformly random time in
 * [0, min(cap, base·2ⁿ)), so a fleet that lost the server together does not
 * come back in lockstep. Pure: randomness is injected.
 */

export interface BackoffOptions {
  /** First ceiling, ms (default 500). */
  baseMs?: number;
  /** Largest ceiling, ms (default 30 000). */
  capMs?: number;
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 500;
    this.capMs = options.capMs ?? 30_000;
    this.random = options.random ?? Math.random;
  }

  /** The ceiling of the next delay (for logs and tests). */
  ceilingMs(): number {
    // 2^attempt overflows to Infinity long after the cap is reached; min keeps it bounded.
    return Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
  }

  /** The delay before the next retry; each call raises the ceiling until the cap. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceilingMs());
    if (this.ceilingMs() < this.capMs) this.attempt++;
    return delay;
  }

  /** Back to the first ceiling after a success. */
  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms`, or at once (resolving false) when `signal` aborts; true when the time passed. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<boolean>;

export const realSleep: Sleep = (ms, signal) => new Promise((resolve) => {
  if (signal.aborted) { resolve(false); return; }
  const onAbort = () => { clearTimeout(timer); resolve(false); };
  const timer = setTimeout(() => { signal.removeEventListener("abort", onAbort); resolve(true); }, ms);
  signal.addEventListener("abort", onAbort, { once: true });
});
