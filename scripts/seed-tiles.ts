/**
 * npm run tiles:seed -- --layers a,b --bbox minLon,minLat,maxLon,maxLat --minzoom 8 --maxzoom 14 [--url URL]
 * Pre-renders the tiles of a zoom range over a bbox (EPSG:4326), like GeoWebCache seeding.
 *  - REDIS_URL set: renders from DATABASE_URL (or the embedded DATA_DIR) straight into the shared Redis cache,
 *    which every instance reads;
 *  - otherwise: requests the tiles from a running server (--url, default http://127.0.0.1:$PORT), which then
 *    holds them in its own in-process cache.
 * Defaults: every public layer, the union of their bounds, each layer's own minzoom up to --maxzoom (14).
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/database.ts';
import { Catalog, type Layer } from '../server/catalog/catalog.ts';
import { createLogger } from '../server/log.ts';
import { createMetrics } from '../server/metrics.ts';
import type { AppContext } from '../server/context.ts';
import { TileService } from '../server/tiles/service.ts';
import { rangeSize, tileRange, type BBox, type TileCoord } from '../server/tiles/grid.ts';
import { unionBounds } from '../server/tiles/tilejson.ts';

const { values } = parseArgs({
  options: {
    layers: { type: 'string' },
    bbox: { type: 'string' },
    minzoom: { type: 'string' },
    maxzoom: { type: 'string', default: '14' },
    url: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
  },
});

function fail(message: string): never {
  console.error(`tiles:seed: ${message}`);
  process.exit(2);
}

const config = loadConfig();
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
  fail(`--concurrency must be 1..64, got ${values.concurrency}`);

/** The tiles to seed: for each zoom, the tiles over bbox, when at least one layer is shown at that zoom. */
function* tilesOf(layers: readonly Layer[], bbox: BBox, minzoom: number, maxzoom: number): Generator<TileCoord> {
  for (let z = minzoom; z <= maxzoom; z++) {
    if (!layers.some((l) => z >= l.minzoom)) continue;
    const r = tileRange(bbox, z, 0);
    for (let x = r.minX; x <= r.maxX; x++) for (let y = r.minY; y <= r.maxY; y++) yield { z, x, y };
  }
}

function countTiles(layers: readonly Layer[], bbox: BBox, minzoom: number, maxzoom: number): number {
  let n = 0;
  for (let z = minzoom; z <= maxzoom; z++) if (layers.some((l) => z >= l.minzoom)) n += rangeSize(tileRange(bbox, z, 0));
  return n;
}

/** Runs `work` over the tiles with a bounded number in flight, advancing the progress bar. */
async function runAll(
  tiles: Iterable<TileCoord>,
  total: number,
  work: (t: TileCoord) => Promise<string>,
): Promise<Record<string, number>> {
  const bar = new cliProgress.SingleBar(
    { format: 'seeding [{bar}] {percentage}% | {value}/{total} tiles | {eta_formatted} left | z{z}' },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { z: '-' });
  const outcomes: Record<string, number> = {};
  const it = tiles[Symbol.iterator]();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let n = it.next(); !n.done; n = it.next()) {
        const outcome = await work(n.value).catch((err: Error) => `error: ${err.message}`);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        bar.increment(1, { z: n.value.z });
      }
    }),
  );
  bar.stop();
  return outcomes;
}

const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
const db = await openDatabase(config);
try {
  const catalog = new Catalog(db);
  await catalog.load();
  const everyone = catalog.list({ role: 'admin', tokenId: 'seed', name: 'tiles:seed' });
  const layers = values.layers
    ? values.layers.split(',').map((id) => everyone.find((l) => l.id === id) ?? fail(`unknown layer "${id}"`))
    : catalog.list(null);
  if (layers.length === 0) fail('no layers to seed');
  const bbox: BBox = values.bbox
    ? (() => {
        const b = values.bbox.split(',').map(Number);
        if (b.length !== 4 || b.some((v) => !Number.isFinite(v)) || b[0] >= b[2] || b[1] >= b[3])
          fail(`--bbox must be minLon,minLat,maxLon,maxLat, got ${values.bbox}`);
        return b as BBox;
      })()
    : unionBounds(layers);
  const minzoom = values.minzoom === undefined ? Math.min(...layers.map((l) => l.minzoom)) : Number(values.minzoom);
  const maxzoom = Number(values.maxzoom);
  if (!(Number.isInteger(minzoom) && Number.isInteger(maxzoom) && minzoom >= 0 && maxzoom <= 24 && minzoom <= maxzoom)) {
    fail(`--minzoom and --maxzoom must be whole numbers with 0 <= minzoom <= maxzoom <= 24, got ${minzoom}..${maxzoom}`);
  }
  const total = countTiles(layers, bbox, minzoom, maxzoom);
  const ids = layers.map((l) => l.id).join(',');
  const started = Date.now();
  let outcomes: Record<string, number>;
  if (config.redisUrl) {
    console.log(
      `seeding ${total} tiles of ${ids}, z${minzoom}-${maxzoom} over [${bbox.join(', ')}] into Redis (${new URL(config.redisUrl).host})`,
    );
    const ctx: AppContext = { config, db, catalog, log, metrics: createMetrics(db), onClose: [] };
    const service = new TileService(ctx);
    if (!(await service.shared!.ready())) fail(`Redis at ${config.redisUrl} does not answer`);
    const signal = new AbortController().signal;
    outcomes = await runAll(tilesOf(layers, bbox, minzoom, maxzoom), total, async (coord) => {
      const req = { layers, coord };
      const tile = await service.load(service.key(req), req, signal);
      return tile.gz.length ? 'rendered' : 'empty';
    });
    for (const close of [...ctx.onClose].reverse()) await close();
  } else {
    const base = (values.url ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '');
    console.log(
      `seeding ${total} tiles of ${ids}, z${minzoom}-${maxzoom} over [${bbox.join(', ')}] into the server at ${base} ` +
        '(no REDIS_URL: its in-process cache)',
    );
    outcomes = await runAll(tilesOf(layers, bbox, minzoom, maxzoom), total, async ({ z, x, y }) => {
      const r = await fetch(`${base}/tiles/${ids}/${z}/${x}/${y}.mvt`, { headers: { 'Accept-Encoding': 'gzip' } });
      await r.arrayBuffer();
      return r.status === 200 ? 'rendered' : r.status === 204 ? 'empty' : `HTTP ${r.status}`;
    });
  }
  console.log(
    `done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${Object.entries(outcomes)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}`,
  );
} finally {
  await db.close();
}
