/**
 * Real servers for integration tests, one per backend for the whole run: embedded PGlite (always) and
 * the PostgreSQL server of DATABASE_URL (when set; unreachable fails, it does not skip).
 */
import { loadConfig, type Config } from '../../server/config.ts';
import { startServer, type RunningServer } from '../../server/server.ts';
import { createLogger } from '../../server/log.ts';
import { serverDatabaseUrl } from './environment.ts';

export type BackendName = 'embedded' | 'server';

/** The backends this run tests. */
export const backends: BackendName[] = serverDatabaseUrl ? ['embedded', 'server'] : ['embedded'];

/** Demo scale of the test data: small enough for the embedded start, large enough to be real. */
export const testSeedScale = Number(process.env.TEST_SEED_SCALE ?? '0.25');

const started = new Map<BackendName, Promise<RunningServer>>();

/** The configuration a test server of this backend runs with. */
export function testConfig(backend: BackendName, overrides: Partial<Config> = {}): Config {
  return loadConfig(
    { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
    {
      port: 0,
      host: '127.0.0.1',
      databaseUrl: backend === 'server' ? serverDatabaseUrl : '',
      dataDir: 'memory://',
      seedDemo: 'always',
      seedScale: testSeedScale,
      ...overrides,
    },
  );
}

/** The shared running server of a backend, started on first use. */
export function sharedServer(backend: BackendName): Promise<RunningServer> {
  let p = started.get(backend);
  if (!p) {
    const config = testConfig(backend);
    p = startServer(config, createLogger(config.logLevel));
    started.set(backend, p);
  }
  return p;
}

/** Closes every shared server (root after-all hook). */
/** The shared servers this process has started so far (none is started by asking). */
export function startedSharedServers(): Promise<RunningServer[]> {
  return Promise.all([...started.values()]);
}

export async function closeSharedServers(): Promise<void> {
  for (const p of started.values()) {
    const s = await p.catch(() => null);
    await s?.close();
  }
  started.clear();
}

/**
 * Declares `fn`'s tests once per backend. Inside, `server()` is the running server of that backend.
 * Example: forEachBackend('tiles', (server) => { it('...', async () => fetch(`${server().url}/...`)) })
 */
export function forEachBackend(title: string, fn: (server: () => RunningServer, backend: BackendName) => void): void {
  for (const backend of backends) {
    describe(`${title} [${backend}]`, function () {
      this.timeout(60_000);
      let running: RunningServer;
      before(async function () {
        this.timeout(300_000);
        running = await sharedServer(backend);
      });
      fn(() => running, backend);
    });
  }
}
