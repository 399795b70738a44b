/**
 * The HTTP floor for bench:features: a bare node:http server (no express, no middleware) that runs the very
 * SQL the benchmark precomputed (a JSON file named by BENCH_QUERIES) through a pg pool and writes the rows as
 * one JSON body. What no Node HTTP server can beat on this machine; our server is compared with it too.
 * GET /{workload}/{i}: runs query i of that workload (items: count and page at once, like the server).
 */
import fs from 'node:fs';
import http from 'node:http';
import pg from 'pg';

type NativeQuery = { text: string; values: unknown[] };
type Workloads = Record<string, Array<NativeQuery | { count: NativeQuery; page: NativeQuery }>>;

const queries = JSON.parse(fs.readFileSync(process.env.BENCH_QUERIES!, 'utf8')) as Workloads;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE ?? 10), options: '-c jit=off' });

const server = http.createServer((req, res) => {
  const [, workload, index] = (req.url ?? '').split('/');
  const list = queries[workload];
  if (!list) {
    res.writeHead(404).end();
    return;
  }
  const q = list[Number(index) % list.length];
  const run = 'count' in q ? Promise.all([pool.query(q.count), pool.query(q.page)]).then(([, page]) => page.rows) : pool.query(q).then((r) => r.rows);
  run.then(
    (rows) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(rows));
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
