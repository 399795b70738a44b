/** What every part of the app is given: configuration, database, catalog, logger, metrics. */
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { Catalog } from './catalog/catalog.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';

/** The shared, long-lived objects of one server instance. */
export interface AppContext {
  config: Config;
  db: Database;
  catalog: Catalog;
  log: Logger;
  metrics: Metrics;
  /** Closers run by app.close(), last registered first (caches, listeners, jobs). */
  onClose: Array<() => Promise<void>>;
}
