/**
 * npm run bench:viewer: the viewer as a planner meets it, in Debian's Chromium (playwright-core), for each backend
 * with a cold server cache (a fresh server process) and a fresh browser profile. It prints, per view:
 *  - the time until the view is completely drawn, measured from the renderer's own events: the viewer's
 *    `allTilesMs` (Leaflet's `load` of the tile layer after its last tile was drawn) for the first view, and the
 *    `load` event after `setView` / `panBy` for the z15 town view and the pan;
 *  - requests and bytes (all, and tiles), and the longest main-thread task (PerformanceObserver `longtask`).
 * It writes docs/screenshot-default.png and docs/screenshot-z15.png (from the first backend measured).
 *
 * Data: demo scale 1 in both backends, as bench-tiles prepares it (embedded: a copy of the PGlite directory
 * under the OS temp dir; server: database sdi_bench_s1 on DATABASE_URL's server). Run
 * `npm run bench:tiles -- --backend embedded` once first to seed them. Options: --backend server|embedded|both,
 * --no-screenshots, --print-tiles (each tile request's path, with ms since the bench started: shows a view fetched twice).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page, Request } from 'playwright-core';
import { openClosedNetworkBrowser } from '../test/support/browser.ts';
import { root, settled, startChildServer } from './bench/child-server.ts';

const { values: opts } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    'no-screenshots': { type: 'boolean', default: false },
    'print-tiles': { type: 'boolean', default: false },
  },
});

/** Bắc Ninh town centre at z15: the town view a planner opens first. */
const town = { lat: 21.186, lon: 106.076, zoom: 15 };

interface Traffic {
  requests: number;
  bytes: number;
  tileRequests: number;
  tileBytes: number;
}

interface ViewFigures extends Traffic {
  view: string;
  drawnMs: number;
  longestTaskMs: number;
}

/** The environment of a backend's server; the embedded one works on a copy of bench-tiles' PGlite directory. */
function backendEnv(backend: 'server' | 'embedded'): { env: Record<string, string>; cleanup: () => void } {
  if (backend === 'server') {
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = '/sdi_bench_s1';
    return { env: { DATABASE_URL: url.toString() }, cleanup: () => undefined };
  }
  const source = path.join(os.tmpdir(), 'sdi-bench-embedded-1');
  if (!fs.existsSync(source)) throw new Error(`${source} is missing: run npm run bench:tiles -- --backend embedded first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdi-bench-viewer-'));
  fs.cpSync(source, dir, { recursive: true });
  return { env: { DATABASE_URL: '', DATA_DIR: dir }, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Counts the requests and bytes (headers and body) the page finishes from now on. */
function countTraffic(page: Page): { take: () => Promise<Traffic> } {
  let pending: Array<Promise<void>> = [];
  let t: Traffic = { requests: 0, bytes: 0, tileRequests: 0, tileBytes: 0 };
  page.on('requestfinished', (req: Request) => {
    pending.push(
      req.sizes().then(
        (s) => {
          const bytes = s.responseBodySize + s.responseHeadersSize;
          t.requests++;
          t.bytes += bytes;
          if (new URL(req.url()).pathname.startsWith('/tiles/')) {
            if (opts['print-tiles']) console.log(`${Math.round(performance.now())} ${new URL(req.url()).pathname}`);
            t.tileRequests++;
            t.tileBytes += bytes;
          }
        },
        () => undefined,
      ),
    );
  });
  return {
    take: async () => {
      await Promise.all(pending);
      const out = t;
      t = { requests: 0, bytes: 0, tileRequests: 0, tileBytes: 0 };
      pending = [];
      return out;
    },
  };
}

/** Collects the longest main-thread task of the page (reset by `takeLongest`). */
const longTaskObserver = `
  window.__longest = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
  }).observe({ type: 'longtask', buffered: true });
  window.__takeLongest = () => { const v = window.__longest; window.__longest = 0; return v; };
`;

/** Moves the map and resolves with the ms until every tile layer fired `load` (its last tile drawn). */
async function drawAfter(page: Page, move: 'town' | 'pan'): Promise<number> {
  return page.evaluate(
    async ({ move, town }) => {
      const w = window as unknown as { viewerMap: L.Map };
      const map = w.viewerMap;
      const grids: L.GridLayer[] = [];
      map.eachLayer((l) => {
        if (typeof (l as unknown as { rerenderTiles?: unknown }).rerenderTiles === 'function') grids.push(l as L.GridLayer);
      });
      const t0 = performance.now();
      const drawn = Promise.all(grids.map((g) => new Promise<void>((resolve) => g.once('load', () => resolve()))));
      if (move === 'town') map.setView([town.lat, town.lon], town.zoom, { animate: false });
      else map.panBy([700, 0], { animate: false });
      await Promise.race([
        drawn,
        new Promise((_, reject) => setTimeout(() => reject(new Error('not drawn within 120 s')), 120_000)),
      ]);
      return Math.round(performance.now() - t0);
    },
    { move, town },
  );
}

async function benchBackend(backend: 'server' | 'embedded', screenshots: boolean): Promise<ViewFigures[]> {
  const { env, cleanup } = backendEnv(backend);
  const server = await startChildServer({ env: { ...env, REDIS_URL: '' } });
  const { port } = server;
  const browser = await openClosedNetworkBrowser({ width: 1400, height: 850 });
  try {
    await settled(server.pid);
    const { page } = browser;
    await page.addInitScript(longTaskObserver);
    const traffic = countTraffic(page);
    const longest = () => page.evaluate(() => (window as unknown as { __takeLongest: () => number }).__takeLongest());
    const figures: ViewFigures[] = [];

    await page.goto(`http://127.0.0.1:${port}/viewer/`);
    await page.waitForFunction(
      () => (window as unknown as { viewerStats?: { allTilesMs: number | null } }).viewerStats?.allTilesMs != null,
      null,
      { timeout: 180_000 },
    );
    const drawnMs = await page.evaluate(
      () => (window as unknown as { viewerStats: { allTilesMs: number } }).viewerStats.allTilesMs,
    );
    figures.push({ view: 'default view (from navigation)', drawnMs, longestTaskMs: await longest(), ...(await traffic.take()) });
    // Leaflet fades new tiles in (0.2 s): the screenshot waits for that, after the measurement.
    const shoot = async (file: string) => {
      if (!screenshots) return;
      await page.waitForTimeout(400);
      await page.screenshot({ path: path.join(root, 'docs', file) });
    };
    await shoot('screenshot-default.png');

    const townMs = await drawAfter(page, 'town');
    figures.push({
      view: `town z${town.zoom} (setView)`,
      drawnMs: townMs,
      longestTaskMs: await longest(),
      ...(await traffic.take()),
    });
    await shoot('screenshot-z15.png');

    const panMs = await drawAfter(page, 'pan');
    figures.push({ view: 'pan 700 px east at z15', drawnMs: panMs, longestTaskMs: await longest(), ...(await traffic.take()) });
    return figures;
  } finally {
    await browser.close();
    await server.stop();
    cleanup();
  }
}

async function main(): Promise<void> {
  const wanted: Array<'server' | 'embedded'> =
    opts.backend === 'both' ? ['embedded', 'server'] : [opts.backend as 'server' | 'embedded'];
  const results: Array<{ backend: string; figures: ViewFigures[] }> = [];
  let screenshots = !opts['no-screenshots'];
  for (const backend of wanted) {
    if (backend === 'server' && !process.env.DATABASE_URL) {
      console.log('server PostGIS: skipped (set DATABASE_URL; the bench uses its database sdi_bench_s1)');
      continue;
    }
    process.stdout.write(`${backend}... `);
    results.push({ backend, figures: await benchBackend(backend, screenshots) });
    screenshots = false;
    console.log('done');
  }
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
  console.log(
    `\n===== viewer benchmark, ${new Date().toISOString()}, ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} =====`,
  );
  console.log('| backend | view | drawn ms | requests | bytes | tile requests | tile bytes | longest task ms |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const { backend, figures } of results) {
    for (const f of figures) {
      console.log(
        `| ${backend} | ${f.view} | ${f.drawnMs} | ${f.requests} | ${kb(f.bytes)} | ${f.tileRequests} | ${kb(f.tileBytes)} | ${Math.round(f.longestTaskMs)} |`,
      );
    }
  }
}

await main();
