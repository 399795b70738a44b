/**
 * The database: knex over a real PostgreSQL + PostGIS server (pg pool) or over embedded PostGIS
 * (PGlite + pglite-postgis, one connection). Everything above this module sees one `Database`.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Config } from '../config.ts';
import { detectCapabilities, type Capabilities } from './capabilities.ts';
import { migrateLatest } from './migrate.ts';
import { applyVn2000SpatialRefSys } from '../crs/spatial-ref-sys.ts';
import { PreparedStatements, toNative } from './statements.ts';

/** Which kind of PostGIS we talk to. */
export type Backend = 'server' | 'embedded';

/** A listener for NOTIFY payloads on one channel. */
export type NotifyHandler = (payload: string) => void;

/** The one handle on the database that the rest of the server uses. */
export interface Database {
  readonly backend: Backend;
  readonly knex: Knex;
  readonly capabilities: Capabilities;
  /** Named prepared statements of the hot request SQL (server/db/statements.ts); null on the embedded backend. */
  readonly statements: PreparedStatements | null;
  /** Runs SQL with knex `?` bindings and returns the rows. */
  rows<T = Record<string, unknown>>(sql: string, bindings?: readonly unknown[]): Promise<T[]>;
  /**
   * Runs one SQL statement that a client may abandon: when `signal` aborts, the statement is cancelled
   * in the database (pg_cancel_backend on the server; embedded queries are short and run to the end).
   */
  cancellableRows<T = Record<string, unknown>>(sql: string, bindings: readonly unknown[], signal?: AbortSignal): Promise<T[]>;
  /** LISTEN on a channel; returns a function that stops listening. */
  listen(channel: string, handler: NotifyHandler): Promise<() => Promise<void>>;
  /** True when a trivial query answers within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Pool figures for /metrics (server backend; embedded has one connection). */
  poolStats(): { used: number; free: number; pending: number; max: number };
  close(): Promise<void>;
}

// int8 (bigint, count(*)) -> number, numeric -> number: our counts and measures fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/** Opens the database chosen by the configuration and records what its PostGIS can do. */
export async function openDatabase(config: Config): Promise<Database> {
  return config.databaseUrl ? openServer(config) : openEmbedded(config);
}

async function openServer(config: Config): Promise<Database> {
  const knex = knexFactory({
    client: 'pg',
    connection: {
      connectionString: config.databaseUrl,
      // Tile and feature queries must not run away; JIT costs more than it saves on tile queries.
      statement_timeout: config.statementTimeoutMs || undefined,
      application_name: 'sdi-server',
    } as Knex.PgConnectionConfig,
    pool: {
      min: 0,
      max: config.poolSize,
      afterCreate(conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) {
        conn.query('SET jit = off', (err) => done(err ?? null, conn));
      },
    },
    acquireConnectionTimeout: 10_000,
    // Connection errors surface as failed queries (and /ready 503); knex's own console output is noise.
    log: quietKnexLog,
  });
  const listeners = new Map<string, Set<NotifyHandler>>();
  let listenClient: pg.Client | null = null;

  let closed = false;
  // One dedicated connection for LISTEN; when it drops it reconnects and listens again, so cache
  // invalidation and catalog reloads survive a database restart.
  const connectListener = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: config.databaseUrl, application_name: 'sdi-listen' });
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

  const db: Database = {
    ...common(knex),
    backend: 'server',
    statements: new PreparedStatements(config.preparedStatements),
    // Straight through the pooled pg connection, not knex.raw: knex's binding and query runner cost ~0.4 ms per
    // call, a tenth of the server's CPU per cold tile (bench:tiles profile).
    async cancellableRows<T>(sql: string, bindings: readonly unknown[], signal?: AbortSignal) {
      signal?.throwIfAborted();
      const conn = (await knex.client.acquireConnection()) as pg.Client & { processID: number };
      const onAbort = () => {
        knex.raw('SELECT pg_cancel_backend(?::int)', [conn.processID]).catch(() => undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return (await conn.query(toNative(sql), bindings as unknown[])).rows as T[];
      } finally {
        signal?.removeEventListener('abort', onAbort);
        await knex.client.releaseConnection(conn);
      }
    },
    async listen(channel, handler) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        const client = listenClient ?? (await connectListener());
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      }
      set.add(handler);
      return async () => {
        set.delete(handler);
      };
    },
    poolStats() {
      const pool = knex.client.pool as { numUsed(): number; numFree(): number; numPendingAcquires(): number } | undefined;
      return {
        used: pool?.numUsed() ?? 0,
        free: pool?.numFree() ?? 0,
        pending: pool?.numPendingAcquires() ?? 0,
        max: config.poolSize,
      };
    },
    async close() {
      closed = true;
      await listenClient?.end().catch(() => undefined);
      await knex.destroy();
    },
  };
  return prepare(db);
}

async function openEmbedded(config: Config): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { postgis } = await import('@electric-sql/pglite-postgis');
  const { default: ClientPgLite } = await import('knex-pglite');
  const inMemory = config.dataDir === 'memory://';
  if (!inMemory) fs.mkdirSync(path.resolve(config.dataDir), { recursive: true });
  const pglite = await PGlite.create(inMemory ? undefined : path.resolve(config.dataDir), { extensions: { postgis } });
  const knex = knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    connection: () => ({ pglite }) as object,
  } as Knex.Config);
  const db: Database = {
    ...common(knex),
    backend: 'embedded',
    statements: null,
    async cancellableRows<T>(sql: string, bindings: readonly unknown[], signal?: AbortSignal) {
      signal?.throwIfAborted();
      return db.rows<T>(sql, bindings);
    },
    async listen(channel, handler) {
      const unsub = await pglite.listen(channel, handler);
      return async () => unsub();
    },
    poolStats: () => ({ used: 0, free: 1, pending: 0, max: 1 }),
    async close() {
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
  return prepare(db);
}

/** Brings the schema up to date, then records what this PostGIS can do; closes the database if either fails. */
async function prepare(db: Database): Promise<Database> {
  try {
    await migrateLatest(db.knex);
    // Re-assert the VN-2000 rows at every start: a dump/restore or PostGIS upgrade puts back EPSG rows whose
    // transformation PROJ may pick differently (0.8 m off in the Mekong delta); a no-op when they are right.
    await applyVn2000SpatialRefSys(db.knex);
    (db as { capabilities: Capabilities }).capabilities = await detectCapabilities(db);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** The members both backends share: the knex handle, `rows` and `ping`. */
function common(knex: Knex): Pick<Database, 'knex' | 'capabilities' | 'rows' | 'ping'> {
  return {
    knex,
    capabilities: undefined as unknown as Capabilities, // set by prepare() once migrations ran
    async rows<T>(sql: string, bindings: readonly unknown[] = []) {
      const res = await knex.raw(sql, bindings as Knex.RawBinding[]);
      return res.rows as T[];
    },
    ping: (timeoutMs = 2000) => pingWith(knex, timeoutMs),
  };
}

const quietKnexLog = { warn() {}, error() {}, deprecate() {}, debug() {} };

async function pingWith(knex: Knex, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([knex.raw('SELECT 1').then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
