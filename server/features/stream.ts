/**
 * How feature and query SQL reaches the database. On the PostgreSQL server both paths take a pooled connection and
 * talk to pg directly (knex's query runner costs more per call than a small query does in PostgreSQL):
 *  - queryRows: one statement, cancelled in the database (pg_cancel_backend) when the client goes away;
 *  - streamRows: a server-side cursor (pg-query-stream), so memory stays flat however many features are read.
 * The embedded database has one connection and no cursor streaming; its results are read whole (one user, small data).
 */
import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import { finished } from 'node:stream/promises';
import type { Database } from '../db/database.ts';
import { isStalePreparedStatement, toNative } from '../db/statements.ts';

/** Rows fetched per round trip of the cursor: large enough to amortise latency, small enough to stay flat. */
export const cursorBatchRows = 500;

interface KnexPoolClient {
  acquireConnection(): Promise<pg.Client & { processID: number }>;
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

/** Runs one statement and returns its rows; aborting `signal` cancels it in the database. */
export async function queryRows<T>(
  db: Database,
  sql: string,
  bindings: readonly unknown[],
  signal?: AbortSignal,
  options: QueryOptions = {},
): Promise<T[]> {
  if (db.backend !== 'server') return db.cancellableRows<T>(sql, bindings, signal);
  signal?.throwIfAborted();
  const client = db.knex.client as KnexPoolClient;
  const conn = await client.acquireConnection();
  const onAbort = () => {
    db.rows('SELECT pg_cancel_backend(?::int)', [conn.processID]).catch(() => undefined);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
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
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await client.releaseConnection(conn);
  }
}

/**
 * Yields the rows of `sql` (knex `?` bindings). On the server backend the query runs through a cursor on its own
 * pooled connection; abandoning the iteration or aborting `signal` closes the cursor and returns the connection.
 */
export async function* streamRows<T>(db: Database, sql: string, bindings: readonly unknown[], signal?: AbortSignal): AsyncGenerator<T> {
  if (db.backend !== 'server') {
    for (const row of await db.cancellableRows<T>(sql, bindings, signal)) yield row;
    return;
  }
  signal?.throwIfAborted();
  const client = db.knex.client as KnexPoolClient;
  const conn = await client.acquireConnection();
  const stream = conn.query(new QueryStream(toNative(sql), bindings as unknown[], { batchSize: cursorBatchRows }));
  const onAbort = () => stream.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const row of stream) yield row as T;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!stream.destroyed) stream.destroy();
    await finished(stream).catch(() => undefined);
    await client.releaseConnection(conn);
  }
}
