/**
 * Rows of a large result, a batch at a time: a server-side cursor (pg-query-stream) on the PostgreSQL server, so
 * memory stays flat however many features a client downloads. The embedded database has one connection and no
 * cursor streaming through knex; its results are read whole (it serves one user and small data).
 */
import type { Knex } from 'knex';
import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import { finished } from 'node:stream/promises';
import type { Database } from '../db/database.ts';

/** Rows fetched per round trip of the cursor: large enough to amortise latency, small enough to stay flat. */
export const cursorBatchRows = 500;

interface KnexPoolClient {
  acquireConnection(): Promise<pg.Client>;
  releaseConnection(conn: pg.Client): Promise<void>;
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
  const native = db.knex.raw(sql, bindings as Knex.RawBinding[]).toSQL().toNative();
  const client = db.knex.client as KnexPoolClient;
  const conn = await client.acquireConnection();
  const stream = conn.query(new QueryStream(native.sql, native.bindings as unknown[], { batchSize: cursorBatchRows }));
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
