/** Entry point: loadConfig -> start (database, catalog, app) -> listen; graceful stop on SIGTERM/SIGINT. */
import { ConfigError, loadConfig } from './config.ts';
import { LayerDefinitionError } from './catalog/definition.ts';
import { createLogger } from './log.ts';
import { startServer } from './server.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`configuration error: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
const log = createLogger(config.logLevel);
try {
  const server = await startServer(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: finishing requests in flight');
    const force = setTimeout(() => {
      log.warn('requests still running after 25 s; exiting');
      process.exit(1);
    }, 25_000);
    force.unref();
    server.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (err) {
  if (err instanceof LayerDefinitionError) log.fatal(`bad layer definition: ${err.message}`);
  else log.fatal({ err }, `start failed: ${(err as Error).message}`);
  process.exit(1);
}
