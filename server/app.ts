/**
 * createApp: the express app over a prepared context. It never listens and never connects;
 * index.ts (and the tests) do that, so tests can start it on port 0 against a real database.
 */
import express, { type Express } from 'express';
import compression from 'compression';
import { randomUUID } from 'node:crypto';
import { pinoHttp } from 'pino-http';
import type { AppContext } from './context.ts';
import { errorMiddleware, notFoundHandler } from './http/errors.ts';
import { createHealthRouter } from './http/health.ts';
import { authenticate } from './http/auth.ts';
import { createTilesRouter } from './http/tiles.ts';
import { createOgcRouter } from './http/ogc.ts';
import { createQueryRouter } from './http/query.ts';
import { createAdminRouter } from './http/admin.ts';
import { createViewerRouter } from './http/viewer.ts';
import { securityHeaders } from './http/security-headers.ts';

/** The app and a close() that runs the context's closers (not the database's: its opener closes it). */
export interface App {
  express: Express;
  close(): Promise<void>;
}

/** Builds the express app: logging, metrics, CORS for GET, gzip, routes, one error middleware. */
export function createApp(ctx: AppContext): App {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.set('etag', false); // tiles and items set their own ETags
  app.use(
    pinoHttp({
      logger: ctx.log,
      genReqId: (req, res) => {
        const id = (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'debug'),
    }),
  );
  app.use(ctx.metrics.middleware);
  app.use(securityHeaders());
  app.use((req, res, next) => {
    // Open CORS for reads: any map client on any origin may use our tiles and features.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'ETag, Content-Crs, Link, X-Request-Id');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PATCH, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, If-None-Match, Accept');
      res.setHeader('Access-Control-Max-Age', '86400');
      res.status(204).end();
      return;
    }
    next();
  });
  app.use(compression({ threshold: 512 }));
  app.use(createHealthRouter(ctx));
  app.use(authenticate(ctx));
  app.use(createTilesRouter(ctx));
  app.use(createQueryRouter(ctx));
  app.use(createAdminRouter(ctx));
  app.use(createViewerRouter(ctx));
  app.use(createOgcRouter(ctx));
  app.use(notFoundHandler);
  app.use(errorMiddleware);
  return {
    express: app,
    async close() {
      for (const fn of [...ctx.onClose].reverse()) await fn().catch((err) => ctx.log.warn({ err }, 'close step failed'));
    },
  };
}
