/**
 * One error class per outcome, one middleware that maps them to a status and an OGC exception
 * `{code, description}`. Messages say what and which: the layer, the tile, the parameter and its value.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import * as domain from '../errors.ts';

/** Route modules not yet moved to the domain classes import these names from here; they are the domain classes. */
export { InvalidParameterError, NotFoundError, check } from '../errors.ts';

/**
 * The one table from domain error class to HTTP status and OGC exception code. The first matching row wins, so a
 * subclass must stand above its base class.
 */
const statusOf: Array<[new (...args: never[]) => Error, number, string]> = [
  [domain.InvalidParameterError, 400, 'InvalidParameterValue'],
  [domain.UnauthenticatedError, 401, 'Unauthorized'],
  [domain.ForbiddenError, 403, 'Forbidden'],
  [domain.NotFoundError, 404, 'NotFound'],
  [domain.ConflictError, 409, 'Conflict'],
  [domain.PreconditionFailedError, 412, 'PreconditionFailed'],
  [domain.PayloadTooLargeError, 413, 'PayloadTooLarge'],
  [domain.UnsupportedMediaTypeError, 415, 'UnsupportedMediaType'],
  [domain.UnprocessableError, 422, 'UnprocessableEntity'],
  [domain.LimitExceededError, 429, 'TooManyRequests'],
  [domain.OverloadedError, 503, 'ServiceUnavailable'],
  [domain.QueryTimeoutError, 503, 'QueryTimeout'],
  [domain.TileTimeoutError, 503, 'TileTimeout'],
  [domain.TileFeatureLimitError, 500, 'TileFeatureLimit'],
  [domain.DatabaseUnavailableError, 503, 'DatabaseUnavailable'],
];

/** The status and code of a domain error, or null for an error the domain did not foresee (a 500). */
export function statusOfError(err: unknown): { status: number; code: string } | null {
  for (const [cls, status, code] of statusOf) if (err instanceof cls) return { status, code };
  return null;
}

/** An error with an HTTP status and an OGC exception code, for the edge-only answers of route modules (auth, admin). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Turns any error into `{code, description}` with the right status; unexpected ones are logged and hidden. */
export const errorMiddleware: ErrorRequestHandler = (err, req, res, _next) => {
  let status = 500;
  let code = 'ServerError';
  let description = 'internal server error';
  const mapped = statusOfError(err);
  if (err instanceof HttpError) {
    ({ status, code } = err);
    description = err.message;
    for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  } else if (mapped) {
    ({ status, code } = mapped);
    description = err.message;
    if (err instanceof domain.DomainError && err.retryAfterSeconds !== undefined)
      res.setHeader('Retry-After', String(err.retryAfterSeconds));
  } else if (err?.type === 'entity.too.large') {
    status = 413;
    code = 'PayloadTooLarge';
    description = `request body larger than the limit of ${err.limit} bytes`;
  } else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') {
    // body-parser: a Content-Encoding other than gzip/deflate/br/identity, or a charset it cannot decode.
    status = 415;
    code = 'UnsupportedMediaType';
    const quoted = (value: unknown) => JSON.stringify(String(value ?? '').slice(0, 40));
    description =
      err.type === 'encoding.unsupported'
        ? `header "Content-Encoding": ${quoted(req.headers['content-encoding'])} is not supported; send gzip, deflate, br or no encoding`
        : `header "Content-Type": charset ${quoted(err.charset)} is not supported; send UTF-8`;
  } else if (err instanceof URIError && (err as URIError & { status?: number }).status === 400) {
    // The router could not decode a path parameter: a percent-escape that is not UTF-8 (%C0%AF, a lone surrogate).
    status = 400;
    code = 'InvalidParameterValue';
    description = `path ${JSON.stringify(req.path.slice(0, 120))}: ${undecodableSegments(req.path)} not valid percent-encoded UTF-8`;
  } else if (err?.type === 'entity.parse.failed') {
    status = 400;
    code = 'InvalidParameterValue';
    description = `request body is not valid JSON: ${err.message}`;
  } else if (err?.code === '57014') {
    status = 503;
    code = 'QueryTimeout';
    description = `the database query for ${req.path} took longer than the statement timeout`;
    res.setHeader('Retry-After', '5');
  } else {
    req.log?.error({ err }, 'request failed');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(status).type('application/json').send(JSON.stringify({ code, description }));
};

/** The path segments that do not decode, named for a message: `segment "%C0%AF" is`. */
function undecodableSegments(path: string): string {
  const bad = path.split('/').filter((segment) => {
    try {
      decodeURIComponent(segment);
      return false;
    } catch {
      return true;
    }
  });
  const named = bad.map((b) => JSON.stringify(b.slice(0, 40))).join(', ');
  return bad.length === 1 ? `segment ${named} is` : `segments ${named} are`;
}

/** 404 for any path no route answered. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new domain.NotFoundError(`no resource at ${req.path}`));
};
