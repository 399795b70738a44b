/**
 * Slows down guessing: failed authentications are counted per client address in a sliding window; past a
 * threshold every further attempt from that address is refused with 429 for a lock time that doubles with each
 * failure (capped), whether the next token would be right or not. In memory, per instance: a cluster behind a
 * load balancer multiplies the budget by its instance count, which is still far from brute-forcing 256 bits.
 */

/** Tunables of the throttle (times in milliseconds). */
export interface ThrottleOptions {
  /** Failures allowed in the window before the address is locked. */
  maxFailures: number;
  /** The window in which failures are counted. */
  windowMs: number;
  /** The first lock; each further failure doubles it. */
  baseLockMs: number;
  /** The longest lock. */
  maxLockMs: number;
}

/** Defaults: 10 failures in 15 minutes, then locks from 1 s doubling to 15 minutes. */
export const defaultThrottleOptions: ThrottleOptions = {
  maxFailures: 10,
  windowMs: 15 * 60_000,
  baseLockMs: 1_000,
  maxLockMs: 15 * 60_000,
};

interface Entry {
  failures: number[];
  lockedUntil: number;
}

/** Failure counter per address. */
export class AuthThrottle {
  private entries = new Map<string, Entry>();

  constructor(
    private readonly options: ThrottleOptions = defaultThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds this address must wait before it may try again; 0 when it may try now. */
  retryAfterMs(address: string): number {
    const e = this.entries.get(address);
    return e ? Math.max(0, e.lockedUntil - this.now()) : 0;
  }

  /** Counts one failure and locks the address once it is past the threshold. */
  fail(address: string): void {
    const t = this.now();
    const e = this.entries.get(address) ?? { failures: [], lockedUntil: 0 };
    e.failures = e.failures.filter((f) => f > t - this.options.windowMs);
    e.failures.push(t);
    const over = e.failures.length - this.options.maxFailures;
    if (over >= 0) e.lockedUntil = t + Math.min(this.options.maxLockMs, this.options.baseLockMs * 2 ** Math.min(over, 30));
    this.entries.set(address, e);
    if (this.entries.size > 10_000) this.prune(t);
  }

  /** Forgets the failures of an address after a success. */
  succeed(address: string): void {
    this.entries.delete(address);
  }

  /** Forgets everything (tests, and an operator's reset). */
  reset(): void {
    this.entries.clear();
  }

  private prune(t: number): void {
    for (const [k, e] of this.entries) {
      if (e.lockedUntil < t && e.failures.every((f) => f <= t - this.options.windowMs)) this.entries.delete(k);
    }
  }
}
