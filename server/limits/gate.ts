/**
 * The gate of expensive requests: at most `perClient` running at once per client address and `total` in all, so
 * that one address (or an anonymous crowd) cannot take every database connection from tiles, small items pages and
 * identify. A request over a cap waits up to `queueMs` for a slot, first come first served, then is refused: 429
 * (LimitExceededError) when its own address holds its share, 503 (OverloadedError) when the server is full.
 */
import { ClientGoneError, LimitExceededError, OverloadedError } from '../errors.ts';

/** The caps, read at every admission (tests and operators may change the configuration of a running server). */
export interface GateLimits {
  perClient: number;
  total: number;
  /** Longest wait for a slot (ms); 0 refuses at once. */
  queueMs: number;
}

/** Gives a slot back; calling it twice is harmless. */
export type Release = () => void;

/** A client may have this many requests per running slot waiting; more are refused at once (bounded memory). */
const waitingPerSlot = 4;

/** Seconds a refused client is asked to wait (Retry-After): expensive requests take seconds. */
export const retryAfterSeconds = 2;

interface Waiter {
  client: string;
  grant: (release: Release) => void;
  refuse: (err: Error) => void;
}

/** Counts running expensive requests per client address and in total; hands out slots in arrival order. */
export class ExpensiveGate {
  private running = 0;
  private readonly perClient = new Map<string, number>();
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limits: () => GateLimits) {}

  /** Running and waiting requests (for tests and metrics). */
  stats(): { running: number; waiting: number; clients: number } {
    return { running: this.running, waiting: this.waiting.length, clients: this.perClient.size };
  }

  /**
   * A slot for `client` (its address) to run `what` (named in messages). Resolves at once when both caps allow it,
   * or after waiting; rejects with LimitExceededError or OverloadedError, or ClientGoneError when `signal` aborts
   * while waiting.
   */
  acquire(client: string, what: string, signal?: AbortSignal): Promise<Release> {
    signal?.throwIfAborted();
    const limits = this.limits();
    if (this.fits(client, limits)) return Promise.resolve(this.take(client));
    const queued = this.waiting.filter((w) => w.client === client).length;
    if (
      limits.queueMs === 0 ||
      queued >= waitingPerSlot * limits.perClient ||
      this.waiting.length >= waitingPerSlot * limits.total
    ) {
      return Promise.reject(this.refusal(client, what, limits));
    }
    return new Promise<Release>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
      };
      const waiter: Waiter = {
        client,
        grant: (release) => {
          leave();
          resolve(release);
        },
        refuse: (err) => {
          leave();
          reject(err);
        },
      };
      const onAbort = () => waiter.refuse(new ClientGoneError());
      const timer = setTimeout(() => waiter.refuse(this.refusal(client, what, this.limits())), limits.queueMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private fits(client: string, limits: GateLimits): boolean {
    return this.running < limits.total && (this.perClient.get(client) ?? 0) < limits.perClient;
  }

  private take(client: string): Release {
    this.running++;
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const n = (this.perClient.get(client) ?? 1) - 1;
      if (n > 0) this.perClient.set(client, n);
      else this.perClient.delete(client);
      this.admitWaiting();
    };
  }

  /** Hands freed slots to the longest-waiting requests that fit (a client at its cap does not hold up others). */
  private admitWaiting(): void {
    const limits = this.limits();
    for (const w of [...this.waiting]) {
      if (this.running >= limits.total) return;
      if (this.fits(w.client, limits)) w.grant(this.take(w.client));
    }
  }

  /** 429 when this client holds its share, else 503: the message names the cap and the setting that raises it. */
  private refusal(client: string, what: string, limits: GateLimits): Error {
    if ((this.perClient.get(client) ?? 0) >= limits.perClient) {
      return new LimitExceededError(
        `${what}: client ${client} already runs ${limits.perClient} expensive requests, the most one address may run at once ` +
          `(LIMIT_EXPENSIVE_PER_CLIENT=${limits.perClient}); wait for them to finish`,
        retryAfterSeconds,
      );
    }
    return new OverloadedError(
      `${what}: the server already runs ${limits.total} expensive requests, its limit (LIMIT_EXPENSIVE_TOTAL=${limits.total}, ` +
        'or DB_POOL_SIZE minus LIMIT_POOL_RESERVE); try again shortly',
      retryAfterSeconds,
    );
  }
}
