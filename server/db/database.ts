/**
 * The database: knex and pg over a PostgreSQL protocol connection, to a real PostgreSQL + PostGIS server or to the
 * embedded PostGIS (PGlite + pglite-postgis) that a worker thread serves on a unix socket (server/db/embedded.ts).
 * Both backends take one query path (server/db/rows.ts); everything above this module sees one `Database`.
 */
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Config } from '../config.ts';
import { detectCapabilities, type Capabilities } from './capabilities.ts';
import { migrateLatest } from './migrate.ts';
import { applyVn2000SpatialRefSys } from '../crs/spatial-ref-sys.ts';
import { PreparedStatements } from './statements.ts';
import { queryRows, type RowSource } from './rows.ts';
import { asDatabaseFailure } from './failures.ts';
import { socketPort, startEmbeddedEngine, type EmbeddedEngine } from './embedded.ts';
import { DataDirectoryInUseError, findOwner } from './data-dir-lock.ts';

/** Which kind of PostGIS we talk to. */
export type Backend = 'server' | 'embedded';

/** A listener for NOTIFY payloads on one channel. */
export type NotifyHandler = (payload: string) => void;

/** The one handle on the database that the rest of the server uses. */
export interface Database extends RowSource {
  readonly backend: Backend;
  readonly knex: Knex;
  readonly capabilities: Capabilities;
  /** Named prepared statements of the hot request SQL (server/db/statements.ts); null on the embedded backend. */
  readonly statements: PreparedStatements | null;
  /** Runs SQL with knex `?` bindings and returns the rows. */
  rows<T = Record<string, unknown>>(sql: string, bindings?: readonly unknown[]): Promise<T[]>;
  /**
   * Runs one SQL statement that a client may abandon: when `signal` aborts, the statement is cancelled in the
   * database (pg_cancel_backend on the server; the embedded statement runs to its end in the worker thread).
   */
  cancellableRows<T = Record<string, unknown>>(sql: string, bindings: readonly unknown[], signal?: AbortSignal): Promise<T[]>;
  /** LISTEN on a channel; returns a function that stops listening. */
  listen(channel: string, handler: NotifyHandler): Promise<() => Promise<void>>;
  /** True when a trivial query answers within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Pool figures for /metrics. */
  poolStats(): { used: number; free: number; pending: number; max: number };
  close(): Promise<void>;
}

/** How a process opens the database. */
export interface OpenOptions {
  /**
   * When a running server holds the embedded data directory, connect to that server's socket instead of failing
   * (the command-line tools: a token they create is seen at once by the running server).
   */
  joinRunningServer?: boolean;
}

// int8 (bigint, count(*)) -> number, numeric -> number: our counts and measures fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/**
 * Opens the database chosen by the configuration, brings its schema up to date and records what its PostGIS can do.
 * Embedded: throws DataDirectoryInUseError when another running server holds DATA_DIR (unless `joinRunningServer`).
 */
export async function openDatabase(config: Config, options: OpenOptions = {}): Promise<Database> {
  if (config.databaseUrl) return openServer(config);
  const dataDir = config.dataDir === 'memory://' ? null : config.dataDir;
  const owner = dataDir && findOwner(dataDir);
  if (owner && options.joinRunningServer) return openPg(config, 'embedded', { host: owner.socketDir, port: socketPort }, null);
  if (owner) throw new DataDirectoryInUseError(dataDir, owner);
  const engine = await startEmbeddedEngine(dataDir);
  try {
    return await openPg(config, 'embedded', { host: engine.socketDir, port: socketPort }, engine);
  } catch (err) {
    await engine.close();
    throw err;
  }
}

async function openServer(config: Config): Promise<Database> {
  const connection = {
    connectionString: config.databaseUrl,
    // Tile and feature queries must not run away.
    statement_timeout: config.statementTimeoutMs || undefined,
  };
  return openPg(config, 'server', connection, null);
}

/** Where pg connects: a connection string (server) or a unix socket directory and port (embedded). */
type PgTarget = { connectionString: string; statement_timeout?: number } | { host: string; port: number };

/**
 * The database over a pg pool. `engine` is the embedded worker this process started (null for the server backend and
 * for a tool that joined a running server: NOTIFY then comes over a LISTEN connection, as from PostgreSQL).
 */
async function openPg(config: Config, backend: Backend, target: PgTarget, engine: EmbeddedEngine | null): Promise<Database> {
  // PGlite has one user and one database; its socket accepts any name, these are the conventional ones.
  const connection = 'host' in target ? { ...target, user: 'postgres', database: 'postgres' } : target;
  const knex = knexFactory({
    client: 'pg',
    connection: { ...connection, application_name: 'sdi-server' } as Knex.PgConnectionConfig,
    pool: {
      min: 0,
      max: config.poolSize,
      // JIT costs more than it saves on tile queries (PGlite is built without it).
      afterCreate(conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) {
        if (backend === 'embedded') return done(null, conn);
        conn.query('SET jit = off', (err) => done(err ?? null, conn));
      },
    },
    acquireConnectionTimeout: 10_000,
    // Connection errors surface as failed queries (and /ready 503); knex's own console output is noise.
    log: quietKnexLog,
  });
  const notifications = engine ?? listenOver({ ...connection, application_name: 'sdi-listen' });
  const base = {
    backend,
    knex,
    // Prepared statements are per session: PGlite's one session is shared by every pool connection.
    statements: backend === 'server' ? new PreparedStatements(config.preparedStatements) : null,
  };
  const rows = async <T>(sql: string, bindings: readonly unknown[] = []): Promise<T[]> => {
    try {
      return (await knex.raw(sql, bindings as Knex.RawBinding[])).rows as T[];
    } catch (err) {
      throw asDatabaseFailure(err);
    }
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await knex.destroy();
    await notifications.close().catch(() => undefined); // last: for embedded this stops the database itself
  };
  let capabilities: Capabilities;
  try {
    await migrateLatest(knex);
    // Re-assert the VN-2000 rows at every start: a dump/restore or PostGIS upgrade puts back EPSG rows whose
    // transformation PROJ may pick differently (0.8 m off in the Mekong delta); a no-op when they are right.
    await applyVn2000SpatialRefSys(knex);
    capabilities = await detectCapabilities(rows);
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return {
    ...base,
    capabilities,
    rows,
    cancellableRows: <T>(sql: string, bindings: readonly unknown[], signal?: AbortSignal) =>
      queryRows<T>(base, sql, bindings, signal),
    listen: (channel, handler) => notifications.listen(channel, handler),
    ping: (timeoutMs = 2000) => pingWith(knex, timeoutMs),
    poolStats() {
      const pool = knex.client.pool as { numUsed(): number; numFree(): number; numPendingAcquires(): number } | undefined;
      return {
        used: pool?.numUsed() ?? 0,
        free: pool?.numFree() ?? 0,
        pending: pool?.numPendingAcquires() ?? 0,
        max: config.poolSize,
      };
    },
    close,
  };
}

/** NOTIFY subscriptions: a worker forwards them (embedded) or a dedicated LISTEN connection receives them. */
type Notifications = Pick<EmbeddedEngine, 'listen' | 'close'>;

/**
 * One dedicated connection for LISTEN; when it drops it reconnects and listens again, so cache invalidation and
 * catalog reloads survive a database restart.
 */
function listenOver(connection: pg.ClientConfig): Notifications {
  const listeners = new Map<string, Set<NotifyHandler>>();
  let listenClient: pg.Client | null = null;
  let closed = false;
  const connectListener = async (): Promise<pg.Client> => {
    const client = new pg.Client(connection);
    client.on('notification', (msg) => {
      for (const h of listeners.get(msg.channel) ?? []) h(msg.payload ?? '');
    });
    const reconnect = () => {
      if (listenClient !== client || closed) return;
      listenClient = null;
      client.end().catch(() => undefined);
      setTimeout(() => {
        if (closed) return;
        connectListener()
          .then(async (c) => {
            for (const channel of listeners.keys()) await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
          })
          .catch(reconnect);
      }, 1000).unref();
    };
    client.on('error', reconnect);
    client.on('end', reconnect);
    await client.connect();
    listenClient = client;
    return client;
  };
  return {
    async listen(channel, handler) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        const client = listenClient ?? (await connectListener());
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      }
      set.add(handler);
      const mine = set;
      return async () => {
        mine.delete(handler);
      };
    },
    async close() {
      closed = true;
      await listenClient?.end().catch(() => undefined);
    },
  };
}

const quietKnexLog = { warn() {}, error() {}, deprecate() {}, debug() {} };

async function pingWith(knex: Knex, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      knex.raw('SELECT 1').then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
