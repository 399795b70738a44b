/**
 * How request SQL reaches the database: the one module that takes pooled connections, runs statements, streams rows
 * and cancels. Both backends speak the PostgreSQL protocol through the same pg pool (the embedded PGlite is served on a
 * unix socket by its worker thread), so both take the same path; the differences are named where they are:
 *  - queryRows: one statement, cancelled in the database (pg_cancel_backend) when the client goes away;
 *  - streamRows: a server-side cursor (pg-query-stream), so memory stays flat however many features are read.
 * Failures leave here as domain errors: an unreachable database as DatabaseUnavailableError, a statement timeout as
 * QueryTimeoutError (server/db/failures.ts).
 * Goes straight to the pooled pg connection, not knex.raw: knex's binding and query runner cost more per call than a
 * small query does in PostgreSQL.
 */
import type pg from 'pg';
import type { Knex } from 'knex';
import QueryStream from 'pg-query-stream';
import { finished } from 'node:stream/promises';
import { isStalePreparedStatement, toNative, type PreparedStatements } from './statements.ts';
import { asDatabaseFailure } from './failures.ts';

/** Rows fetched per round trip of the cursor: large enough to amortise latency, small enough to stay flat. */
export const cursorBatchRows = 500;

/** What the row functions need of a database (server/db/database.ts `Database` has it). */
export interface RowSource {
  readonly backend: 'server' | 'embedded';
  readonly knex: Knex;
  readonly statements: PreparedStatements | null;
}

type PooledClient = pg.Client & { processID: number };

interface KnexPoolClient {
  acquireConnection(): Promise<PooledClient>;
  releaseConnection(conn: pg.Client): Promise<void>;
}

/** How a statement may run. */
export interface QueryOptions {
  /**
   * May run as a named prepared statement once its text keeps coming back (server/db/statements.ts). Only for SQL
   * whose parameters are scalars: a generic plan evaluates a function of a parameter (ST_GeomFromGeoJSON) per row.
   */
  prepare?: boolean;
}

/** Takes a pooled connection; a pool that cannot reach the database says so as DatabaseUnavailableError. */
async function acquire(db: RowSource): Promise<{ conn: PooledClient; pool: KnexPoolClient }> {
  const pool = db.knex.client as KnexPoolClient;
  try {
    return { conn: await pool.acquireConnection(), pool };
  } catch (err) {
    throw asDatabaseFailure(err);
  }
}

/**
 * Asks the database to cancel the statement running on `conn` when `signal` aborts. The embedded PGlite has one
 * session and ignores cancel requests: its statement runs to the end, in the worker thread, off the HTTP event loop.
 */
function cancelOnAbort(db: RowSource, conn: PooledClient, signal: AbortSignal | undefined): () => void {
  if (!signal || db.backend !== 'server') return () => undefined;
  const onAbort = () => {
    db.knex.raw('SELECT pg_cancel_backend(?::int)', [conn.processID]).catch(() => undefined);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  // The client may have gone while we waited for the connection: the statement must not run on unobserved.
  if (signal.aborted) onAbort();
  return () => signal.removeEventListener('abort', onAbort);
}

/** Runs one statement and returns its rows; aborting `signal` cancels it in the database. */
export async function queryRows<T>(
  db: RowSource,
  sql: string,
  bindings: readonly unknown[],
  signal?: AbortSignal,
  options: QueryOptions = {},
): Promise<T[]> {
  signal?.throwIfAborted();
  const { conn, pool } = await acquire(db);
  const stopCancelling = cancelOnAbort(db, conn, signal);
  try {
    const prepared = db.statements;
    if (!prepared || !options.prepare) return (await conn.query(toNative(sql), bindings as unknown[])).rows as T[];
    try {
      return (await conn.query(prepared.config(sql, bindings))).rows as T[];
    } catch (err) {
      if (!isStalePreparedStatement(err)) throw err;
      prepared.runUnnamed(sql);
      return (await conn.query(prepared.config(sql, bindings))).rows as T[];
    }
  } catch (err) {
    throw asDatabaseFailure(err);
  } finally {
    stopCancelling();
    await pool.releaseConnection(conn);
  }
}

/**
 * Yields the rows of `sql` (knex `?` bindings). On the server backend the query runs through a cursor on its own
 * pooled connection; abandoning the iteration or aborting `signal` closes the cursor and returns the connection.
 * The embedded backend reads the rows whole: a suspended cursor would hold PGlite's only session (every other
 * statement waits) for as long as a slow client takes to read the response.
 */
export async function* streamRows<T>(
  db: RowSource,
  sql: string,
  bindings: readonly unknown[],
  signal?: AbortSignal,
): AsyncGenerator<T> {
  if (db.backend !== 'server') {
    for (const row of await queryRows<T>(db, sql, bindings, signal)) yield row;
    return;
  }
  signal?.throwIfAborted();
  const { conn, pool } = await acquire(db);
  const stream = conn.query(new QueryStream(toNative(sql), bindings as unknown[], { batchSize: cursorBatchRows }));
  const onAbort = () => stream.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const row of stream) yield row as T;
  } catch (err) {
    throw asDatabaseFailure(err);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!stream.destroyed) stream.destroy();
    await finished(stream).catch(() => undefined);
    await pool.releaseConnection(conn);
  }
}
