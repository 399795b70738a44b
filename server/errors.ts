/**
 * Domain errors: what went wrong, in the words of the domain (a bad parameter, an unknown layer, a limit, a
 * timeout), never an HTTP status. The HTTP edge (`server/http/errors.ts`) maps each class to a status and an OGC
 * exception code in one table, TiPg's way; domain modules import only this file, never `http/`.
 */

/** The base of every domain error: a message that says what and which (the layer, the tile, the parameter). */
export class DomainError extends Error {
  /** Seconds a client should wait before trying again, where waiting helps (limits, outages, timeouts). */
  retryAfterSeconds?: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A request parameter (query string, header, path segment or body field) has a value we cannot use. */
export class InvalidParameterError extends DomainError {
  constructor(
    message: string,
    /** The parameter's name, when one parameter is to blame. */
    readonly parameter?: string,
  ) {
    super(message);
  }
}

/** Throws InvalidParameterError unless `ok`. */
export function check(ok: unknown, message: string, parameter?: string): asserts ok {
  if (!ok) throw new InvalidParameterError(message, parameter);
}

/** No such resource (a feature, a job, a token, a path). */
export class NotFoundError extends DomainError {}

/** The caller is not authenticated (no token, or a bad one). */
export class UnauthenticatedError extends DomainError {}

/** The caller is authenticated but may not do this. */
export class ForbiddenError extends DomainError {}

/** The request conflicts with the current state (an id already taken, a job in the wrong state). */
export class ConflictError extends DomainError {}

/** A precondition of the request (If-Match) does not hold any more. */
export class PreconditionFailedError extends DomainError {}

/** A body or file is larger than a configured limit. */
export class PayloadTooLargeError extends DomainError {}

/** A body or file comes in a format or encoding we do not read. */
export class UnsupportedMediaTypeError extends DomainError {}

/** The content is well-formed but cannot be used (a file with no features, a geometry of the wrong type). */
export class UnprocessableError extends DomainError {}

/** A cost limit was reached for this client (too many expensive requests at once, too large an input). */
export class LimitExceededError extends DomainError {
  constructor(message: string, retryAfterSeconds = 1) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The server as a whole is at a limit (all expensive-query slots taken); any client may retry soon. */
export class OverloadedError extends DomainError {
  constructor(message: string, retryAfterSeconds = 1) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A statement ran past its deadline and was cancelled. */
export class QueryTimeoutError extends DomainError {
  constructor(message: string, retryAfterSeconds = 5) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The database cannot be reached (refused, reset, shutting down). */
export class DatabaseUnavailableError extends DomainError {
  constructor(message = 'the database is unreachable; try again shortly', retryAfterSeconds = 5) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The client went away before the answer was ready; nothing is to be written. */
export class ClientGoneError extends DomainError {
  constructor(message = 'the client closed the connection') {
    super(message);
  }
}

/** A layer id that is unknown, or restricted and not visible to this caller (the message says nothing more). */
export class UnknownLayerError extends NotFoundError {
  constructor(
    readonly layerId: string,
    /** The request parameter that named the layer, when the caller knows it (`layers`, `layer`). */
    readonly parameter?: string,
  ) {
    super(`${parameter ? `parameter "${parameter}": ` : ''}layer "${layerId}" does not exist`);
  }
}

/** A tile did not render in time (TILE_TIMEOUT_MS or the statement timeout); the client may retry or zoom in. */
export class TileTimeoutError extends DomainError {
  constructor(what: string, ms: number) {
    super(`${what} took longer than ${ms} ms (TILE_TIMEOUT_MS); try again, or zoom in`);
    this.retryAfterSeconds = 5;
  }
}

/** A tile layer holds more features than the cap (TILE_MAX_FEATURES): a configuration limit, not the client's fault. */
export class TileFeatureLimitError extends DomainError {}
