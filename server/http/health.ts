/**
 * Liveness, readiness and metrics. /metrics tells about traffic and layers, so it can be protected: METRICS_TOKEN
 * asks for a bearer token (compared in constant time), and METRICS_LISTEN moves it to a separate listener (an
 * address the public cannot reach), in which case the public port answers 404 for it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { AppContext } from '../context.ts';
import { splitHostPort } from '../config.ts';

/** True when `authorization` carries METRICS_TOKEN as a bearer token (or no token is configured). */
export function metricsAuthorized(authorization: string | undefined, token: string): boolean {
  if (!token) return true;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  // Hash both sides: timingSafeEqual needs equal lengths, and the length of the secret must not leak either.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return m !== null && timingSafeEqual(digest(m[1]), digest(token));
}

async function answerMetrics(ctx: AppContext, authorization: string | undefined, res: http.ServerResponse): Promise<void> {
  if (!metricsAuthorized(authorization, ctx.config.metricsToken)) {
    res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="metrics"' });
    res.end(
      JSON.stringify({
        code: 'Unauthorized',
        description: 'GET /metrics needs the METRICS_TOKEN (Authorization: Bearer <token>)',
      }),
    );
    return;
  }
  const body = await ctx.metrics.registry.metrics();
  res.writeHead(200, { 'Content-Type': ctx.metrics.registry.contentType });
  res.end(body);
}

/** GET /health (process up), /ready (database answers; 503 otherwise), /metrics (Prometheus, unless METRICS_LISTEN). */
export function createHealthRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const ok = await ctx.db.ping(2000);
    res
      .status(ok ? 200 : 503)
      .json(
        ok
          ? { status: 'ready', backend: ctx.db.backend, postgis: ctx.db.capabilities.postgisVersion }
          : { code: 'ServiceUnavailable', description: 'the database does not answer' },
      );
  });
  if (!ctx.config.metricsListen) {
    router.get('/metrics', async (req, res) => {
      await answerMetrics(ctx, req.headers.authorization, res);
    });
  }
  return router;
}

/** The separate /metrics listener of METRICS_LISTEN (null when unset); close it with the server. */
export async function listenMetrics(ctx: AppContext): Promise<{ server: http.Server; url: string } | null> {
  if (!ctx.config.metricsListen) return null;
  const { host, port } = splitHostPort(ctx.config.metricsListen);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: 'NotFound', description: 'this listener serves GET /metrics only' }));
      return;
    }
    answerMetrics(ctx, req.headers.authorization, res).catch((err: unknown) => {
      ctx.log.error({ err }, 'metrics failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${shown}:${address.port}/metrics` };
}
