/**
 * Configuration: one typed defaults object, overridden by environment variables.
 * This is the only module that reads `process.env`. Bad values stop the start with a
 * message naming the variable and the value.
 */
import os from 'node:os';
import path from 'node:path';
import { isIP } from 'node:net';

/** Every setting, with its default and the environment variable that overrides it. */
export interface Config {
  /** PORT: TCP port the HTTP server listens on (0 picks a free port; tests use that). */
  port: number;
  /** HOST: interface to bind. */
  host: string;
  /** PUBLIC_URL: base URL as seen by clients behind a proxy (no trailing slash); empty = from the request's Host. */
  publicUrl: string;
  /** DATABASE_URL: a PostgreSQL + PostGIS server; empty = embedded PostGIS (PGlite). */
  databaseUrl: string;
  /** DATA_DIR: directory of the embedded database (ignored with DATABASE_URL); "memory://" keeps it in memory. */
  dataDir: string;
  /** DB_POOL_SIZE: connections in the pg pool (server PostGIS). Keep below max_connections. */
  poolSize: number;
  /** STATEMENT_TIMEOUT_MS: per-statement timeout for request queries (ms); 0 = none. */
  statementTimeoutMs: number;
  /** DB_PREPARED_STATEMENTS: most request SQL texts run as named prepared statements (server PostGIS); 0 = none. */
  preparedStatements: number;
  /** SEED_DEMO: load the demo layers when the database has none ("auto": only for the embedded backend). */
  seedDemo: 'auto' | 'always' | 'never';
  /** SEED_SCALE: demo data scale (1 ~ 20,000 parcels, 10 ~ 200,000; fractions for quick tests). */
  seedScale: number;
  /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent). */
  logLevel: string;
  /** LAYERS_DIR: directory of built-in layer definitions (*.json). */
  layersDir: string;
  /** TILE_CACHE_MB: in-process tile cache size in MiB (0 disables it). */
  tileCacheMb: number;
  /** TILE_MAX_FEATURES: cap of features per layer in one tile. */
  tileMaxFeatures: number;
  /** TILE_CACHE_CONTROL: default Cache-Control header of tiles (a layer may override it). */
  tileCacheControl: string;
  /** TILE_TIMEOUT_MS: deadline of one tile render (ms); the query is cancelled and the client gets 503. */
  tileTimeoutMs: number;
  /** TILE_BUDGET_KB: a tile larger than this (KiB, uncompressed) has its largest layers re-rendered coarser (below their maxzoom). */
  tileBudgetKb: number;
  /** REDIS_URL: shared tile cache for several instances; empty = in-process cache only. */
  redisUrl: string;
  /** ITEMS_MAX_LIMIT: the largest `limit` accepted by /items. */
  itemsMaxLimit: number;
  /** UPLOAD_MAX_MB: the largest upload accepted (MiB). */
  uploadMaxMb: number;
  /** UPLOAD_DIR: where uploads are staged on disk while they are read. */
  uploadDir: string;
  // trust
  /**
   * TRUST_PROXY: which peers may set X-Forwarded-For/-Proto/-Host (express 'trust proxy'): empty = none (the
   * default; forwarded headers are ignored), a hop count (`1`), or a comma list of addresses, CIDRs and the names
   * loopback, linklocal, uniquelocal (`10.0.0.5, 192.168.0.0/16`).
   */
  trustProxy: false | number | string[];
  /** METRICS_TOKEN: when set, GET /metrics needs `Authorization: Bearer <this>` (at least 16 characters). */
  metricsToken: string;
  /** METRICS_LISTEN: host:port of a separate listener for /metrics, which the public port then no longer serves. */
  metricsListen: string;
  // limits: cost gates of the expensive endpoints (server/limits/); see the README's security section
  /**
   * LIMIT_EXPENSIVE_PER_CLIENT: expensive requests (POST /query/summary and /query/intersects, large or spatially
   * filtered items pages, cold low-zoom composite tiles, /search) one client address may run at once; more get 429.
   */
  limitExpensivePerClient: number;
  /**
   * LIMIT_EXPENSIVE_TOTAL: expensive requests the whole server runs at once; more get 503. 0 = DB_POOL_SIZE minus
   * LIMIT_POOL_RESERVE (at least 1), so that tiles, small items pages and identify keep pool connections; 1 on the
   * embedded database, which runs one statement at a time (an ordinary request then waits behind one at most).
   */
  limitExpensiveTotal: number;
  /** LIMIT_POOL_RESERVE: pool connections kept for ordinary requests when LIMIT_EXPENSIVE_TOTAL is 0 (auto). */
  limitPoolReserve: number;
  /**
   * LIMIT_EXPENSIVE_QUEUE_MS: how long a request over a cap waits for a slot, first come first served, before 429/503;
   * 0 = refuse at once. Long enough for the viewer, which asks one summary per visible layer at once.
   */
  limitExpensiveQueueMs: number;
  /** LIMIT_SUMMARY_TIMEOUT_MS: deadline of POST /query/summary (ms); its query is cancelled and the client gets 503. */
  limitSummaryTimeoutMs: number;
  /** LIMIT_INTERSECTS_TIMEOUT_MS: deadline of POST /query/intersects (ms). */
  limitIntersectsTimeoutMs: number;
  /** LIMIT_ITEMS_TIMEOUT_MS: deadline of an expensive items page (ms), streaming included. */
  limitItemsTimeoutMs: number;
  /** LIMIT_SEARCH_TIMEOUT_MS: deadline of /search (ms). */
  limitSearchTimeoutMs: number;
  /** LIMIT_DOWNLOAD_TIMEOUT_MS: deadline of a download (ms); past it the query stops and the file is cut off. */
  limitDownloadTimeoutMs: number;
  /** LIMIT_ITEMS_EXPENSIVE_ABOVE: an items page with a `limit` above this counts as expensive (so does any spatial CQL2 filter). */
  limitItemsExpensiveAbove: number;
  /** LIMIT_TILE_EXPENSIVE_MAXZOOM: a composite tile at this zoom or lower counts as expensive when it is rendered (never a cache hit). */
  limitTileExpensiveMaxzoom: number;
  /** LIMIT_TILE_EXPENSIVE_LAYERS: ...and when it has at least this many layers. */
  limitTileExpensiveLayers: number;
  /** LIMIT_QUERY_GEOMETRY_VERTICES: most vertices of the geometry of POST /query/summary and /query/intersects. */
  limitQueryGeometryVertices: number;
  /** LIMIT_QUERY_BODY_BYTES: largest JSON body of POST /query/* (bytes; a 50,000-vertex polygon is about 1.5 MB). */
  limitQueryBodyBytes: number;
  // planner
  /**
   * TILE_MEMORY_INDEX_MAX_FEATURES: layers with at most this many features are held in memory as a geojson-vt
   * index and their tiles cut in Node, without a database round trip; 0 = every tile from SQL.
   */
  tileMemoryIndexMaxFeatures: number;
  /** TILE_MEMORY_INDEX: which backend uses the memory index ("embedded" only, "both", or "off"). */
  tileMemoryIndex: 'embedded' | 'both' | 'off';
  /**
   * TILE_OCCUPANCY: which backend keeps a grid of where each layer has data (z14 cells), so that a tile at z12 or
   * above over none of a layer's data leaves it out of the query (server/tiles/occupancy.ts): "server" (default),
   * "both", or "off". Embedded PostGIS answers one query at a time, so building the grids there would hold up the
   * first view, and its small layers are cut from memory anyway.
   */
  tileOccupancy: 'server' | 'both' | 'off';
  /**
   * TILE_DB_CONCURRENCY: most tile statements running in the database at once (server PostGIS); more wait their turn,
   * within TILE_TIMEOUT_MS. 0 (default) = this machine's cores plus one, at most DB_POOL_SIZE: see tileQuerySlots.
   */
  tileDbConcurrency: number;
  // sources
  /** SOURCE_SCHEMAS: comma list of schemas whose tables an admin may publish in place (default none). */
  sourceSchemas: string[];
  /** SOURCE_CACHE_TTL_SECONDS: how long tiles of a source table that cannot take our change triggers are cached (s). */
  sourceCacheTtlSeconds: number;
  /** SOURCE_CHECK_SECONDS: how often source tables are checked for being dropped or changed (s). */
  sourceCheckSeconds: number;
}

/** Defaults: a zero-setup start on embedded PostGIS with demo data. */
export const defaults: Config = {
  port: 3000,
  host: '0.0.0.0',
  publicUrl: '',
  databaseUrl: '',
  dataDir: './data',
  poolSize: 10,
  statementTimeoutMs: 30_000,
  preparedStatements: 256,
  seedDemo: 'auto',
  seedScale: 1,
  logLevel: 'info',
  layersDir: path.resolve(import.meta.dirname, '..', 'layers'),
  tileCacheMb: 128,
  tileMaxFeatures: 50_000,
  tileCacheControl: 'public, max-age=60',
  tileTimeoutMs: 15_000,
  tileBudgetKb: 500,
  redisUrl: '',
  itemsMaxLimit: 10_000,
  uploadMaxMb: 512,
  uploadDir: '',
  // trust
  trustProxy: false,
  metricsToken: '',
  metricsListen: '',
  // limits
  limitExpensivePerClient: 2,
  limitExpensiveTotal: 0,
  limitPoolReserve: 4,
  limitExpensiveQueueMs: 15_000,
  limitSummaryTimeoutMs: 15_000,
  limitIntersectsTimeoutMs: 15_000,
  limitItemsTimeoutMs: 60_000,
  limitSearchTimeoutMs: 5_000,
  limitDownloadTimeoutMs: 1_800_000,
  limitItemsExpensiveAbove: 1_000,
  limitTileExpensiveMaxzoom: 8,
  limitTileExpensiveLayers: 2,
  limitQueryGeometryVertices: 50_000,
  limitQueryBodyBytes: 4 * 1024 * 1024,
  // planner
  tileMemoryIndexMaxFeatures: 50_000,
  tileMemoryIndex: 'embedded',
  tileOccupancy: 'server',
  tileDbConcurrency: 0,
  // sources
  sourceSchemas: [],
  sourceCacheTtlSeconds: 300,
  sourceCheckSeconds: 30,
};

/** Raised when a setting has a value we cannot use; the message names the variable. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function intSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a whole number from ${min} to ${max}`);
  }
  return n;
}

function numberSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a number from ${min} to ${max}`);
  }
  return n;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} must be one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

function urlSetting(env: Env, name: string, protocols: string[]): string {
  const raw = env[name] ?? '';
  if (raw === '') return '';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL (expected e.g. ${protocols[0]}//host:port/...)`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.join(' or ')}, got ${url.protocol}`);
  }
  return raw.replace(/\/+$/, '');
}

// trust
const proxyNames = ['loopback', 'linklocal', 'uniquelocal'];

/** TRUST_PROXY: off, a hop count, or addresses/CIDRs/names; `true` (trust anyone) is refused: it lets clients spoof. */
function trustProxySetting(raw: string | undefined): Config['trustProxy'] {
  const value = (raw ?? '').trim();
  if (value === '' || /^(false|off|no|0)$/i.test(value)) return false;
  if (/^[1-9][0-9]?$/.test(value)) return Number(value);
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const e of entries) {
    const [address, bits, extra] = e.split('/');
    const family = isIP(address);
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!proxyNames.includes(e) && (family === 0 || !validBits || extra !== undefined)) {
      throw new ConfigError(
        `TRUST_PROXY entry ${JSON.stringify(e)} is not an IP address, a CIDR or one of ${proxyNames.join(', ')}; ` +
          'give a list of proxies or a hop count (1-99)',
      );
    }
  }
  return entries;
}

function metricsTokenSetting(raw: string | undefined): string {
  if (raw === undefined || raw === '') return '';
  if (raw.length < 16 || /\s/.test(raw)) throw new ConfigError('METRICS_TOKEN must be at least 16 characters without spaces');
  return raw;
}

function listenSetting(env: Env, name: string): string {
  const raw = env[name] ?? '';
  if (raw === '') return '';
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not host:port (e.g. 127.0.0.1:9464)`);
  return raw;
}

/** Host and port of a `host:port` setting (IPv6 hosts without brackets). */
export function splitHostPort(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(value.slice(i + 1)) };
}

/** Builds the configuration from the environment (by default `process.env`), validating every value. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const config: Config = {
    port: intSetting(env, 'PORT', defaults.port, 0, 65535),
    host: env.HOST || defaults.host,
    publicUrl: urlSetting(env, 'PUBLIC_URL', ['http:', 'https:']),
    databaseUrl: urlSetting(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: env.DATA_DIR || defaults.dataDir,
    poolSize: intSetting(env, 'DB_POOL_SIZE', defaults.poolSize, 1, 500),
    statementTimeoutMs: intSetting(env, 'STATEMENT_TIMEOUT_MS', defaults.statementTimeoutMs, 0, 3_600_000),
    preparedStatements: intSetting(env, 'DB_PREPARED_STATEMENTS', defaults.preparedStatements, 0, 100_000),
    seedDemo: oneOf(env, 'SEED_DEMO', defaults.seedDemo, ['auto', 'always', 'never'] as const),
    seedScale: numberSetting(env, 'SEED_SCALE', defaults.seedScale, 0.01, 100),
    logLevel: oneOf(env, 'LOG_LEVEL', defaults.logLevel, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    layersDir: env.LAYERS_DIR || defaults.layersDir,
    tileCacheMb: intSetting(env, 'TILE_CACHE_MB', defaults.tileCacheMb, 0, 65536),
    tileMaxFeatures: intSetting(env, 'TILE_MAX_FEATURES', defaults.tileMaxFeatures, 1, 10_000_000),
    tileCacheControl: env.TILE_CACHE_CONTROL || defaults.tileCacheControl,
    tileTimeoutMs: intSetting(env, 'TILE_TIMEOUT_MS', defaults.tileTimeoutMs, 100, 3_600_000),
    tileBudgetKb: intSetting(env, 'TILE_BUDGET_KB', defaults.tileBudgetKb, 1, 1_048_576),
    redisUrl: urlSetting(env, 'REDIS_URL', ['redis:', 'rediss:']),
    itemsMaxLimit: intSetting(env, 'ITEMS_MAX_LIMIT', defaults.itemsMaxLimit, 1, 1_000_000),
    uploadMaxMb: intSetting(env, 'UPLOAD_MAX_MB', defaults.uploadMaxMb, 1, 102_400),
    uploadDir: env.UPLOAD_DIR || defaults.uploadDir,
    // trust
    trustProxy: trustProxySetting(env.TRUST_PROXY),
    metricsToken: metricsTokenSetting(env.METRICS_TOKEN),
    metricsListen: listenSetting(env, 'METRICS_LISTEN'),
    // limits
    limitExpensivePerClient: intSetting(env, 'LIMIT_EXPENSIVE_PER_CLIENT', defaults.limitExpensivePerClient, 1, 10_000),
    limitExpensiveTotal: intSetting(env, 'LIMIT_EXPENSIVE_TOTAL', defaults.limitExpensiveTotal, 0, 10_000),
    limitPoolReserve: intSetting(env, 'LIMIT_POOL_RESERVE', defaults.limitPoolReserve, 0, 500),
    limitExpensiveQueueMs: intSetting(env, 'LIMIT_EXPENSIVE_QUEUE_MS', defaults.limitExpensiveQueueMs, 0, 600_000),
    limitSummaryTimeoutMs: intSetting(env, 'LIMIT_SUMMARY_TIMEOUT_MS', defaults.limitSummaryTimeoutMs, 10, 3_600_000),
    limitIntersectsTimeoutMs: intSetting(env, 'LIMIT_INTERSECTS_TIMEOUT_MS', defaults.limitIntersectsTimeoutMs, 10, 3_600_000),
    limitItemsTimeoutMs: intSetting(env, 'LIMIT_ITEMS_TIMEOUT_MS', defaults.limitItemsTimeoutMs, 10, 3_600_000),
    limitSearchTimeoutMs: intSetting(env, 'LIMIT_SEARCH_TIMEOUT_MS', defaults.limitSearchTimeoutMs, 10, 3_600_000),
    limitDownloadTimeoutMs: intSetting(env, 'LIMIT_DOWNLOAD_TIMEOUT_MS', defaults.limitDownloadTimeoutMs, 10, 86_400_000),
    limitItemsExpensiveAbove: intSetting(env, 'LIMIT_ITEMS_EXPENSIVE_ABOVE', defaults.limitItemsExpensiveAbove, 1, 1_000_000),
    limitTileExpensiveMaxzoom: intSetting(env, 'LIMIT_TILE_EXPENSIVE_MAXZOOM', defaults.limitTileExpensiveMaxzoom, -1, 30),
    limitTileExpensiveLayers: intSetting(env, 'LIMIT_TILE_EXPENSIVE_LAYERS', defaults.limitTileExpensiveLayers, 1, 1_000),
    limitQueryGeometryVertices: intSetting(
      env,
      'LIMIT_QUERY_GEOMETRY_VERTICES',
      defaults.limitQueryGeometryVertices,
      4,
      10_000_000,
    ),
    limitQueryBodyBytes: intSetting(env, 'LIMIT_QUERY_BODY_BYTES', defaults.limitQueryBodyBytes, 1024, 1024 * 1024 * 1024),
    // planner
    tileMemoryIndexMaxFeatures: intSetting(
      env,
      'TILE_MEMORY_INDEX_MAX_FEATURES',
      defaults.tileMemoryIndexMaxFeatures,
      0,
      10_000_000,
    ),
    tileMemoryIndex: oneOf(env, 'TILE_MEMORY_INDEX', defaults.tileMemoryIndex, ['embedded', 'both', 'off'] as const),
    tileOccupancy: oneOf(env, 'TILE_OCCUPANCY', defaults.tileOccupancy, ['server', 'both', 'off'] as const),
    tileDbConcurrency: intSetting(env, 'TILE_DB_CONCURRENCY', defaults.tileDbConcurrency, 0, 500),
    // sources
    sourceSchemas: (env.SOURCE_SCHEMAS ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
    sourceCacheTtlSeconds: intSetting(env, 'SOURCE_CACHE_TTL_SECONDS', defaults.sourceCacheTtlSeconds, 1, 86_400),
    sourceCheckSeconds: intSetting(env, 'SOURCE_CHECK_SECONDS', defaults.sourceCheckSeconds, 1, 86_400),
    ...overrides,
  };
  checkLimits(config);
  return config;
}

// limits
/**
 * The expensive-request slots of the whole server: LIMIT_EXPENSIVE_TOTAL, else the pool minus its reserve (at least 1)
 * on a PostgreSQL server, and 1 on the embedded database (one statement at a time, whatever the pool).
 */
export function expensiveTotal(config: Config): number {
  if (config.limitExpensiveTotal) return config.limitExpensiveTotal;
  return config.databaseUrl ? Math.max(1, config.poolSize - config.limitPoolReserve) : 1;
}

/**
 * How many tile statements may run in the database at once: TILE_DB_CONCURRENCY, else this machine's cores plus one,
 * never more than the pool. Tile SQL is CPU-bound in PostgreSQL: more statements than cores only share them, and on a
 * machine that also runs this server they take its share. It also leaves the rest of the pool to other requests
 * however many tiles are asked for at once. Measured on 2 cores, z12-16 composite tiles:
 *  - bench:tiles (concurrency 16), server cold x raw with 3 slots 0.62-0.63, with 10 (the pool) 0.55-0.56 (2 pairs);
 *    tiles/s with the pool itself at 2, 3, 4, 10: 408, 431-443, 401, 352-379;
 *  - the peer harness, one server of each alternating, 4 runs: the same at 8 clients (558 and 557 tiles/s), +7 % at 32;
 *    land use alone the same at both.
 * With the database on another machine, set it to that machine's cores plus one.
 */
export function tileQuerySlots(config: Config): number {
  return Math.min(config.poolSize, config.tileDbConcurrency || os.availableParallelism() + 1);
}

/** Settings that are fine alone but not together. */
function checkLimits(config: Config): void {
  if (config.databaseUrl && config.limitExpensiveTotal >= config.poolSize) {
    throw new ConfigError(
      `LIMIT_EXPENSIVE_TOTAL=${config.limitExpensiveTotal} must be below DB_POOL_SIZE=${config.poolSize}, ` +
        'or expensive queries can take every pool connection and starve tiles and small items pages',
    );
  }
}
