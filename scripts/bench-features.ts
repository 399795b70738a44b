/**
 * npm run bench:features: the OGC API Features and spatial query benchmark (a script, not a test).
 * On server PostGIS, database --database (default sdi_bench_features; created on DATABASE_URL's server, or
 * postgres@127.0.0.1:5432, or --pg-host/--pg-port),
 * demo data at scale 10 (seeded once, marked by a comment on the database), it runs three workloads at
 * concurrency 16 against the server in a child process, then the same SQL straight through pg (pool of the same
 * size), and prints requests/s, p50, p99 and the ratio server/raw. The server runs hot SQL as named prepared statements
 * (server/db/statements.ts) and raw does not, so the same SQL prepared straight through pg is printed too:
 *  - items: /collections/landuse_parcels/items with a bbox holding ~1,000 parcels, limit 1000 (count + page);
 *  - identify: /query/identify at points over the province, every public layer;
 *  - summary: POST /query/summary of land use by code over a commune.
 * Server and raw runs alternate (--rounds, default 2) and the best of each is kept, since the machine is shared.
 * Options: --scale N (default 10), --seconds N per run (default 6), --rounds N, --concurrency N (default 16), --reseed,
 * --workloads items,identify,summary (which to run), --database NAME, --pg-host H, --pg-port P (where the bench data lives),
 * --encoding gzip|identity (the Accept-Encoding of the load; gzip, like a browser, by default).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import pg from 'pg';
import { statementName } from '../server/db/statements.ts';
import { loadConfig } from '../server/config.ts';
import { openDatabase, type Database } from '../server/db/database.ts';
import { applyLayerDefinitions, Catalog, type Layer } from '../server/catalog/catalog.ts';
import { loadLayerDefinitions } from '../server/catalog/definition.ts';
import { seedDemo } from '../server/seed/demo.ts';
import { CRS84 } from '../server/crs/registry.ts';
import { countQuery, featureJsonSql, pageQuery } from '../server/features/sql.ts';
import { parseBbox } from '../server/http/params/bbox.ts';
import type { ItemsQuery } from '../server/features/items-query.ts';
import { identifyQuery, summaryQuery } from '../server/query/sql.ts';
import type { SqlPart } from '../server/sql/parts.ts';
import { freePort, startChildServer, stopChild } from './bench/child-server.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values: opts } = parseArgs({
  options: {
    scale: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '2' },
    encoding: { type: 'string', default: 'gzip' },
    concurrency: { type: 'string', default: '16' },
    reseed: { type: 'boolean', default: false },
    workloads: { type: 'string', default: 'items,identify,summary' },
    database: { type: 'string', default: 'sdi_bench_features' },
    'pg-host': { type: 'string' },
    'pg-port': { type: 'string' },
  },
});
const scale = Number(opts.scale);
const seconds = Number(opts.seconds);
const concurrency = Number(opts.concurrency);
const rounds = Number(opts.rounds);
const benchDb = opts.database;

/** The admin database URL of the server (DATABASE_URL's, or --pg-host/--pg-port), and the bench database URL on it. */
function urls(): { admin: string; bench: string } {
  const base = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  if (opts['pg-host']) base.hostname = opts['pg-host'];
  if (opts['pg-port']) base.port = opts['pg-port'];
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const bench = new URL(base);
  bench.pathname = `/${benchDb}`;
  return { admin: admin.toString(), bench: bench.toString() };
}

async function prepareDatabase(): Promise<{ db: Database; catalog: Catalog; url: string }> {
  const { admin, bench } = urls();
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [benchDb]);
  if (!exists.rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(benchDb)}`);
  const marker = await client.query('SELECT shobj_description(oid, $2) AS c FROM pg_database WHERE datname = $1', [
    benchDb,
    'pg_database',
  ]);
  await client.end();
  const config = loadConfig({ ...process.env, DATABASE_URL: bench, LOG_LEVEL: 'silent' }, { seedDemo: 'never' });
  const db = await openDatabase(config);
  await applyLayerDefinitions(db, loadLayerDefinitions(config.layersDir));
  const wanted = `demo scale ${scale}`;
  if (opts.reseed || marker.rows[0]?.c !== wanted) {
    console.log(`seeding demo data at scale ${scale} into ${benchDb} (once; later runs reuse it) ...`);
    const report = await seedDemo(db, { scale });
    console.log(
      `  seeded in ${(report.ms / 1000).toFixed(0)} s: ${Object.entries(report.counts)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}`,
    );
    await db.rows(`COMMENT ON DATABASE ${pg.escapeIdentifier(benchDb)} IS ${pg.escapeLiteral(wanted)}`);
  }
  const catalog = new Catalog(db);
  await catalog.load();
  return { db, catalog, url: bench };
}

/** Starts the bare node:http server of scripts/bench-minimal-features.ts over the same SQL. */
async function startMinimal(url: string, queries: unknown): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const file = path.join(os.tmpdir(), `bench-features-queries-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify(queries));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'bench-minimal-features.ts')], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      BENCH_QUERIES: file,
      DB_POOL_SIZE: String(loadConfig().poolSize),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the minimal server exited with ${code}`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

interface RunResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Runs `task(i)` from `concurrency` workers for `seconds`, after a one-second warm-up. */
async function load(task: (i: number) => Promise<void>): Promise<RunResult> {
  const warmEnd = Date.now() + 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < warmEnd) await task(n++).catch(() => undefined);
    }),
  );
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await task(n++);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? NaN;
  return { rps: latencies.length / elapsed, p50: pct(50), p99: pct(99), errors };
}

/** Keep-alive connections for the load, one per worker; bodies are read and dropped, still gzipped (no client decoding). */
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function httpTask(url: string, init?: { method?: string; body?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        agent,
        method: init?.method ?? 'GET',
        headers: { 'Accept-Encoding': opts.encoding ?? 'gzip', ...(init?.body ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode} ${url}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init?.body);
  });
}

function native(knex: Knex, part: SqlPart): { text: string; values: unknown[] } {
  const n = knex
    .raw(part.sql, part.bindings as Knex.RawBinding[])
    .toSQL()
    .toNative();
  return { text: n.sql, values: n.bindings as unknown[] };
}

/** Boxes around parcel centroids holding about `target` parcels each (binary search on the half-size). */
async function findBoxes(db: Database, count: number, target: number): Promise<Array<[number, number, number, number]>> {
  const centres = await db.rows<{ x: number; y: number }>(
    `SELECT ST_X(c) AS x, ST_Y(c) AS y FROM (SELECT ST_PointOnSurface(geom) AS c FROM landuse_parcels WHERE id % 997 = 3 ORDER BY id LIMIT ?::int) q`,
    [count * 3],
  );
  const boxes: Array<[number, number, number, number]> = [];
  for (const { x, y } of centres) {
    let lo = 0.001;
    let hi = 0.3;
    let box: [number, number, number, number] = [x, y, x, y];
    let n = 0;
    for (let i = 0; i < 18; i++) {
      const h = (lo + hi) / 2;
      box = [x - h, y - h, x + h, y + h];
      [{ n }] = await db.rows<{ n: number }>(
        'SELECT count(*)::int AS n FROM landuse_parcels WHERE ST_Intersects(geom, ST_MakeEnvelope(?, ?, ?, ?, 4326))',
        box,
      );
      if (Math.abs(n - target) <= target * 0.03) break;
      if (n < target) lo = h;
      else hi = h;
    }
    if (Math.abs(n - target) <= target * 0.1)
      boxes.push(box.map((v) => Math.round(v * 1e6) / 1e6) as [number, number, number, number]);
    if (boxes.length === count) break;
  }
  return boxes;
}

function row(name: string, server: RunResult, raw: RunResult, prepared: RunResult | null, minimal: RunResult): string {
  const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');
  const errors = server.errors + raw.errors + (prepared?.errors ?? 0) + minimal.errors;
  const p = prepared?.rps ?? NaN;
  return `| ${name.padEnd(9)} | ${f(server.rps).padStart(8)} | ${f(server.p50).padStart(7)} | ${f(server.p99).padStart(7)} | ${f(raw.rps).padStart(8)} | ${f(raw.p50).padStart(7)} | ${f(raw.p99).padStart(7)} | ${f(server.rps / raw.rps, 2).padStart(5)} | ${f(p).padStart(10)} | ${f(server.rps / p, 2).padStart(10)} | ${f(minimal.rps).padStart(9)} | ${f(server.rps / minimal.rps, 2).padStart(9)} | ${String(errors).padStart(4)} |`;
}

const { db, catalog, url } = await prepareDatabase();
const parcels = catalog.get('landuse_parcels', null);
const publicLayers: Layer[] = catalog.list(null);
const [{ n: parcelCount }] = await db.rows<{ n: number }>('SELECT count(*)::int AS n FROM landuse_parcels');
const boxes = await findBoxes(db, 16, 1000);
const points = await db.rows<{ x: number; y: number }>(
  'SELECT ST_X(c) AS x, ST_Y(c) AS y FROM (SELECT ST_PointOnSurface(geom) AS c FROM landuse_parcels WHERE id % 499 = 7 ORDER BY id LIMIT 64) q',
);
const communes = await db.rows<{ g: string; name: string }>(
  'SELECT ST_AsGeoJSON(geom, 6) AS g, name FROM admin_communes WHERE id % 7 = 1 ORDER BY id LIMIT 16',
);
console.log(
  `data: ${parcelCount} parcels; ${boxes.length} boxes of ~1,000 parcels; ${points.length} identify points over ${publicLayers.length} public layers; ${communes.length} communes`,
);

// The server's connections run with jit off (server/db/database.ts); so do these.
const pool = new pg.Pool({
  connectionString: url,
  max: loadConfig().poolSize,
  application_name: 'bench-raw',
  options: '-c jit=off',
});
const rawQuery = (q: { text: string; values: unknown[] }) => pool.query(q).then(() => undefined);
/** The same SQL as a named prepared statement (parsed and planned once per connection), as the server runs it. */
const preparedQuery = (q: { text: string; values: unknown[] }) =>
  pool.query({ ...q, name: statementName(q.text, 'bench') }).then(() => undefined);

const itemsQueries = boxes.map((b) => {
  const q: ItemsQuery = {
    limit: 1000,
    offset: 0,
    bbox: parseBbox(b.join(','), CRS84),
    crs: CRS84,
    properties: [...parcels.columns],
    sortby: [],
    equals: [],
    filter: null,
  };
  return {
    page: native(db.knex, pageQuery(parcels, q, featureJsonSql(q.properties, q.crs))),
    count: native(db.knex, countQuery(parcels, q)),
  };
});
const identifyQueries = points.map((p) =>
  native(
    db.knex,
    identifyQuery(
      [...publicLayers].sort((a, b) => b.sortOrder - a.sortOrder),
      { lon: p.x, lat: p.y },
      10,
      50,
    ),
  ),
);
const codeColumn = parcels.column('code')!;
const summaryQueries = communes.map((c) => native(db.knex, summaryQuery(parcels, c.g, [codeColumn])));

// The load generator is one client at concurrency 16: the per-client cap on expensive requests (summary) would
// answer most of it 429. Caps are lifted to all but one pool connection (the server's maximum), so the same work is
// measured as before the caps existed.
const ours = await startChildServer({
  env: {
    DATABASE_URL: url,
    LIMIT_EXPENSIVE_PER_CLIENT: String(concurrency),
    LIMIT_EXPENSIVE_TOTAL: String(loadConfig({ ...process.env, DATABASE_URL: url }).poolSize - 1),
    LIMIT_EXPENSIVE_QUEUE_MS: '60000',
  },
  stdout: 'inherit',
  readyMs: 60_000,
});
const base = ours.url;
const minimal = await startMinimal(url, {
  items: itemsQueries,
  identify: identifyQueries,
  summary: summaryQueries,
  prepare: ['items', 'identify'],
});
try {
  const results: string[] = [];
  type Task = (i: number) => Promise<void>;
  // The fourth task runs the SQL as prepared statements where the server prepares it (not summary: its GeoJSON
  // parameter would be parsed per row under a generic plan; server/db/statements.ts).
  const workloads: Array<[string, Task, Task, Task | null, Task]> = [
    [
      'items',
      (i) => httpTask(`${base}/collections/landuse_parcels/items?limit=1000&bbox=${boxes[i % boxes.length].join(',')}`),
      async (i) => {
        const q = itemsQueries[i % itemsQueries.length];
        await Promise.all([rawQuery(q.count), rawQuery(q.page)]);
      },
      async (i) => {
        const q = itemsQueries[i % itemsQueries.length];
        await Promise.all([preparedQuery(q.count), preparedQuery(q.page)]);
      },
      (i) => httpTask(`${minimal.base}/items/${i}`),
    ],
    [
      'identify',
      (i) => httpTask(`${base}/query/identify?lon=${points[i % points.length].x}&lat=${points[i % points.length].y}`),
      (i) => rawQuery(identifyQueries[i % identifyQueries.length]),
      (i) => preparedQuery(identifyQueries[i % identifyQueries.length]),
      (i) => httpTask(`${minimal.base}/identify/${i}`),
    ],
    [
      'summary',
      (i) =>
        httpTask(`${base}/query/summary`, {
          method: 'POST',
          body: `{"layer":"landuse_parcels","groupBy":"code","geometry":${communes[i % communes.length].g}}`,
        }),
      (i) => rawQuery(summaryQueries[i % summaryQueries.length]),
      null,
      (i) => httpTask(`${minimal.base}/summary/${i}`),
    ],
  ];
  const chosen = new Set(String(opts.workloads).split(','));
  for (const [name, server, raw, rawPrepared, bare] of workloads.filter(([n]) => chosen.has(n))) {
    // Alternate server and raw runs and keep the best of each: the machine is shared, so load drifts over a run.
    const best = (a: RunResult | null, b: RunResult) => (a && a.rps >= b.rps ? a : b);
    let s: RunResult | null = null;
    let r: RunResult | null = null;
    let p: RunResult | null = null;
    let m: RunResult | null = null;
    for (let round = 0; round < rounds; round++) {
      s = best(s, await load(server));
      r = best(r, await load(raw));
      if (rawPrepared) p = best(p, await load(rawPrepared));
      m = best(m, await load(bare));
    }
    results.push(row(name, s!, r!, p, m!));
  }
  console.log(
    `\nAccept-Encoding ${opts.encoding}, concurrency ${concurrency}, best of ${rounds} alternating runs of ${seconds} s, server PostGIS ${db.capabilities.postgisVersion}, pool ${loadConfig().poolSize}; times in ms`,
  );
  console.log(
    '| workload  | server/s |  p50 ms |  p99 ms |    raw/s |  p50 ms |  p99 ms | ratio | prepared/s | x prepared | minimal/s | x minimal | errs |',
  );
  console.log(
    '| --------- | -------- | ------- | ------- | -------- | ------- | ------- | ----- | ---------- | ---------- | --------- | --------- | ---- |',
  );
  for (const r of results) console.log(r);
  console.log('target: ratio >= 0.7 for items and identify');
  console.log('ratio = server / raw (the same SQL straight through pg, unnamed statements, as an application would send it)');
  console.log('prepared = the same SQL straight through pg as named prepared statements, as the server sends hot SQL');
  console.log(
    'minimal = a bare node:http server running the same SQL through pg, prepared where the server prepares it (scripts/bench-minimal-features.ts)',
  );
} finally {
  await ours.stop();
  await stopChild(minimal.child);
  agent.destroy();
  await pool.end();
  await db.close();
}
