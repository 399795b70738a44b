/**
 * gzip for feature responses, at level 1. Large GeoJSON compresses ~10x even at level 1, for a fraction of the CPU of
 * the default level 6 that the app-wide compression middleware uses; the middleware leaves a response alone once
 * it carries a Content-Encoding. Streamed bodies compress on the libuv thread pool, whole ones mostly on the loop
 * (server/gzip.ts).
 */
import type { Request, Response } from 'express';
import type { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { gzipBody } from '../gzip.ts';

/** Bodies shorter than this go uncompressed: the gzip header and a round trip to the pool cost more than they save. */
export const minCompressBytes = 1024;

function wantsGzip(req: Request): boolean {
  return req.acceptsEncodings('gzip', 'identity') === 'gzip';
}

/** The stream to write a response body to: a level-1 gzip stream piped into `res`, or `res` itself. */
export function bodyStream(req: Request, res: Response): Writable {
  res.vary('Accept-Encoding');
  if (!wantsGzip(req)) return res;
  res.setHeader('Content-Encoding', 'gzip');
  const gz = zlib.createGzip({ level: 1 });
  gz.pipe(res);
  res.once('close', () => {
    if (!res.writableFinished) gz.destroy();
  });
  return gz;
}

/** Sends a complete body (text or UTF-8 bytes), gzipped at level 1 when the client accepts it and it is large enough. */
export async function sendText(req: Request, res: Response, body: string | Buffer): Promise<void> {
  res.vary('Accept-Encoding');
  if (body.length < minCompressBytes || !wantsGzip(req)) {
    res.send(body);
    return;
  }
  const zipped = await gzipBody(body, 1);
  res.setHeader('Content-Encoding', 'gzip');
  res.send(zipped);
}
