/**
 * Database failures as domain errors. A request that fails because PostgreSQL (or the embedded worker) cannot be
 * reached is not the client's fault and not a bug: it is DatabaseUnavailableError (503 with Retry-After at the edge).
 * A statement stopped by statement_timeout is QueryTimeoutError. Any other error passes through unchanged.
 */
import { DatabaseUnavailableError, QueryTimeoutError } from '../errors.ts';

/** Node socket errors of a connection that could not be made or was lost. */
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'ENOENT']);

/**
 * SQLSTATEs of a server going away or refusing connections: admin_shutdown, crash_shutdown, cannot_connect_now
 * (starting up or shutting down), and class 08 (connection exception).
 */
const unavailableStates = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);

/** Messages of pg and knex that carry no code: a dropped connection, a pool that cannot hand out one. */
const unavailableMessages = [
  /Connection terminated/i,
  /Client has encountered a connection error/i,
  /Timeout acquiring a connection/i,
  /Unable to acquire a connection/i,
  /Client was closed and is not queryable/i,
  /Cannot use a pool after calling end/i,
  /connect EACCES|connect ENOENT/i,
];

/** True when `err` says the database cannot be reached (rather than that a statement is wrong). */
export function isDatabaseUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (socketCodes.has(code) || unavailableStates.has(code))) return true;
  if (err.name === 'KnexTimeoutError') return true;
  return unavailableMessages.some((re) => re.test(err.message));
}

/** True when `err` is a statement stopped by statement_timeout (57014 also covers a cancel we asked for). */
export function isStatementTimeout(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === '57014' && /statement timeout/i.test(err.message);
}

/** The domain error a database failure stands for; any other error unchanged. */
export function asDatabaseFailure(err: unknown): unknown {
  if (isStatementTimeout(err)) {
    return Object.assign(new QueryTimeoutError('the query took longer than the statement timeout (STATEMENT_TIMEOUT_MS)'), {
      cause: err,
    });
  }
  if (isDatabaseUnreachable(err)) {
    const reason = err instanceof Error ? err.message : String(err);
    return Object.assign(new DatabaseUnavailableError(`the database is unreachable (${reason}); try again shortly`), {
      cause: err,
    });
  }
  return err;
}
