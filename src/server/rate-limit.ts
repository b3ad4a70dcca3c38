/**
 * Failed-authentication limiter: one token bucket per client address. Every
 * failure takes a token; an empty bucket refuses further attempts from that
 * address (429 with Retry-After) until it refills, so guessing secrets costs
 * minutes per handful of tries. Successful requests never consume.
 */

export interface RateLimitConfig {
  /** Failures allowed in a burst (bucket size). */
  burst: number;
  /** Tokens added back per minute. */
  perMinute: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Sweep full buckets once the map is this large, so spoofed-looking address churn cannot grow it without bound. */
const SWEEP_AT = 10_000;

export class FailureLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly config: RateLimitConfig, private readonly now: () => number) {}

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const tokens = this.refill(key);
    if (tokens >= 1) return 0;
    return Math.max(1, Math.ceil(((1 - tokens) * 60) / this.config.perMinute));
  }

  /** Record one failed attempt from `key`. */
  fail(key: string): void {
    const tokens = this.refill(key);
    this.buckets.set(key, { tokens: Math.max(0, tokens - 1), at: this.now() });
    if (this.buckets.size > SWEEP_AT) this.sweep();
  }

  private refill(key: string): number {
    const b = this.buckets.get(key);
    if (!b) return this.config.burst;
    const elapsedMin = Math.max(0, this.now() - b.at) / 60_000;
    return Math.min(this.config.burst, b.tokens + elapsedMin * this.config.perMinute);
  }

  private sweep(): void {
    for (const key of [...this.buckets.keys()]) if (this.refill(key) >= this.config.burst) this.buckets.delete(key);
  }
}
