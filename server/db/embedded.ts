/**
 * Runs the embedded PostGIS (PGlite) in a worker thread and serves it on a unix socket, so that the HTTP event loop
 * never waits for a query: /health answers while a long statement runs. The main thread reaches it with `pg` like a
 * PostgreSQL server. The data directory is locked for this process (server/db/data-dir-lock.ts) and its socket
 * lives in `<DATA_DIR>/run/` (mode 0700), where the command-line tools find it while the server runs.
 *
 * What the embedded backend still cannot do, by PGlite's nature (one single-user session):
 *  - statements run one at a time (server/db/session-queue.ts); a long one delays the others, and /ready (which pings
 *    the database) may answer 503 meanwhile, while /health and cached tiles keep answering;
 *  - a cancel request is ignored: an abandoned statement runs to its end, in the worker;
 *  - prepared statements are off and rows are read whole rather than through a cursor (server/db/rows.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { lockDataDir, runDirOf } from './data-dir-lock.ts';
import type { EmbeddedWorkerData, WorkerMessage } from './embedded-worker.ts';

/** The PostgreSQL port number in the socket's file name (`.s.PGSQL.<port>`), as pg expects it. */
export const socketPort = 5432;

/** Longest unix socket path the kernels we run on accept (108 bytes on Linux, 104 on macOS, with the NUL). */
const maxSocketPath = 100;

/** A running embedded database. */
export interface EmbeddedEngine {
  /** Directory of the socket: pg's `host`, with port `socketPort`. */
  readonly socketDir: string;
  /** Subscribes to a NOTIFY channel (forwarded by the worker); returns a function that stops listening. */
  listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  /** Stops the worker, closes the database files and gives the data directory back. */
  close(): Promise<void>;
}

/**
 * The worker is TypeScript like the rest of the server: it registers tsx in its own thread before loading
 * embedded-worker.ts (a worker does not inherit the loader hooks of the main thread).
 */
function workerSource(): string {
  // The ESM entry of tsx's API, found through its package.json exports (this module may itself run as CommonJS
  // under mocha, where import.meta.resolve does not exist; the CommonJS entry cannot register ESM hooks from a worker).
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const tsx = new URL(exports['./esm/api'].import.default, pathToFileURL(manifest)).href;
  const entry = new URL('./embedded-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
}

/** Picks the socket directory: `<DATA_DIR>/run`, or a private temporary directory (memory://, or a path too long). */
function socketDirFor(dataDir: string | null): { dir: string; temporary: boolean } {
  if (dataDir) {
    const dir = runDirOf(dataDir);
    if (path.join(dir, `.s.PGSQL.${socketPort}`).length <= maxSocketPath) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      return { dir, temporary: false };
    }
  }
  return { dir: fs.mkdtempSync(path.join(os.tmpdir(), 'sdi-pglite-')), temporary: true };
}

/**
 * Starts the embedded database of `dataDir` (null: in memory) in a worker thread.
 * Throws DataDirectoryInUseError when another running process holds the directory.
 */
export async function startEmbeddedEngine(dataDir: string | null): Promise<EmbeddedEngine> {
  const source = workerSource();
  if (dataDir) fs.mkdirSync(path.resolve(dataDir), { recursive: true });
  const socket = socketDirFor(dataDir);
  const socketPath = path.join(socket.dir, `.s.PGSQL.${socketPort}`);
  let unlock = () => undefined as void;
  try {
    if (dataDir) unlock = lockDataDir(dataDir, socket.dir);
    fs.rmSync(socketPath, { force: true }); // left by a server that died; the lock says none runs now
  } catch (err) {
    if (socket.temporary) fs.rmSync(socket.dir, { recursive: true, force: true });
    throw err;
  }
  const workerData: EmbeddedWorkerData = { dataDir: dataDir && path.resolve(dataDir), socketPath };
  const worker = new Worker(source, { eval: true, workerData });
  const listeners = new Map<string, Set<(payload: string) => void>>();
  const listening = new Map<string, () => void>();
  let exited = false;
  const cleanUp = () => {
    if (socket.temporary) fs.rmSync(socket.dir, { recursive: true, force: true });
    else fs.rmSync(socketPath, { force: true });
    unlock();
  };
  worker.on('message', (msg: WorkerMessage) => {
    if (msg.type === 'notify') for (const h of listeners.get(msg.channel) ?? []) h(msg.payload);
    if (msg.type === 'listening') listening.get(msg.channel)?.();
    if (msg.type === 'warning') process.emitWarning(`embedded database connection closed: ${msg.message}`);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'ready') resolve();
        if (msg.type === 'failed') reject(new Error(`embedded database: ${msg.message}`));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`embedded database worker exited (code ${code}) while starting`)));
    });
  } catch (err) {
    await worker.terminate();
    cleanUp();
    throw err;
  }
  worker.once('exit', () => {
    exited = true;
  });
  // A process that exits without closing (a test run, a crash) leaves neither its socket nor its lock behind.
  process.once('exit', cleanUp);
  // Local user only: the socket answers without a password, like PostgreSQL's default peer-trust on its own socket.
  fs.chmodSync(socketPath, 0o600);

  return {
    socketDir: socket.dir,
    async listen(channel, handler) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        await new Promise<void>((resolve) => {
          listening.set(channel, resolve);
          worker.postMessage({ type: 'listen', channel } satisfies WorkerMessage);
        });
        listening.delete(channel);
      }
      set.add(handler);
      const mine = set;
      return async () => {
        mine.delete(handler);
      };
    },
    async close() {
      if (!exited) {
        // Closing flushes the database files first; a worker that does not answer in time is stopped all the same.
        const closed = new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 10_000);
          const done = () => {
            clearTimeout(timer);
            resolve();
          };
          worker.on('message', (msg: WorkerMessage) => msg.type === 'closed' && done());
          worker.once('exit', done);
        });
        worker.postMessage({ type: 'close' } satisfies WorkerMessage);
        await closed;
        await worker.terminate();
      }
      process.removeListener('exit', cleanUp);
      cleanUp();
    },
  };
}
