/**
 * Cost limits of expensive requests: a slot from the gate (per client address and in total), then the work under
 * its deadline. The work gets one AbortSignal that fires when the client goes away or the deadline passes; the
 * database layer cancels its statement on it (pg_cancel_backend on the server backend). The slot is given back only
 * when the work has settled, i.e. once the database has really stopped, so a cancelled query cannot outlive its slot.
 */
import { expensiveTotal, type Config } from '../config.ts';
import { QueryTimeoutError } from '../errors.ts';
import type { Cost } from './costs.ts';
import { ExpensiveGate } from './gate.ts';

/** The cost gate and deadlines of one app instance. */
export class CostLimits {
  readonly gate: ExpensiveGate;

  /** The configuration is read at every request, so a running server (or a test) can change it. */
  constructor(private readonly config: Config) {
    this.gate = new ExpensiveGate(() => ({
      perClient: config.limitExpensivePerClient,
      total: expensiveTotal(config),
      queueMs: config.limitExpensiveQueueMs,
    }));
  }

  /**
   * Runs `work` for `client` (its address). An ordinary request (cost null) runs at once with the client's signal;
   * an expensive one first takes a slot (LimitExceededError / OverloadedError when none comes) and runs under its
   * deadline. `delivered` tells whether the work already answered the client: an answer sent whole is not turned
   * into a timeout afterwards.
   */
  async run<T>(
    cost: Cost | null,
    client: string,
    clientSignal: AbortSignal,
    work: (signal: AbortSignal) => Promise<T>,
    delivered = () => false,
  ): Promise<T> {
    if (!cost) return work(clientSignal);
    const release = await this.gate.acquire(client, cost.what, clientSignal);
    try {
      return cost.deadlineMs === null
        ? await work(clientSignal)
        : await underDeadline(cost, cost.deadlineMs, clientSignal, work, delivered);
    } finally {
      release();
    }
  }
}

/** The 503 of a request past its deadline; Retry-After is the deadline in whole seconds (a retry may take as long). */
export function deadlineError(cost: Cost, ms: number): QueryTimeoutError {
  return new QueryTimeoutError(
    `${cost.what} took longer than its deadline of ${ms} ms (${cost.deadlineSetting}) and was cancelled; ` +
      `ask for a smaller area or fewer features, or raise ${cost.deadlineSetting}`,
    Math.max(1, Math.ceil(ms / 1000)),
  );
}

/**
 * Runs `work` with a signal that also fires at the deadline. The embedded database runs on this thread and cannot be
 * interrupted, so the deadline is also checked when the work returns: both backends answer an overrun alike.
 */
async function underDeadline<T>(
  cost: Cost,
  ms: number,
  clientSignal: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
  delivered: () => boolean,
): Promise<T> {
  const deadline = AbortSignal.timeout(ms);
  const signal = AbortSignal.any([clientSignal, deadline]);
  const started = performance.now();
  const overdue = () => !clientSignal.aborted && (deadline.aborted || performance.now() - started > ms);
  let result: T;
  try {
    result = await work(signal);
  } catch (err) {
    if (overdue()) throw deadlineError(cost, ms);
    throw err;
  }
  if (overdue() && !delivered()) throw deadlineError(cost, ms);
  return result;
}
