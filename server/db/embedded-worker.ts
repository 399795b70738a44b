/**
 * The embedded PostGIS in its own thread: PGlite (+ pglite-postgis) served on a unix socket with the PostgreSQL wire
 * protocol (pglite-socket), so a long query runs off the HTTP event loop and the main thread reaches the database with
 * `pg` exactly like a PostgreSQL server. Started by server/db/embedded.ts; speaks to it through `WorkerMessage`s.
 */
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import { SessionQueue } from './session-queue.ts';

/** What the worker is started with. */
export interface EmbeddedWorkerData {
  /** Directory of the database files; null keeps the database in memory. */
  dataDir: string | null;
  /** Path of the unix socket to listen on (…/.s.PGSQL.5432). */
  socketPath: string;
}

/** Messages between the main thread and the worker. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'warning'; message: string }
  | { type: 'listen'; channel: string }
  | { type: 'listening'; channel: string }
  | { type: 'notify'; channel: string; payload: string }
  | { type: 'close' }
  | { type: 'closed' };

if (!parentPort) throw new Error('embedded-worker.ts runs as a worker thread (see server/db/embedded.ts)');
const port = parentPort;
const { dataDir, socketPath } = workerData as EmbeddedWorkerData;
const send = (msg: WorkerMessage) => port.postMessage(msg);

async function start(): Promise<() => Promise<void>> {
  const pglite = await PGlite.create(dataDir ?? undefined, { extensions: { postgis } });
  // NOTIFY answers come back to the connection that sent them (one session); the main thread gets them from here.
  const queue = new SessionQueue(pglite, (channel, payload) => send({ type: 'notify', channel, payload }));
  const handlers = new Set<PGLiteSocketHandler>();
  const server = net.createServer((socket) => {
    const handler = new PGLiteSocketHandler({
      queryQueue: queue as unknown as PGLiteSocketHandlerOptions['queryQueue'],
      closeOnDetach: true,
    });
    handlers.add(handler);
    handler.addEventListener('close', () => handlers.delete(handler));
    // A client that drops its connection is an ordinary event here (pool shrinking, a CLI exiting); anything else
    // has closed that connection and is told to the main thread.
    handler.addEventListener('error', (event) => {
      const err = (event as CustomEvent<Error | undefined>).detail;
      if (err && !/ECONNRESET|EPIPE/.test(err.message)) send({ type: 'warning', message: err.message });
    });
    handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  port.on('message', (msg: WorkerMessage) => {
    if (msg.type !== 'listen') return;
    queue.run(`LISTEN "${msg.channel.replaceAll('"', '""')}"`).then(
      () => send({ type: 'listening', channel: msg.channel }),
      (err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
    );
  });
  return async () => {
    for (const h of handlers) await h.detach(true).catch(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (!pglite.closed) await pglite.close();
  };
}

start().then(
  (stop) => {
    port.on('message', (msg: WorkerMessage) => {
      if (msg.type !== 'close') return;
      stop().finally(() => {
        send({ type: 'closed' });
        port.close();
      });
    });
    send({ type: 'ready' });
  },
  (err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
);
