/**
 * One-shot gzip of a whole body (a tile, a page of features). Bodies up to syncGzipMaxBytes are compressed on the
 * event loop: on this 2-core machine a one-shot gzipSync of a 230 KB page costs ~0.2 ms of CPU, the same through
 * the libuv pool 0.7-1.0 ms (a deflate state per job, thread hops, contention among 16 requests at once), and that
 * CPU is taken from PostgreSQL. Larger bodies go to the pool, so one response cannot hold the loop for long.
 */
import zlib from 'node:zlib';
import { promisify } from 'node:util';

/** Largest body compressed on the event loop. */
export const syncGzipMaxBytes = 1024 * 1024;

const gzipAsync = promisify(zlib.gzip);

/** The body gzipped at `level`. */
export async function gzipBody(body: string | Buffer, level: number): Promise<Buffer> {
  return body.length <= syncGzipMaxBytes ? zlib.gzipSync(body, { level }) : gzipAsync(body, { level });
}
