/**
 * Start-up, shared by `server/index.ts` and the tests: open (and migrate) the database, apply the
 * built-in layer definitions, seed the demo data when asked, load the catalog, build the app, listen.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { applyLayerDefinitions, Catalog } from './catalog/catalog.ts';
import { loadLayerDefinitions } from './catalog/definition.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { createApp, type App } from './app.ts';
import { createTileFastPath } from './http/tiles.ts';
import { listenMetrics } from './http/health.ts';
import { answerClientError } from './http/client-error.ts';
import type { AppContext } from './context.ts';
import { hasDemoData, seedDemo } from './seed/demo.ts';

/** A running server. */
export interface RunningServer {
  url: string;
  ctx: AppContext;
  app: App;
  http: http.Server;
  /** Stops accepting, lets requests in flight finish, then closes caches and the database. */
  close(): Promise<void>;
}

/** Opens the database and prepares catalog and data; the app is not built yet. */
export async function loadContext(config: Config, log: Logger = createLogger(config.logLevel)): Promise<AppContext> {
  const definitions = loadLayerDefinitions(config.layersDir); // fail fast on a bad file, before connecting
  const started = Date.now();
  const db = await openDatabase(config);
  try {
    await applyLayerDefinitions(db, definitions);
    const seed = config.seedDemo === 'always' || (config.seedDemo === 'auto' && db.backend === 'embedded');
    if (seed && !(await hasDemoData(db))) {
      log.info({ scale: config.seedScale }, 'loading demo data (first start)');
      const report = await seedDemo(db, { scale: config.seedScale, log });
      log.info({ report }, 'demo data loaded');
    }
    const catalog = new Catalog(db);
    await catalog.load();
    const ctx: AppContext = { config, db, catalog, log, metrics: createMetrics(db), onClose: [] };
    await catalog.watch((err) => log.error({ err }, 'catalog reload failed'));
    ctx.onClose.push(() => catalog.close());
    log.info(
      { ms: Date.now() - started, layers: catalog.list({ role: 'admin', tokenId: '', name: '' }).length },
      'database ready',
    );
    return ctx;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** Starts the HTTP server on the configured port (0 = any free port). */
export async function startServer(config: Config, log?: Logger): Promise<RunningServer> {
  const ctx = await loadContext(config, log);
  const app = createApp(ctx);
  // Public XYZ tiles are answered straight from node:http: cached ones at 3-4x the tiles/s of the express stack, cold
  // ones for a third less Node CPU; everything else (and a tile that fails there, with its error) goes through the app.
  const fastTile = createTileFastPath(ctx, app.services.tiles, app.express);
  const server = http.createServer((req, res) => {
    if (!fastTile(req, res)) app.express(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const metrics = await listenMetrics(ctx); // METRICS_LISTEN: /metrics on its own address
  if (metrics) ctx.onClose.push(() => new Promise((resolve) => metrics.server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${port}`;
  const { db, capabilities } = { db: ctx.db, capabilities: ctx.db.capabilities };
  ctx.log.info(
    {
      backend: db.backend === 'server' ? 'PostgreSQL server (DATABASE_URL)' : `embedded PGlite (${config.dataDir})`,
      postgres: capabilities.postgresVersion,
      postgis: capabilities.postgisVersion,
      tileEncoder: capabilities.mvt ? 'PostGIS ST_AsMVT' : 'Node (vt-pbf)',
      viewer: `${config.publicUrl || url}/viewer/`,
    },
    `listening on ${url}; viewer at ${config.publicUrl || url}/viewer/`,
  );
  let closing: Promise<void> | null = null;
  return {
    url,
    ctx,
    app,
    http: server,
    close() {
      closing ??= (async () => {
        // Requests in flight get a grace period; keep-alive connections that stay open past it are cut.
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (!(await within(drained, closeGraceMs))) {
          ctx.log.warn({ graceMs: closeGraceMs }, 'requests still open at shutdown; closing their connections');
          server.closeAllConnections();
          await drained;
        }
        if (!(await within(app.close(), closeGraceMs))) ctx.log.warn('closing caches and listeners took too long');
        if (!(await within(ctx.db.close(), closeGraceMs)))
          ctx.log.warn('closing the database took too long (a connection was not released)');
      })();
      return closing;
    },
  };
}

/** How long each shutdown step may take before it is cut short (ms). */
const closeGraceMs = 10_000;

/** Resolves true when `p` settles within `ms`, false otherwise (`p` keeps running). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      p.then(
        () => true as const,
        () => true as const,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export type { Database };
