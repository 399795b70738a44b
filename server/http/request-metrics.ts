/** Counting requests into the app's metrics: one count and one latency observation per finished response. */
import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics.ts';

/** The middleware that observes every request the app answers, labelled by route pattern, method and status. */
export function requestMetrics(metrics: Metrics): RequestHandler {
  const { requests, latency } = metrics.http;
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      // The matched route pattern, never the raw path: keeps label cardinality bounded.
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      const labels = { route, method: req.method, status: String(res.statusCode) };
      requests.inc(labels);
      latency.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}
