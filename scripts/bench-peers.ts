/**
 * npm run bench:peers: our cold tiles beside the naive ST_AsMVT SQL and MapServer 8, on our own data, with the
 * harness of ../shared/bench-peers (its README says how to read the figures). Steps:
 *  1. setup check: the harness and its node dependencies (pg, undici; `bash setup.sh` there installs them);
 *     MapServer (`mapserv`) and lighttpd: when absent, MapServer is left out with a message (never installed here);
 *  2. data: our demo at --scale (default 10) in its own database (--database, default sdi_peers, on DATABASE_URL's
 *     server or --pg-host/--pg-port), seeded once (marked by a comment on the database), JIT off;
 *  3. our server (server/index.ts) on --port with TILE_CACHE_MB=0 (every tile cold), tile cost limits off (the
 *     load generator is one client), warmed up on 2,000 z12-16 tiles near the list's (scripts/bench/tile-list.ts);
 *     MapServer behind lighttpd on --peer-port against the same tables;
 *  4. the loadgen runs, interleaved: composite and land use, the whole list and z12-16, --by-zoom, --check;
 *  5. a markdown summary (report.mjs) with the machine's load average before and after, written to --out.
 * Options: --harness DIR, --database NAME, --pg-host H, --pg-port P, --port N, --peer-port N, --scale N, --reseed,
 * --duration S, --repeat N, --concurrency 8,32, --sql-concurrency N, --out DIR, --tiles FILE.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/database.ts';
import { applyLayerDefinitions } from '../server/catalog/catalog.ts';
import { loadLayerDefinitions } from '../server/catalog/definition.ts';
import { seedDemo } from '../server/seed/demo.ts';
import { root, startChildServer, type ChildServer } from './bench/child-server.ts';
import { benchComposite, nearbyTiles, readTileList, warmUp, warmUpTiles } from './bench/tile-list.ts';

const { values: opts } = parseArgs({
  options: {
    harness: { type: 'string', default: process.env.BENCH_PEERS_DIR ?? path.resolve(root, '..', 'shared', 'bench-peers') },
    database: { type: 'string', default: 'sdi_peers' },
    'pg-host': { type: 'string' },
    'pg-port': { type: 'string' },
    port: { type: 'string' },
    'peer-port': { type: 'string', default: '8090' },
    scale: { type: 'string', default: '10' },
    reseed: { type: 'boolean', default: false },
    duration: { type: 'string', default: '60' },
    repeat: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8,32' },
    'sql-concurrency': { type: 'string', default: '2' },
    out: {
      type: 'string',
      default: path.join(os.tmpdir(), `sdi-bench-peers-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '')}`),
    },
    tiles: { type: 'string' },
  },
});

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** 1. What the harness needs; null when it can run, else what to do. */
function harnessProblem(dir: string): string | null {
  if (!fs.existsSync(path.join(dir, 'loadgen.mjs'))) return `no peer harness at ${dir} (--harness DIR or BENCH_PEERS_DIR)`;
  const req = createRequire(path.join(dir, 'loadgen.mjs'));
  const missing = ['pg', 'undici'].filter((m) => {
    try {
      req.resolve(m);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    return `the harness lacks its node dependencies (${missing.join(', ')}): run \`bash setup.sh\` (as root) or \`npm ci\` in ${dir}`;
  }
  return null;
}

/** 2. The database URL of the bench data, created when missing. */
async function peersDatabaseUrl(): Promise<URL> {
  if (!process.env.DATABASE_URL)
    throw new Error('set DATABASE_URL to a PostgreSQL server with PostGIS (its credentials are used for every run)');
  const base = new URL(process.env.DATABASE_URL);
  if (opts['pg-host']) base.hostname = opts['pg-host'];
  if (opts['pg-port']) base.port = opts['pg-port'];
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    if (rows.length === 0) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(opts.database!)}`);
  } finally {
    await admin.end();
  }
  base.pathname = `/${encodeURIComponent(opts.database!)}`;
  return base;
}

/** Seeds our demo at --scale unless the database says it holds it; JIT off, as the harness README asks. */
async function seedOnce(url: URL): Promise<void> {
  const scale = Number(opts.scale);
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: url.toString() });
  const db = await openDatabase(config);
  try {
    await applyLayerDefinitions(db, loadLayerDefinitions(config.layersDir));
    const marker = `sdi demo scale ${scale}`;
    const [m] = await db.rows<{ c: string | null }>(
      "SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = current_database()",
    );
    const name = pg.escapeIdentifier(opts.database!);
    if (opts.reseed || m?.c !== marker) {
      process.stdout.write(`seeding our demo at scale ${scale} into ${opts.database}... `);
      const report = await seedDemo(db, { scale });
      console.log(`${(report.ms / 1000).toFixed(1)} s, ${report.counts.landuse_parcels} parcels`);
      await db.rows(`COMMENT ON DATABASE ${name} IS '${marker}'`);
    }
    await db.rows(`ALTER DATABASE ${name} SET jit = off`);
  } finally {
    await db.close();
  }
}

/** 3. Our server, every tile cold; the load generator is one client, so the per-client cost limit is lifted. */
function startOurs(url: URL, port: number | undefined): Promise<ChildServer> {
  return startChildServer({
    port,
    env: { DATABASE_URL: url.toString(), TILE_CACHE_MB: '0', REDIS_URL: '', LIMIT_TILE_EXPENSIVE_MAXZOOM: '-1' },
    readyMs: 300_000,
  });
}

async function main(): Promise<void> {
  const harness = path.resolve(opts.harness!);
  const problem = harnessProblem(harness);
  if (problem) {
    console.error(`bench:peers cannot run: ${problem}`);
    process.exitCode = 2;
    return;
  }
  const mapserver = onPath('mapserv') && onPath('lighttpd');
  if (!mapserver)
    console.log("MapServer left out: `mapserv` or `lighttpd` is not installed (the harness's setup.sh installs both)");
  const url = await peersDatabaseUrl();
  await seedOnce(url);

  fs.mkdirSync(opts.out!, { recursive: true });
  const rundir = path.join(opts.out!, 'peer');
  const peerPort = opts['peer-port']!;
  const harnessEnv = {
    ...process.env,
    BENCH_CONTRACT: 'project',
    PGURL: url.toString(),
    PGCONN:
      `host=${url.hostname} port=${url.port || 5432} dbname=${opts.database} ` +
      `user=${decodeURIComponent(url.username)} password=${decodeURIComponent(url.password)}`,
    MAPFILE_IN: path.join(harness, 'conf', 'project.map.in'),
    PROBE_LAYER: 'places',
    RUNDIR: rundir,
    PEER_PORT: peerPort,
  };
  const ours = await startOurs(url, opts.port ? Number(opts.port) : undefined);
  const { port } = ours;
  // Measured as a running server, not one still compiling its hot path (scripts/bench/tile-list.ts): composite tiles near
  // the list's, never in it (the load generator's own warm-up is 20 requests per run).
  console.log(`warming our server up on ${warmUpTiles} tiles near the list's...`);
  const listed = readTileList(opts.tiles ?? path.join(harness, 'tiles.txt'));
  await warmUp(
    `http://127.0.0.1:${port}`,
    nearbyTiles(listed, warmUpTiles, { min: 12, max: 16 }).map(
      (t) => `/tiles/${benchComposite.join(',')}/${t.z}/${t.x}/${t.y}.mvt`,
    ),
  );
  const loadBefore = loadAverage();
  let peerStarted = false;
  try {
    if (mapserver) {
      execFileSync('bash', [path.join(harness, 'peer.sh'), 'start'], { env: harnessEnv, stdio: 'inherit' });
      peerStarted = true;
    }
    const ms = `http://127.0.0.1:${peerPort}/mapserv?map=SDI&mode=tile&tilemode=gmap&tile={x}+{y}+{z}&map.imagetype=mvt&layers=`;
    const sets = [
      { name: 'composite', sql: 'sql:composite', ms: `${ms}all`, ours: benchComposite.join(',') },
      { name: 'landuse', sql: 'sql:landuse_parcels', ms: `${ms}landuse_parcels`, ours: 'landuse_parcels' },
    ];
    const jsons: string[] = [];
    for (const zooms of ['all', '12-16']) {
      for (const set of sets) {
        const label = `${set.name}, ${zooms === 'all' ? 'whole list' : `z${zooms}`}`;
        const json = path.join(opts.out!, `${set.name}-${zooms}.json`);
        const args = [
          path.join(harness, 'loadgen.mjs'),
          '--check',
          '--by-zoom',
          '--repeat',
          opts.repeat!,
          '--duration',
          opts.duration!,
          '--concurrency',
          opts.concurrency!,
          '--sql-concurrency',
          opts['sql-concurrency']!,
          '--header',
          'Accept-Encoding: gzip',
          '--json',
          json,
          '--label',
          label,
          ...(zooms === 'all' ? [] : ['--zooms', zooms]),
          ...(opts.tiles ? ['--tiles', opts.tiles] : []),
          `sql=${set.sql}`,
          ...(mapserver ? [`mapserver=${set.ms}`] : []),
          `ours=http://127.0.0.1:${port}/tiles/${set.ours}/{z}/{x}/{y}.mvt`,
        ];
        console.log(`\n== ${label} (load average ${loadAverage()})`);
        execFileSync(process.execPath, args, { cwd: harness, env: harnessEnv, stdio: 'inherit' });
        jsons.push(json);
      }
    }
    const table = execFileSync(process.execPath, [path.join(harness, 'report.mjs'), ...jsons], {
      cwd: harness,
      encoding: 'utf8',
    });
    const summary = [
      `# Peer benchmark, ${new Date().toISOString()}`,
      '',
      `${os.cpus().length} CPUs, node ${process.version}; load average before ${loadBefore}, after ${loadAverage()} (1, 5, 15 min).`,
      `Data: our demo at scale ${opts.scale} in ${opts.database}. Ours: server/index.ts, TILE_CACHE_MB=0 (cold), tile cost limits off.`,
      mapserver
        ? 'MapServer 8 (FastCGI behind lighttpd) against the same tables.'
        : 'MapServer left out: not installed on this machine.',
      `Runs interleaved, ${opts.repeat} repeats of up to ${opts.duration} s, median reported; ` +
        `sql = naive ST_AsMVT at ${opts['sql-concurrency']} pg connections.`,
      '',
      table,
    ].join('\n');
    fs.writeFileSync(path.join(opts.out!, 'summary.md'), summary);
    console.log(`\n${summary}\nwritten to ${path.join(opts.out!, 'summary.md')}`);
  } finally {
    if (peerStarted) execFileSync('bash', [path.join(harness, 'peer.sh'), 'stop'], { env: harnessEnv, stdio: 'inherit' });
    await ours.stop();
  }
}

await main();
