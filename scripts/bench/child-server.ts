/**
 * The server under test as a child process, shared by the bench scripts (bench:tiles, bench:peers, bench:viewer,
 * bench:features, load:expensive): server/index.ts (or another entry) on a free port of 127.0.0.1, ready once a
 * path answers 200; its CPU and memory read from /proc (Linux; 0 or null elsewhere); stopped with SIGTERM, then
 * SIGKILL after 30 s. A child of its own, not the app in the bench's process: the figures are the server's alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

/** The repository root (the child's working directory). */
export const root = path.resolve(import.meta.dirname, '..', '..');

/** How to start a child server. */
export interface ChildServerOptions {
  /** Environment over the bench's own (process.env); PORT is set from `port`. */
  env?: NodeJS.ProcessEnv;
  /** Port on 127.0.0.1; default a free one. */
  port?: number;
  /** The script node runs (with tsx); default server/index.ts. Further arguments after it. */
  entry?: string[];
  /** Where the child's stdout goes (stderr is always inherited, so its errors show). */
  stdout?: 'ignore' | 'inherit';
  /** The path polled until it answers 200 (default /ready) and how long to wait for it (default 10 min: a first seed). */
  readyPath?: string;
  readyMs?: number;
  /** Local address of the readiness requests (load:expensive tells clients apart by address). */
  localAddress?: string;
}

/** A started child server. */
export interface ChildServer {
  child: ChildProcess;
  pid: number;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** CPU seconds (user + system) the child has used so far. */
  cpuSeconds(): number;
  /** SIGTERM, then SIGKILL after 30 s. */
  stop(): Promise<void>;
}

/** The settings every bench child gets unless the caller says otherwise: loopback, quiet logs, no demo seeding. */
const defaults: NodeJS.ProcessEnv = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', SEED_DEMO: 'never' };

/** Starts a server child and resolves once it is ready; a child that exits first, or never gets ready, is an error. */
export async function startChildServer(options: ChildServerOptions = {}): Promise<ChildServer> {
  const port = options.port ?? (await freePort());
  const entry = options.entry ?? [path.join(root, 'server', 'index.ts')];
  // BENCH_CHILD_NODE_ARGS: node options for the server child only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...entry], {
    cwd: root,
    env: { ...process.env, ...defaults, ...options.env, PORT: String(port) },
    stdio: ['ignore', options.stdout ?? 'ignore', 'inherit'],
  });
  const server: ChildServer = {
    child,
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    cpuSeconds: () => cpuSeconds(child.pid!),
    stop: () => stopChild(child),
  };
  try {
    await waitReady(server, options.readyPath ?? '/ready', options.readyMs ?? 600_000, options.localAddress);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** A port free on 127.0.0.1 just now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(server: ChildServer, readyPath: string, ms: number, localAddress?: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (server.child.exitCode !== null) throw new Error(`the server exited with code ${server.child.exitCode} before it was ready`);
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get({ host: '127.0.0.1', port: server.port, path: readyPath, localAddress }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server did not answer ${readyPath} within ${Math.round(ms / 1000)} s`);
}

/** Ends a child: SIGTERM (the server finishes its requests), SIGKILL when it is still there after 30 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; 0 elsewhere). */
export function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** A memory figure of a process in MiB from /proc/<pid>/status: VmHWM (peak) or VmRSS (now); null where unreadable. */
function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Peak resident set size of a process in MiB (VmHWM). */
export function peakRssMb(pid: number): number | null {
  return statusMb(pid, 'VmHWM');
}

/** Resident set size of a process now, in MiB (VmRSS). */
export function rssMb(pid: number): number | null {
  return statusMb(pid, 'VmRSS');
}

/** Waits until a started server has settled (under 5 % of a core for a second): start-up work such as memory indexes is done. */
export async function settled(pid: number, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  let last = cpuSeconds(pid);
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = cpuSeconds(pid);
    if (now - last < 0.05) return;
    last = now;
  }
}
