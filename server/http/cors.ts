/**
 * CORS, in one place: open for reads, so any map client on any origin may use our tiles and features. The app
 * applies it with the `cors` middleware; the tile fast path and the parser-error answer, which run below express,
 * write the same header values from here.
 */
import cors, { type CorsOptions } from 'cors';
import type { RequestHandler } from 'express';

/** Any origin may read; no credentials travel (tokens go in Authorization, which is not a cookie). */
export const allowedOrigin = '*';

/** Response headers a cross-origin client may read. */
export const exposedHeaders = 'ETag, Content-Crs, Link, X-Request-Id';

const options: CorsOptions = {
  origin: allowedOrigin,
  methods: 'GET, HEAD, POST, PATCH, DELETE, OPTIONS',
  allowedHeaders: 'Authorization, Content-Type, If-None-Match, Accept',
  exposedHeaders,
  // A day: browsers cap it lower anyway (Chromium at 2 h), and the answer never changes.
  maxAge: 86_400,
  optionsSuccessStatus: 204,
};

/** The app's CORS middleware: headers on every response, and the answer to every preflight (OPTIONS). */
export function corsMiddleware(): RequestHandler {
  return cors(options);
}

/** The headers of an actual (non-preflight) response, for code that writes responses below express. */
export const responseCorsHeaders: ReadonlyArray<readonly [string, string]> = [
  ['Access-Control-Allow-Origin', allowedOrigin],
  ['Access-Control-Expose-Headers', exposedHeaders],
];
