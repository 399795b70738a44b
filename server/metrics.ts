/**
 * Prometheus metrics: requests and latency by route and status, database pool use, tile cache. The HTTP edge
 * counts requests into `http` (server/http/request-metrics.ts); this module knows nothing of express.
 */
import client from 'prom-client';
import type { Database } from './db/database.ts';

/** The metrics of one app instance (its own registry, so tests can make several apps). */
export interface Metrics {
  registry: client.Registry;
  http: { requests: client.Counter<'route' | 'method' | 'status'>; latency: client.Histogram<'route' | 'method' | 'status'> };
  tileCache: { hits: client.Counter; misses: client.Counter };
  /** Tile statements waiting for a database slot (TILE_DB_CONCURRENCY); the tile service sets where to read it. */
  tileStatementsWaiting: { read: () => number };
}

/** Creates the registry with default process metrics, HTTP metrics and pool gauges. */
export function createMetrics(db: Database): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  for (const [name, pick] of [
    ['db_pool_used', 'used'],
    ['db_pool_free', 'free'],
    ['db_pool_pending', 'pending'],
    ['db_pool_max', 'max'],
  ] as const) {
    new client.Gauge({
      name,
      help: `database pool: ${pick} connections`,
      registers: [registry],
      collect() {
        this.set(db.poolStats()[pick]);
      },
    });
  }
  const tileCache = {
    hits: new client.Counter({ name: 'tile_cache_hits_total', help: 'tiles served from cache', registers: [registry] }),
    misses: new client.Counter({ name: 'tile_cache_misses_total', help: 'tiles rendered', registers: [registry] }),
  };
  const tileStatementsWaiting = { read: () => 0 };
  new client.Gauge({
    name: 'tile_statements_waiting',
    help: 'tile statements waiting for one of the TILE_DB_CONCURRENCY database slots',
    registers: [registry],
    collect() {
      this.set(tileStatementsWaiting.read());
    },
  });
  return { registry, http: { requests, latency }, tileCache, tileStatementsWaiting };
}
