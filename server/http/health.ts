/** Liveness, readiness and metrics. */
import { Router } from 'express';
import type { AppContext } from '../context.ts';

/** GET /health (process up), /ready (database answers; 503 otherwise), /metrics (Prometheus). */
export function createHealthRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const ok = await ctx.db.ping(2000);
    res.status(ok ? 200 : 503).json(
      ok
        ? { status: 'ready', backend: ctx.db.backend, postgis: ctx.db.capabilities.postgisVersion }
        : { code: 'ServiceUnavailable', description: 'the database does not answer' },
    );
  });
  router.get('/metrics', async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  return router;
}
