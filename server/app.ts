/**
 * createApp: the express app over a prepared context. It never listens and never connects;
 * index.ts (and the tests) do that, so tests can start it on port 0 against a real database.
 */
import express, { type Express } from 'express';
import compression from 'compression';
import { pinoHttp } from 'pino-http';
import type { AppContext } from './context.ts';
import { FeatureService } from './features/service.ts';
import { QueryService } from './query/service.ts';
import { SearchService } from './search/service.ts';
import { TileService } from './tiles/service.ts';
import { corsMiddleware } from './http/cors.ts';
import { requestMetrics } from './http/request-metrics.ts';
import { errorMiddleware, notFoundHandler } from './http/errors.ts';
import { createHealthRouter } from './http/health.ts';
import { Authenticator } from './http/auth.ts';
import { createTilesRouter } from './http/tiles.ts';
import { createOgcRouter } from './http/ogc.ts';
import { createQueryRouter } from './http/query.ts';
import { createAdminRouter, type AdminServices } from './http/admin.ts';
import { createUploadService } from './upload/service.ts';
import { createViewerRouter } from './http/viewer.ts';
import { CostLimits } from './limits/limits.ts';
import { createStylesRouter } from './http/styles.ts';
import { createUnitsRouter } from './http/units.ts';
import { securityHeaders } from './http/security-headers.ts';
import { requestIdOf } from './http/request-id.ts';
import { EditService } from './edit/service.ts';
import { createEditRouter } from './http/edit.ts';
import { createOpenDataRouter } from './http/opendata.ts';
import { DownloadService } from './opendata/download.ts';
import { createSourcesRouter, sourceErrors } from './http/sources.ts';
import { watchSources } from './sources/watch.ts';

/** The domain services of one app instance, built once by createApp and handed to the routes that use them. */
export interface AppServices extends AdminServices {
  tiles: TileService;
  features: FeatureService;
  queries: QueryService;
  search: SearchService;
  /** One cost gate for every expensive endpoint: they share the database pool. */
  limits: CostLimits;
  /** Feature edits (OGC API Features Part 4) with history. */
  edits: EditService;
  /** Open-data downloads and their counters. */
  downloads: DownloadService;
}

/** The app, its services (the server hands `tiles` to the fast path) and a close() that runs the context's closers. */
export interface App {
  express: Express;
  /** The services built here and handed to the routes (tests reach the throttle, the jobs and the cost gate through them). */
  services: AppServices;
  /** The cost gate of expensive requests (server/limits/), shared by their routes; tests read and fill it. */
  limits: CostLimits;
  close(): Promise<void>;
}

/** Builds the services over the context. The tile service starts listening for edits now (closers in ctx.onClose). */
export function createServices(ctx: AppContext): AppServices {
  const search = new SearchService(ctx.db, ctx.catalog);
  return {
    tiles: new TileService(ctx),
    features: new FeatureService(ctx.db),
    queries: new QueryService(ctx.db),
    search,
    auth: new Authenticator(ctx.db),
    uploads: createUploadService(ctx),
    limits: new CostLimits(ctx.config),
    // Edits keep the search index current feature by feature, in their own transaction (the search index port).
    edits: new EditService(ctx.db, search.builder),
    downloads: new DownloadService(ctx.db),
  };
}

/**
 * Builds the express app: logging, metrics, CORS, gzip, routes, one error middleware. This function is the wiring
 * of the whole app: every service is built here and passed to the routers that use it. (The closers of the database
 * are not run by close(): its opener closes it.)
 */
export function createApp(ctx: AppContext): App {
  const services = createServices(ctx);
  watchSources(ctx, services.tiles);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy); // TRUST_PROXY: forwarded headers count only from these peers
  app.set('etag', false); // tiles and items set their own ETags
  app.use(
    pinoHttp({
      logger: ctx.log,
      genReqId: (req, res) => {
        const id = requestIdOf(req);
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'debug'),
    }),
  );
  app.use(requestMetrics(ctx.metrics));
  app.use(securityHeaders());
  app.use(corsMiddleware());
  app.use(compression({ threshold: 512 }));
  app.use(createHealthRouter(ctx));
  app.use(services.auth.middleware());
  app.use(createTilesRouter(ctx, services.tiles, services.limits));
  app.use(createQueryRouter(ctx, services.queries, services.search, services.limits));
  app.use(createUnitsRouter(ctx));
  app.use(createSourcesRouter(ctx));
  app.use(createAdminRouter(ctx, services));
  app.use(createViewerRouter(ctx));
  app.use(createStylesRouter(ctx));
  app.use(createEditRouter(ctx, services.edits, () => services.tiles.changesSeen()));
  app.use(createOpenDataRouter(ctx, services.downloads, services.limits));
  app.use(createOgcRouter(ctx, services.features, services.limits));
  app.use(notFoundHandler);
  app.use(sourceErrors(ctx));
  app.use(errorMiddleware);
  return {
    express: app,
    services,
    limits: services.limits,
    async close() {
      for (const fn of [...ctx.onClose].reverse()) await fn().catch((err) => ctx.log.warn({ err }, 'close step failed'));
    },
  };
}
