/**
 * npm run bench:tiles: the tile benchmark (a script, not a test). For each backend it prints
 *  1. raw: the same tile SQL straight through the database driver (the floor for a cold tile);
 *  2. server, cold cache: tiles/s, p50, p99, mean size, ratio to raw;
 *  3. server, warm cache: tiles/s, p50, p99, ratio to a minimal node:http server serving the same bytes from a Map;
 *  4. peak RSS of the server process (VmHWM).
 * Tiles: bench/tiles.txt (committed; `--generate` rewrites it deterministically), requested as one composite
 * of the public demo layers, at concurrency 16 over keep-alive connections, gzip accepted like a browser.
 * Data: server PostGIS = database --database (default sdi_bench) on DATABASE_URL's server (--pg-host, --pg-port),
 * demo scale 10 (seeded once, marked by a
 * comment on the database); embedded = a PGlite directory under the OS temp dir at --embedded-scale (default 1).
 *
 * The z12-16 band (where users browse) is run in chunks of its own and reported apart: server CPU per cold tile there.
 * Before the cold run, the server child is warmed up on 2,000 tiles of that band near the list's (never in it).
 *
 * Options: --backend server|embedded|both, --concurrency N, --warm-rounds N, --embedded-scale N, --reseed,
 * --generate, --layers a,b (default: public demo layers), --database NAME, --pg-host H, --pg-port P (where the bench
 * data lives), --port N (the server child's port; default a free one). Internal child mode: --minimal-server <file>.
 * The server child is server/index.ts as shipped (scripts/bench/child-server.ts), tile fast path included.
 * --explain [--explain-tiles N] [--explain-save FILE] [--explain-baseline FILE]: EXPLAIN (ANALYZE, BUFFERS) per tile
 * instead of throughput (see explainRun).
 * With --backend embedded and DATABASE_URL, it then compares embedded cold tiles (memory index on and off) with the
 * server backend's on the same data at the same scale (see embeddedAgainstServer); --skip-compare leaves that out,
 * --compare-only runs only that.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { benchComposite, nearbyTiles, readTileList, warmUpTiles } from './bench/tile-list.ts';
import {
  cpuSeconds,
  freePort,
  peakRssMb,
  rssMb,
  settled,
  startChildServer,
  stopChild,
  type ChildServer,
} from './bench/child-server.ts';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import pg from 'pg';
import { loadConfig, type Config } from '../server/config.ts';
import { openDatabase, type Database } from '../server/db/database.ts';
import { applyLayerDefinitions, Catalog, type Layer } from '../server/catalog/catalog.ts';
import { loadLayerDefinitions } from '../server/catalog/definition.ts';
import { seedDemo } from '../server/seed/demo.ts';
import { TileRenderer } from '../server/tiles/render.ts';
import { toNative } from '../server/db/statements.ts';
import { latToTileY, lonToTileX, type TileCoord } from '../server/tiles/grid.ts';

const root = path.resolve(import.meta.dirname, '..');
const tilesFile = path.join(root, 'bench', 'tiles.txt');

const { values: opts } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    concurrency: { type: 'string', default: '16' },
    'warm-rounds': { type: 'string', default: '3' },
    'embedded-scale': { type: 'string', default: '1' },
    scale: { type: 'string', default: '10' },
    layers: { type: 'string', default: benchComposite.join(',') },
    reseed: { type: 'boolean', default: false },
    generate: { type: 'boolean', default: false },
    'minimal-server': { type: 'string' },
    database: { type: 'string', default: 'sdi_bench' },
    'pg-host': { type: 'string' },
    'pg-port': { type: 'string' },
    port: { type: 'string' },
    explain: { type: 'boolean', default: false },
    'explain-tiles': { type: 'string', default: '40' },
    'explain-save': { type: 'string' },
    'explain-baseline': { type: 'string' },
    'skip-compare': { type: 'boolean', default: false },
    'compare-only': { type: 'boolean', default: false },
  },
});

// ---------- the tile list ----------

/** mulberry32: a small deterministic PRNG, so `--generate` always writes the same list. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes bench/tiles.txt: 2,000 distinct tiles, 80 % at z12-15, most around the towns of the province. */
function generateTiles(): void {
  const rand = prng(20251125);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  // Town centres (EPSG:4326): Bắc Ninh, Từ Sơn, Bắc Giang, Quế Võ, Thuận Thành, Yên Phong, Việt Yên, Hiệp Hòa, Lục Nam, Chũ.
  const towns = [
    [106.076, 21.186],
    [105.957, 21.117],
    [106.194, 21.273],
    [106.15, 21.15],
    [106.08, 21.05],
    [105.95, 21.2],
    [106.1, 21.27],
    [105.97, 21.35],
    [106.39, 21.29],
    [106.57, 21.37],
  ];
  const bbox = [105.88, 20.97, 107.03, 21.63];
  const zooms: Array<[number, number]> = [
    [8, 2],
    [9, 2],
    [10, 4],
    [11, 7],
    [12, 20],
    [13, 22],
    [14, 22],
    [15, 16],
    [16, 5],
  ];
  const total = zooms.reduce((s, [, w]) => s + w, 0);
  const seen = new Set<string>();
  const lines: string[] = [];
  for (let guard = 0; lines.length < 2000 && guard < 1_000_000; guard++) {
    let r = rand() * total;
    const z = zooms.find(([, w]) => (r -= w) < 0)?.[0] ?? 14;
    let lon: number;
    let lat: number;
    if (rand() < 0.7) {
      const [tx, ty] = towns[Math.floor(rand() * towns.length)];
      lon = tx + gauss() * 0.03;
      lat = ty + gauss() * 0.03;
    } else {
      lon = bbox[0] + rand() * (bbox[2] - bbox[0]);
      lat = bbox[1] + rand() * (bbox[3] - bbox[1]);
    }
    const t = `${z}/${Math.floor(lonToTileX(lon, z))}/${Math.floor(latToTileY(lat, z))}`;
    if (seen.has(t)) continue;
    seen.add(t);
    lines.push(t);
  }
  fs.mkdirSync(path.dirname(tilesFile), { recursive: true });
  fs.writeFileSync(tilesFile, `${lines.join('\n')}\n`);
  console.log(`wrote ${lines.length} tiles to ${path.relative(root, tilesFile)}`);
}

// ---------- measuring ----------

/** Figures of one kind of run, summed over its chunks. */
interface RunStats {
  tiles: number;
  seconds: number;
  latencies: number[];
  bytes: number;
  rawBytes: number;
  statuses: Record<number, number>;
  largest: { path: string; bytes: number };
  /** CPU seconds the serving process used during the run (0 for raw, which runs in this process). */
  cpuSeconds: number;
}

function emptyStats(): RunStats {
  return {
    tiles: 0,
    seconds: 0,
    latencies: [],
    bytes: 0,
    rawBytes: 0,
    statuses: {},
    largest: { path: '', bytes: 0 },
    cpuSeconds: 0,
  };
}

function percentile(stats: RunStats, p: number): number {
  const sorted = Float64Array.from(stats.latencies).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Runs `work` for every item with `concurrency` workers, adding time and latencies (ms) to `into`. */
async function replay<T>(
  items: readonly T[],
  concurrency: number,
  into: RunStats,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < items.length; i = next++) {
        const s = performance.now();
        await work(items[i]);
        into.latencies.push(performance.now() - s);
      }
    }),
  );
  into.seconds += (performance.now() - t0) / 1000;
  into.tiles += items.length;
}

interface Fetched {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function httpGet(agent: http.Agent, port: number, p: string): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: p, agent, headers: { 'Accept-Encoding': 'gzip, deflate, br' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

/** Requests `paths` from a server on `port`; with `keep`, stores every response and measures uncompressed sizes. */
async function httpRun(
  agent: http.Agent,
  port: number,
  paths: string[],
  concurrency: number,
  into: RunStats,
  keep?: Map<string, Fetched>,
): Promise<void> {
  await replay(paths, concurrency, into, async (p) => {
    const r = await httpGet(agent, port, p);
    into.statuses[r.status] = (into.statuses[r.status] ?? 0) + 1;
    into.bytes += r.body.length;
    if (keep) {
      keep.set(p, r);
      const raw = r.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(r.body).length : r.body.length;
      into.rawBytes += raw;
      if (raw > into.largest.bytes) into.largest = { path: p, bytes: raw };
    }
  });
}

/** Splits a list into `n` consecutive chunks (runs being compared alternate chunk by chunk). */
function chunks<T>(items: readonly T[], n: number): T[][] {
  const size = Math.ceil(items.length / n);
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

// ---------- data ----------

/** The bench database URL: DATABASE_URL's server (or --pg-host/--pg-port), database `name` (--database); created when missing. */
async function benchDatabaseUrl(name = opts.database!): Promise<string> {
  const base = new URL(process.env.DATABASE_URL!);
  if (opts['pg-host']) base.hostname = opts['pg-host'];
  if (opts['pg-port']) base.port = opts['pg-port'];
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rows.length === 0) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  base.pathname = `/${encodeURIComponent(name)}`;
  return base.toString();
}

/** Opens the bench data, seeding it at `scale` when it holds another scale (or --reseed). */
async function openBenchData(config: Config, scale: number): Promise<{ db: Database; catalog: Catalog }> {
  const db = await openDatabase(config);
  await applyLayerDefinitions(db, loadLayerDefinitions(config.layersDir));
  const marker = `sdi demo scale ${scale}`;
  const [m] =
    db.backend === 'server'
      ? await db.rows<{ c: string | null }>(
          "SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = current_database()",
        )
      : [
          {
            c: fs.existsSync(path.join(config.dataDir, 'sdi-bench-seeded'))
              ? fs.readFileSync(path.join(config.dataDir, 'sdi-bench-seeded'), 'utf8')
              : null,
          },
        ];
  if (opts.reseed || m?.c !== marker) {
    process.stdout.write(`seeding demo data at scale ${scale} (${db.backend})... `);
    const report = await seedDemo(db, { scale });
    console.log(`${(report.ms / 1000).toFixed(1)} s, ${report.counts.landuse_parcels} parcels`);
    if (db.backend === 'server')
      await db.rows(`COMMENT ON DATABASE ${pg.escapeIdentifier(new URL(config.databaseUrl).pathname.slice(1))} IS '${marker}'`);
    else fs.writeFileSync(path.join(config.dataDir, 'sdi-bench-seeded'), marker);
  }
  const catalog = new Catalog(db);
  await catalog.load();
  return { db, catalog };
}

// ---------- one backend ----------

interface BackendResult {
  title: string;
  note: string;
  raw: RunStats;
  cold: RunStats;
  /** The same runs over the tiles at z12-16 alone. */
  rawBand: RunStats;
  coldBand: RunStats;
  warm: RunStats;
  minimal: RunStats;
  rssMb: number | null;
}

/**
 * The renderer of the raw run, on the opened database itself: the server's pool and connection settings (pool
 * size, statement timeout, JIT off) and its prepared tile statements, but no HTTP, gzip or cache.
 */
function rawRenderer(db: Database, config: Config): { renderer: TileRenderer; close: () => Promise<void> } {
  return {
    renderer: new TileRenderer(
      db,
      () => config.tileMaxFeatures,
      () => config.tileBudgetKb * 1024,
    ),
    close: () => db.close(),
  };
}

/** The ceiling: the cold run's responses served from a Map by node:http in its own process, until `stop`. */
async function startMinimalServer(
  kept: Map<string, Fetched>,
): Promise<{ port: number; child: ChildProcess; stop: () => Promise<void> }> {
  const file = path.join(os.tmpdir(), `sdi-bench-minimal-${process.pid}.json`);
  // The same answer as the server's, headers included (helmet's, CORS, ETag...), but those node:http writes itself
  // or that differ per request.
  const perRequest = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'x-request-id']);
  const pick = (h: http.IncomingHttpHeaders) =>
    Object.fromEntries(Object.entries(h).flatMap(([k, v]) => (perRequest.has(k) || v === undefined ? [] : [[k, String(v)]])));
  fs.writeFileSync(
    file,
    JSON.stringify(
      [...kept].map(([p, r]) => ({ path: p, status: r.status, headers: pick(r.headers), body: r.body.toString('base64') })),
    ),
  );
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--minimal-server', file], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((r) => child.once('message', r));
  return {
    port,
    child,
    stop: async () => {
      await stopChild(child);
      fs.rmSync(file, { force: true });
    },
  };
}

/** 3. Warm rounds over the same chunks, alternating the server (all hits now) and the minimal node:http server. */
async function warmRounds(
  child: ChildProcess,
  port: number,
  agent: http.Agent,
  kept: Map<string, Fetched>,
  pathChunks: string[][],
  concurrency: number,
): Promise<{ warm: RunStats; minimal: RunStats }> {
  const minimalServer = await startMinimalServer(kept);
  const magent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const timed = async (pid: number, into: RunStats, run: () => Promise<void>) => {
    const cpu = cpuSeconds(pid);
    await run();
    into.cpuSeconds += cpuSeconds(pid) - cpu;
  };
  try {
    process.stdout.write('server warm and minimal node:http, alternating... ');
    const warm = emptyStats();
    const minimal = emptyStats();
    for (let r = 0; r < Number(opts['warm-rounds']); r++) {
      for (const c of pathChunks) {
        await timed(child.pid!, warm, () => httpRun(agent, port, c, concurrency, warm));
        await timed(minimalServer.child.pid!, minimal, () => httpRun(magent, minimalServer.port, c, concurrency, minimal));
      }
    }
    console.log('done');
    return { warm, minimal };
  } finally {
    magent.destroy();
    await minimalServer.stop();
  }
}

/** The zooms users browse at most of the time; bench:tiles reports them apart. */
const band = { min: 12, max: 16 };

/** The tiles with the z12-16 band first, and a splitter into chunks that never mix the band with the rest. */
function banding(tiles: TileCoord[]): { tiles: TileCoord[]; chunk: <T>(items: T[]) => Array<{ band: boolean; items: T[] }> } {
  const inBand = tiles.filter((t) => t.z >= band.min && t.z <= band.max);
  const rest = tiles.filter((t) => t.z < band.min || t.z > band.max);
  const bandChunks = Math.max(1, Math.round((chunkCount * inBand.length) / Math.max(1, tiles.length)));
  const split = <T>(items: T[], n: number) => (items.length ? chunks(items, n) : []);
  return {
    tiles: [...inBand, ...rest],
    chunk: (items) => [
      ...split(items.slice(0, inBand.length), bandChunks).map((c) => ({ band: true, items: c })),
      ...split(items.slice(inBand.length), Math.max(1, chunkCount - bandChunks)).map((c) => ({ band: false, items: c })),
    ],
  };
}

/** Adds one run's figures to a total. */
function addStats(into: RunStats, s: RunStats): void {
  into.tiles += s.tiles;
  into.seconds += s.seconds;
  into.latencies.push(...s.latencies);
  into.bytes += s.bytes;
  into.rawBytes += s.rawBytes;
  into.cpuSeconds += s.cpuSeconds;
  for (const [k, v] of Object.entries(s.statuses)) into.statuses[Number(k)] = (into.statuses[Number(k)] ?? 0) + v;
  if (s.largest.bytes > into.largest.bytes) into.largest = s.largest;
}

/** How many chunks the compared runs alternate over: the shared machine's load then weighs on both alike. */
const chunkCount = 10;

async function benchBackend(backend: 'server' | 'embedded', tiles: TileCoord[]): Promise<BackendResult> {
  const concurrency = Number(opts.concurrency);
  const scale = backend === 'server' ? Number(opts.scale) : Number(opts['embedded-scale']);
  const dataDir = path.join(os.tmpdir(), `sdi-bench-embedded-${scale}`);
  const env: Record<string, string> =
    backend === 'server' ? { DATABASE_URL: await benchDatabaseUrl() } : { DATABASE_URL: '', DATA_DIR: dataDir };
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', ...env });
  const { db, catalog } = await openBenchData(config, scale);
  const layerIds = opts.layers!.split(',');
  const layers: Layer[] = layerIds.map((id) => catalog.get(id, null));
  const title =
    `${backend === 'server' ? 'server PostGIS' : 'embedded PGlite'} ${db.capabilities.postgisVersion} (PostgreSQL ${db.capabilities.postgresVersion}), demo scale ${scale}, ` +
    `${tiles.length} tiles x ${layers.length} layers, concurrency ${concurrency}, pool ${backend === 'server' ? config.poolSize : 1}, ` +
    'server/index.ts as shipped';
  console.log(`\n${title}`);

  // 1. raw: the same renderer (same SQL, thinning included; Node encoding on embedded) straight through the
  // driver: no HTTP, no gzip, no cache. The database's own cost, the floor for a cold tile.
  const { renderer, close: closeRaw } = rawRenderer(db, config);
  // The z12-16 band first, in its own chunks, so its figures (server CPU per cold tile above all) stand apart.
  const banded = banding(tiles);
  const queries = banded.tiles.map((coord) => ({ layers, coord }));
  const raw = emptyStats();
  const rawBand = emptyStats();
  const rawChunk = async (qs: typeof queries, band: boolean) => {
    const s = emptyStats();
    await replay(qs, concurrency, s, async (req) => {
      const tile = await renderer.tile(req);
      s.bytes += tile.length;
    });
    addStats(raw, s);
    if (band) addStats(rawBand, s);
  };
  process.stdout.write('raw: warm-up pass... ');
  await replay(queries, concurrency, emptyStats(), async (req) => void (await renderer.tile(req)));
  const queryChunks = banded.chunk(queries);
  let note: string;
  if (backend === 'embedded') {
    // One process at a time may open a PGlite directory: raw runs whole before the server starts.
    process.stdout.write('measured pass... ');
    for (const c of queryChunks) await rawChunk(c.items, c.band);
    await closeRaw();
    note = 'raw measured before the server ran (PGlite allows one process per data directory); pool 1';
  } else {
    note = 'raw and server cold alternate over 10 chunks of the list, as do server warm and minimal';
  }

  // 2-3. the server as a child process: cold (every tile once, all misses), then warm rounds.
  const server = await startChildServer({ env, port: opts.port ? Number(opts.port) : undefined });
  const { port, child } = server;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const paths = banded.tiles.map((t) => `/tiles/${layerIds.join(',')}/${t.z}/${t.x}/${t.y}.mvt`);
    const pathChunks = banded.chunk(paths);
    const kept = new Map<string, Fetched>();
    const cold = emptyStats();
    const coldBand = emptyStats();
    // A running server's CPU per cold tile, not JIT warm-up's (scripts/bench/tile-list.ts): z12-16 here went from
    // 1.26 ms after 600 nearby tiles to 0.98-1.01 after 2,000.
    process.stdout.write('server warm-up on other tiles... ');
    // Through the run's own agent: its keep-alive connections are then open, as they are for the measured run.
    const nearby = nearbyTiles(banded.tiles, warmUpTiles, band);
    await httpRun(
      agent,
      port,
      nearby.map((t) => `/tiles/${layerIds.join(',')}/${t.z}/${t.x}/${t.y}.mvt`),
      concurrency,
      emptyStats(),
    );
    process.stdout.write(backend === 'server' ? 'raw and server cold, alternating... ' : 'server cold... ');
    for (const [i, c] of pathChunks.entries()) {
      if (backend === 'server') await rawChunk(queryChunks[i].items, c.band);
      const s = emptyStats();
      const cpu = cpuSeconds(child.pid!);
      await httpRun(agent, port, c.items, concurrency, s, kept);
      s.cpuSeconds = cpuSeconds(child.pid!) - cpu;
      addStats(cold, s);
      if (c.band) addStats(coldBand, s);
    }
    if (backend === 'server') await closeRaw();

    const { warm, minimal } = await warmRounds(
      child,
      port,
      agent,
      kept,
      pathChunks.map((c) => c.items),
      concurrency,
    );
    return { title, note, raw, cold, rawBand, coldBand, warm, minimal, rssMb: peakRssMb(child.pid!) };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

// ---------- EXPLAIN per tile ----------

/** One statement the renderer sent for a tile (knex `?` bindings). */
interface SentStatement {
  sql: string;
  bindings: unknown[];
}

/** The statements of one tile of one layer set. */
interface ExplainedTile {
  set: string;
  z: number;
  x: number;
  y: number;
  statements: SentStatement[];
}

/** Planning and execution ms, and shared buffers touched, summed over the statements of one tile. */
interface TileCost {
  planMs: number;
  execMs: number;
  buffers: number;
}

/** The layer sets EXPLAIN compares: the composite of the bench layers, and land use alone. */
function explainSets(catalog: Catalog): Array<{ name: string; layers: Layer[] }> {
  return [
    { name: 'composite', layers: opts.layers!.split(',').map((id) => catalog.get(id, null)) },
    { name: 'land use', layers: [catalog.get('landuse_parcels', null)] },
  ];
}

/** The fixed EXPLAIN list: the first --explain-tiles tiles of each zoom 12-16 of bench/tiles.txt. */
function explainTiles(tiles: TileCoord[]): TileCoord[] {
  const per = Number(opts['explain-tiles']);
  return [12, 13, 14, 15, 16].flatMap((z) => tiles.filter((t) => t.z === z).slice(0, per));
}

/** A value as an SQL literal for EXECUTE (the tile bindings are numbers and layer names). */
function literal(v: unknown): string {
  if (typeof v === 'number') return String(v);
  return pg.escapeLiteral(String(v));
}

/** Sums what EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) reports. */
function costOf(
  plan: { 'Planning Time': number; 'Execution Time': number; Plan: Record<string, unknown> },
  into: TileCost,
): void {
  into.planMs += plan['Planning Time'];
  into.execMs += plan['Execution Time'];
  const p = plan.Plan as { 'Shared Hit Blocks'?: number; 'Shared Read Blocks'?: number };
  into.buffers += (p['Shared Hit Blocks'] ?? 0) + (p['Shared Read Blocks'] ?? 0);
}

/**
 * --explain: EXPLAIN (ANALYZE, BUFFERS) of every statement the renderer sends for a fixed list of z12-16 tiles,
 * composite and land use, on one connection (planning and execution ms are far less sensitive to a loaded machine
 * than throughput). Each tile is rendered once through a recording database to learn its statements (thinning and
 * re-renders included), then explained unnamed (planned per tile, as before prepared tile SQL) and as a prepared
 * statement (EXECUTE; PostgreSQL may switch to a generic plan after five runs, as it does for the server).
 * --explain-save FILE keeps the statements; --explain-baseline FILE explains a saved set too, interleaved tile by tile.
 */
async function explainRun(tiles: TileCoord[]): Promise<void> {
  const url = await benchDatabaseUrl();
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: url });
  const { db, catalog } = await openBenchData(config, Number(opts.scale));
  const list = explainTiles(tiles);
  const recorded: ExplainedTile[] = [];
  let sent: SentStatement[] = [];
  const recording = {
    ...db,
    statements: null,
    cancellableRows: <T>(sql: string, bindings: readonly unknown[], signal?: AbortSignal) => {
      sent.push({ sql, bindings: [...bindings] });
      return db.cancellableRows<T>(sql, bindings, signal);
    },
  } as Database;
  const renderer = new TileRenderer(
    recording,
    () => config.tileMaxFeatures,
    () => config.tileBudgetKb * 1024,
  );
  for (const set of explainSets(catalog)) {
    for (const coord of list) {
      sent = [];
      await renderer.tile({ layers: set.layers, coord });
      recorded.push({ set: set.name, ...coord, statements: sent });
    }
  }
  await db.close();
  if (opts['explain-save']) fs.writeFileSync(opts['explain-save'], JSON.stringify(recorded));
  const baseline = opts['explain-baseline']
    ? (JSON.parse(fs.readFileSync(opts['explain-baseline'], 'utf8')) as ExplainedTile[])
    : null;

  const client = new pg.Client({ connectionString: url, options: '-c jit=off' } as pg.ClientConfig);
  await client.connect();
  const preparedNames = new Map<string, string>();
  const explainUnnamed = async (tile: ExplainedTile): Promise<TileCost> => {
    const cost = { planMs: 0, execMs: 0, buffers: 0 };
    for (const st of tile.statements) {
      const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${toNative(st.sql)}`, st.bindings);
      costOf(rows[0]['QUERY PLAN'][0], cost);
    }
    return cost;
  };
  const explainPrepared = async (tile: ExplainedTile): Promise<TileCost> => {
    const cost = { planMs: 0, execMs: 0, buffers: 0 };
    for (const st of tile.statements) {
      let name = preparedNames.get(st.sql);
      if (!name) {
        name = `explain_${preparedNames.size}`;
        await client.query(`PREPARE ${name} AS ${toNative(st.sql)}`);
        preparedNames.set(st.sql, name);
      }
      const { rows } = await client.query(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE ${name}(${st.bindings.map(literal).join(', ')})`,
      );
      costOf(rows[0]['QUERY PLAN'][0], cost);
    }
    return cost;
  };
  try {
    process.stdout.write(`EXPLAIN over ${list.length} tiles x 2 layer sets on one connection: warm-up... `);
    for (const t of recorded) await explainUnnamed(t);
    if (baseline) for (const t of baseline) await explainUnnamed(t);
    console.log('measuring');
    const runs: Array<{ name: string; costs: Array<{ tile: ExplainedTile; cost: TileCost }> }> = [
      ...(baseline ? [{ name: 'baseline, unnamed', costs: [] }] : []),
      { name: 'now, unnamed', costs: [] },
      { name: 'now, prepared', costs: [] },
    ];
    for (const [i, tile] of recorded.entries()) {
      const out = runs.map((r) => r.costs);
      let k = 0;
      if (baseline) out[k++].push({ tile: baseline[i], cost: await explainUnnamed(baseline[i]) });
      out[k++].push({ tile, cost: await explainUnnamed(tile) });
      out[k].push({ tile, cost: await explainPrepared(tile) });
    }
    printExplain(runs);
  } finally {
    await client.end();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : 0;
}

function printExplain(runs: Array<{ name: string; costs: Array<{ tile: ExplainedTile; cost: TileCost }> }>): void {
  console.log(
    `\n===== EXPLAIN (ANALYZE, BUFFERS) per tile, median ms (planning / execution), ${new Date().toISOString()}, ` +
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} =====`,
  );
  console.log(`| layer set | z | tiles | ${runs.map((r) => `${r.name}: plan / exec / buffers`).join(' | ')} |`);
  console.log(`|---|---|---|${runs.map(() => '---').join('|')}|`);
  for (const set of ['composite', 'land use']) {
    for (const z of [12, 13, 14, 15, 16]) {
      const cells = runs.map((r) => {
        const c = r.costs.filter((e) => e.tile.set === set && e.tile.z === z).map((e) => e.cost);
        const m = (f: (x: TileCost) => number, digits: number) => fmt(median(c.map(f)), digits);
        return { n: c.length, text: `${m((x) => x.planMs, 2)} / ${m((x) => x.execMs, 2)} / ${m((x) => x.buffers, 0)}` };
      });
      if (cells[0].n) console.log(`| ${set} | ${z} | ${cells[0].n} | ${cells.map((c) => c.text).join(' | ')} |`);
    }
  }
}

// ---------- embedded against server on the same data ----------

/** CPU seconds so far of the PostgreSQL backends connected to a database (same machine; 0 when they cannot be read). */
async function backendCpuSeconds(admin: pg.Client | null, database: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!admin) return out;
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [database],
  );
  for (const { pid } of rows) out.set(pid, cpuSeconds(pid));
  return out;
}

interface Contender {
  title: string;
  env: Record<string, string>;
  cold: RunStats;
  /** CPU seconds of the server process and, on server PostGIS, of its PostgreSQL backends, during the cold run. */
  dbCpuSeconds?: number;
  server?: ChildServer;
  rssMb?: number | null;
  peakMb?: number | null;
}

/**
 * `--backend embedded` with DATABASE_URL: the embedded server (memory index on, then off, on a copy of the data
 * directory: PGlite allows one process per directory) against the server backend on the same demo data at the
 * same scale (database sdi_bench_s<scale>) and the same tile list, all cold, alternating over 10 chunks so the
 * shared machine's load weighs on each alike. Prints tiles/s, the ratio to the server backend and memory.
 */
async function embeddedAgainstServer(tiles: TileCoord[]): Promise<void> {
  const scale = Number(opts['embedded-scale']);
  const concurrency = Number(opts.concurrency);
  const dataDir = path.join(os.tmpdir(), `sdi-bench-embedded-${scale}`);
  const copyDir = `${dataDir}-copy`;
  const embedded = await openBenchData(
    loadConfig({ ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '', DATA_DIR: dataDir }),
    scale,
  );
  await embedded.db.close();
  fs.rmSync(copyDir, { recursive: true, force: true });
  fs.cpSync(dataDir, copyDir, { recursive: true });
  const serverUrl = await benchDatabaseUrl(`sdi_bench_s${String(scale).replace('.', '_')}`);
  const { db } = await openBenchData(loadConfig({ ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: serverUrl }), scale);
  await db.close();
  const common = { REDIS_URL: '', TILE_CACHE_MB: '128' };
  const contenders: Contender[] = [
    {
      title: 'embedded, memory index',
      env: { ...common, DATABASE_URL: '', DATA_DIR: dataDir, TILE_MEMORY_INDEX: 'embedded' },
      cold: emptyStats(),
    },
    {
      title: 'embedded, SQL only',
      env: { ...common, DATABASE_URL: '', DATA_DIR: copyDir, TILE_MEMORY_INDEX: 'off' },
      cold: emptyStats(),
    },
    { title: 'server PostGIS, SQL', env: { ...common, DATABASE_URL: serverUrl, TILE_MEMORY_INDEX: 'off' }, cold: emptyStats() },
    {
      title: 'server PostGIS, memory index',
      env: { ...common, DATABASE_URL: serverUrl, TILE_MEMORY_INDEX: 'both' },
      cold: emptyStats(),
    },
  ];
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    for (const c of contenders) {
      c.server = await startChildServer({ env: c.env });
      await settled(c.server.pid);
    }
    const paths = tiles.map((t) => `/tiles/${opts.layers!.split(',').join(',')}/${t.z}/${t.x}/${t.y}.mvt`);
    process.stdout.write(`\ncold, ${contenders.length} servers alternating over ${chunkCount} chunks... `);
    const load0 = os.loadavg()[0];
    const database = new URL(serverUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      for (const chunk of chunks(paths, chunkCount)) {
        for (const c of contenders) {
          const own = c.server!.cpuSeconds();
          const before = await backendCpuSeconds(c.env.DATABASE_URL ? admin : null, database);
          await httpRun(agent, c.server!.port, chunk, concurrency, c.cold);
          const after = await backendCpuSeconds(c.env.DATABASE_URL ? admin : null, database);
          let db = 0;
          for (const [pid, cpu] of after) db += cpu - (before.get(pid) ?? 0);
          c.cold.cpuSeconds += c.server!.cpuSeconds() - own;
          c.dbCpuSeconds = (c.dbCpuSeconds ?? 0) + db;
        }
      }
    } finally {
      await admin.end();
    }
    const load1 = os.loadavg()[0];
    console.log('done');
    for (const c of contenders) {
      c.rssMb = rssMb(c.server!.pid);
      c.peakMb = peakRssMb(c.server!.pid);
    }
    const rate = (c: Contender) => c.cold.tiles / c.cold.seconds;
    const server = rate(contenders[2]);
    console.log(
      `\nembedded against server PostGIS: demo scale ${scale}, ${tiles.length} tiles x ${opts.layers!.split(',').length} layers, ` +
        `concurrency ${concurrency}, cold cache; load average ${fmt(load0, 1)} at start, ${fmt(load1, 1)} at end, ${os.cpus().length} CPUs`,
    );
    console.log('| run | tiles/s | p50 ms | p99 ms | x server SQL | CPU ms/tile (Node + PostgreSQL) | RSS now | peak RSS |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const c of contenders) {
      const mb = (v: number | null | undefined) => (v == null ? 'n/a' : `${fmt(v, 0)} MB`);
      console.log(
        `| ${c.title} | ${fmt(rate(c))} | ${fmt(percentile(c.cold, 50), 2)} | ${fmt(percentile(c.cold, 99), 2)} | ` +
          `${fmt(rate(c) / server, 2)} | ${fmt((c.cold.cpuSeconds * 1000) / c.cold.tiles, 2)} + ${fmt(((c.dbCpuSeconds ?? 0) * 1000) / c.cold.tiles, 2)} | ` +
          `${mb(c.rssMb)} | ${mb(c.peakMb)} |`,
      );
    }
    const ratio = rate(contenders[0]) / server;
    console.log(
      `target: embedded cold >= 1 x server PostGIS: ${ratio >= 1 ? 'met' : 'NOT met'} (${fmt(ratio, 2)}); ` +
        `statuses ${contenders.map((c) => JSON.stringify(c.cold.statuses)).join(' ')}`,
    );
  } finally {
    agent.destroy();
    for (const c of contenders) if (c.server) await c.server.stop();
    fs.rmSync(copyDir, { recursive: true, force: true });
  }
}

// ---------- report ----------

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function print(r: BackendResult): void {
  const rate = (s: RunStats) => s.tiles / s.seconds;
  const kb = (b: number) => `${fmt(b / 1024)} KB`;
  const cpu = (s: RunStats) => (s.cpuSeconds ? `${fmt((s.cpuSeconds * 1000) / s.tiles, 2)} ms` : '');
  const rows: string[][] = [
    ['run', 'tiles/s', 'p50 ms', 'p99 ms', 'mean tile', 'ratio', 'server CPU/tile'],
    [
      'raw (renderer on the driver)',
      fmt(rate(r.raw)),
      fmt(percentile(r.raw, 50), 2),
      fmt(percentile(r.raw, 99), 2),
      r.raw.bytes ? `${kb(r.raw.bytes / r.raw.tiles)} raw` : '-',
      '',
      '',
    ],
    [
      'server, cold cache',
      fmt(rate(r.cold)),
      fmt(percentile(r.cold, 50), 2),
      fmt(percentile(r.cold, 99), 2),
      `${kb(r.cold.bytes / r.cold.tiles)} gz, ${kb(r.cold.rawBytes / r.cold.tiles)} raw`,
      `${fmt(rate(r.cold) / rate(r.raw), 2)} x raw`,
      cpu(r.cold),
    ],
    [
      `raw, z${band.min}-${band.max} only`,
      fmt(rate(r.rawBand)),
      fmt(percentile(r.rawBand, 50), 2),
      fmt(percentile(r.rawBand, 99), 2),
      r.rawBand.bytes ? `${kb(r.rawBand.bytes / r.rawBand.tiles)} raw` : '-',
      '',
      '',
    ],
    [
      `server cold, z${band.min}-${band.max} only`,
      fmt(rate(r.coldBand)),
      fmt(percentile(r.coldBand, 50), 2),
      fmt(percentile(r.coldBand, 99), 2),
      `${kb(r.coldBand.bytes / r.coldBand.tiles)} gz`,
      `${fmt(rate(r.coldBand) / rate(r.rawBand), 2)} x raw`,
      cpu(r.coldBand),
    ],
    [
      'server, warm cache',
      fmt(rate(r.warm)),
      fmt(percentile(r.warm, 50), 2),
      fmt(percentile(r.warm, 99), 2),
      `${kb(r.warm.bytes / r.warm.tiles)} gz`,
      `${fmt(rate(r.warm) / rate(r.minimal), 2)} x minimal`,
      cpu(r.warm),
    ],
    [
      'minimal node:http (Map)',
      fmt(rate(r.minimal)),
      fmt(percentile(r.minimal, 50), 2),
      fmt(percentile(r.minimal, 99), 2),
      `${kb(r.minimal.bytes / r.minimal.tiles)} gz`,
      '',
      cpu(r.minimal),
    ],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  console.log(`\n${r.title}\n(${r.note})`);
  for (const [i, row] of rows.entries()) {
    console.log(`| ${row.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join(' | ')} |`);
    if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
  console.log(
    `statuses (cold): ${JSON.stringify(r.cold.statuses)}; largest tile ${kb(r.cold.largest.bytes)} raw (${r.cold.largest.path}); budget 500 KB: ${r.cold.largest.bytes <= 500 * 1024 ? 'ok' : 'OVER'}`,
  );
  const bandCpuMs = (r.coldBand.cpuSeconds * 1000) / Math.max(1, r.coldBand.tiles);
  console.log(
    `server CPU per cold tile at z${band.min}-${band.max}: ${fmt(bandCpuMs, 2)} ms over ${r.coldBand.tiles} tiles ` +
      `(target < 1 ms: ${bandCpuMs < 1 ? 'met' : 'NOT met'}); load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  console.log(`peak RSS of the server (VmHWM): ${r.rssMb === null ? 'n/a' : `${fmt(r.rssMb, 0)} MB`}`);
  const coldRatio = rate(r.cold) / rate(r.raw);
  const warmRatio = rate(r.warm) / rate(r.minimal);
  console.log(
    `targets (server PostGIS): cold >= 0.8 x raw: ${coldRatio >= 0.8 ? 'met' : 'NOT met'} (${fmt(coldRatio, 2)}); ` +
      `warm >= 0.9 x minimal node:http: ${warmRatio >= 0.9 ? 'met' : 'NOT met'} (${fmt(warmRatio, 2)}); ` +
      `RSS < 400 MB: ${r.rssMb !== null && r.rssMb < 400 ? 'met' : 'NOT met'}`,
  );
}

async function main(): Promise<void> {
  if (opts.generate || !fs.existsSync(tilesFile)) generateTiles();
  const tiles = readTileList(tilesFile);
  if (opts.explain) return explainRun(tiles);
  const backends: Array<'server' | 'embedded'> =
    opts.backend === 'both' ? ['server', 'embedded'] : [opts.backend as 'server' | 'embedded'];
  const results: BackendResult[] = [];
  for (const b of opts['compare-only'] ? [] : backends) {
    if (b === 'server' && !process.env.DATABASE_URL) {
      console.log(
        '\nserver PostGIS: skipped (set DATABASE_URL to a PostgreSQL server with PostGIS; the bench uses its database --database, ' +
          'default sdi_bench)',
      );
      continue;
    }
    results.push(await benchBackend(b, tiles));
  }
  console.log(`\n===== tile benchmark, ${new Date().toISOString()}, ${os.cpus().length} CPUs, node ${process.version} =====`);
  for (const r of results) print(r);
  if (opts.backend === 'embedded' && process.env.DATABASE_URL && !opts['skip-compare']) await embeddedAgainstServer(tiles);
}

/** Child mode: the minimal node:http server over the responses in `file` (path -> status, headers, body). */
function runMinimalServer(file: string): void {
  const entries = JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{
    path: string;
    status: number;
    headers: Record<string, string>;
    body: string;
  }>;
  const map = new Map(
    entries.map((e) => [e.path, { status: e.status, headers: e.headers, body: Buffer.from(e.body, 'base64') }]),
  );
  const server = http.createServer((req, res) => {
    const e = map.get(req.url ?? '');
    if (!e) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(e.status, e.headers);
    res.end(e.body);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
}

if (opts['minimal-server']) runMinimalServer(opts['minimal-server']);
else await main();
