/**
 * A bare HTTP server for bench:features: node:http (no express, no middleware) that runs the very
 * SQL the benchmark precomputed (a JSON file named by BENCH_QUERIES) through a pg pool and writes the rows as
 * one JSON array, each row encoded to UTF-8 on its own and gzipped (level 1, one shot) when the client accepts it,
 * as the server does, and with the SQL as named prepared statements for the workloads the server prepares (BENCH_QUERIES
 * lists them under `prepare`). What a Node HTTP server costs with nothing of ours in it; ours is compared with it.
 * GET /{workload}/{i}: runs query i of that workload (items: count and page at once, like the server).
 */
import fs from 'node:fs';
import http from 'node:http';
import zlib from 'node:zlib';
import pg from 'pg';
import { statementName } from '../server/db/statements.ts';

type NativeQuery = { text: string; values: unknown[] };
type Workloads = Record<string, Array<NativeQuery | { count: NativeQuery; page: NativeQuery }>>;

const { prepare, ...queries } = JSON.parse(fs.readFileSync(process.env.BENCH_QUERIES!, 'utf8')) as Workloads & {
  prepare: string[];
};

/** The query as pg runs it: a named prepared statement for the workloads the server prepares. */
function named(workload: string, q: NativeQuery): pg.QueryConfig {
  if (!prepare.includes(workload)) return q;
  return { ...q, name: statementName(q.text, 'min') };
}
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_SIZE ?? 10),
  options: '-c jit=off',
});

/** A row as JSON text: feature rows (`f`, or `g` + `p` from identify) are already JSON from PostgreSQL. */
function rowText(r: Record<string, unknown>): string {
  if (typeof r.f === 'string') return r.f;
  if ('g' in r && 'p' in r)
    return `{"type":"Feature","id":${r.id},"layer":${JSON.stringify(r.layer)},"geometry":${r.g ?? 'null'},"properties":${r.p}}`;
  return JSON.stringify(r);
}

const server = http.createServer((req, res) => {
  const [, workload, index] = (req.url ?? '').split('/');
  const list = queries[workload];
  if (!list) {
    res.writeHead(404).end();
    return;
  }
  const q = list[Number(index) % list.length];
  const run =
    'count' in q
      ? Promise.all([pool.query(named(workload, q.count)), pool.query(named(workload, q.page))]).then(([, page]) => page.rows)
      : pool.query(named(workload, q)).then((r) => r.rows);
  run.then(
    (rows) => {
      const parts: Buffer[] = [Buffer.from('[')];
      rows.forEach((r, i) => parts.push(Buffer.from(i ? `,${rowText(r)}` : rowText(r))));
      parts.push(Buffer.from(']'));
      const body = Buffer.concat(parts);
      const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && body.length >= 1024;
      res.writeHead(200, { 'Content-Type': 'application/json', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
      res.end(gzip ? zlib.gzipSync(body, { level: 1 }) : body);
    },
    (err: Error) => {
      res.writeHead(500).end(err.message);
    },
  );
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => {
  server.close();
  void pool.end();
});
