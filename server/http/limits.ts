/**
 * The HTTP side of the cost limits (server/limits/): who the client is, when it has gone, and how large a query
 * body may be. Route handlers wrap the work of an expensive request in `withCostLimits`; the domain errors it
 * raises (LimitExceededError 429, OverloadedError 503, QueryTimeoutError 503, each with Retry-After) reach the one
 * error middleware like any other.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config.ts';
import { PayloadTooLargeError } from '../errors.ts';
import type { Cost } from '../limits/costs.ts';
import type { CostLimits } from '../limits/limits.ts';

/** The key of the per-client cap: the address as the app sees it (req.ip, which honours the proxy settings). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** A signal that fires when the client goes away before its response is complete. */
export function clientGoneSignal(res: Response): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  return ac.signal;
}

/**
 * Runs the work of a request under the cost limits: at once when `cost` is null, else in a slot and under its
 * deadline. The work's signal fires when the client goes away (`signal`, by default one made from `res`) or the
 * deadline passes; an answer already sent is never turned into an error afterwards.
 */
export function withCostLimits<T>(
  limits: CostLimits,
  req: Request,
  res: Response,
  cost: Cost | null,
  work: (signal: AbortSignal) => Promise<T>,
  signal = clientGoneSignal(res),
): Promise<T> {
  if (!cost) return work(signal); // the ordinary path (a cold tile, a small page) pays for nothing else
  return limits.run(cost, clientAddress(req), signal, work, () => res.headersSent);
}

/**
 * 413 before a POST /query/* body is read when its Content-Length is over LIMIT_QUERY_BODY_BYTES (express.json has
 * the same limit for bodies sent without a length).
 */
export function queryBodySize(config: Config): RequestHandler {
  return (req, _res, next) => {
    const length = Number(req.headers['content-length']);
    const max = config.limitQueryBodyBytes;
    if (Number.isFinite(length) && length > max) {
      const what = `the body of ${req.method} ${req.path} is ${length} bytes`;
      return next(
        new PayloadTooLargeError(`${what}, over the limit of ${max} bytes (LIMIT_QUERY_BODY_BYTES); send a simpler geometry`),
      );
    }
    next();
  };
}
