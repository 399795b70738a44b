/**
 * gzip for feature responses, at level 1. Large GeoJSON compresses ~10x even at level 1, for a fraction of the CPU of
 * the default level 6 that the app-wide compression middleware uses; the middleware leaves a response alone once
 * it carries a Content-Encoding. Streamed bodies compress on the libuv thread pool; whole bodies see sendText.
 */
import type { Request, Response } from 'express';
import type { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { promisify } from 'node:util';

/** Bodies shorter than this go uncompressed: the gzip header and a round trip to the pool cost more than they save. */
export const minCompressBytes = 1024;

/**
 * Bodies up to this size are compressed on the event loop. A one-shot gzipSync of a 230 KB page costs ~0.2 ms of
 * CPU; the same through the libuv pool costs 0.7-1.0 ms (a deflate state per job, hops and contention among 16
 * requests at once), which on a 2-core server is CPU taken from PostgreSQL. Larger bodies go to the pool so one
 * response cannot hold the loop for long.
 */
export const syncCompressMaxBytes = 1024 * 1024;

const gzip = promisify(zlib.gzip);

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
  const zipped = body.length <= syncCompressMaxBytes ? zlib.gzipSync(body, { level: 1 }) : await gzip(body, { level: 1 });
  res.setHeader('Content-Encoding', 'gzip');
  res.send(zipped);
}
