/**
 * npm run load:expensive: shows that a burst of worst-case spatial summaries from one address does not take the
 * server from everybody else (the cost limits of server/limits/). A script, not a test.
 *
 *  - from 127.0.0.2: `--summaries` (20) clients, each POSTing /query/summary with the largest province polygon,
 *    layer after layer over every public layer, again as soon as it is answered (100 ms after a 429/503, an
 *    impatient client that ignores Retry-After);
 *  - from 127.0.0.1 meanwhile: `--ordinary` (4) clients fetching single-layer tiles at z12-14 and items pages of
 *    100 features, the traffic of map viewers.
 * A baseline phase of `--baseline-seconds` (5) runs the ordinary clients alone first; the load phase stops after
 * `--seconds` (20) or `--max-requests` (20,000) requests; the script prints the statuses per class and the
 * p50/p99 latency of the tile and items requests, and whether every one of them succeeded (exit code 1 if not).
 *
 * Without `--url` it starts `server/index.ts` as a child process with this environment (DATABASE_URL selects the
 * server backend; `--seed` loads the demo data into an empty database) and stops it at the end.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { startChildServer, type ChildServer } from './bench/child-server.ts';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    summaries: { type: 'string', default: '20' },
    ordinary: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '20' },
    'baseline-seconds': { type: 'string', default: '5' },
    'max-requests': { type: 'string', default: '20000' },
    seed: { type: 'boolean', default: false },
  },
});

const expensiveFrom = '127.0.0.2';
const ordinaryFrom = '127.0.0.1';

interface Answer {
  status: number;
  ms: number;
}

/** One request from a chosen local address; a network error counts as status 0. */
function request(url: string, from: string, body?: string): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: body === undefined ? 'GET' : 'POST',
        localAddress: from,
        agent: from === expensiveFrom ? expensiveAgent : ordinaryAgent,
        headers: { 'Accept-Encoding': 'gzip', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        timeout: 60_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
        res.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

// Keep-alive per address, as browsers and map clients do.
const expensiveAgent = new http.Agent({ keepAlive: true, localAddress: expensiveFrom, maxSockets: 64 });
const ordinaryAgent = new http.Agent({ keepAlive: true, localAddress: ordinaryFrom, maxSockets: 64 });

/** Starts the server as a child process and waits for /health (the first embedded start seeds: up to 5 minutes). */
function startChild(): Promise<ChildServer> {
  return startChildServer({
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'error', SEED_DEMO: opts.seed ? 'always' : (process.env.SEED_DEMO ?? 'auto') },
    stdout: 'inherit',
    readyPath: '/health',
    readyMs: 300_000,
    localAddress: ordinaryFrom,
  });
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Tiles of z12-14 over Bắc Ninh and Bắc Giang, each layer in turn (some cold, some warm as the run goes). */
function tileUrls(base: string, layers: string[]): string[] {
  const urls: string[] = [];
  for (const z of [12, 13, 14]) {
    const n = 2 ** z;
    const x0 = Math.floor(((106.0 + 180) / 360) * n);
    const lat = (21.2 * Math.PI) / 180;
    const y0 = Math.floor(((1 - Math.asinh(Math.tan(lat)) / Math.PI) / 2) * n);
    for (let dx = 0; dx < 4; dx++) {
      for (let dy = 0; dy < 3; dy++) for (const l of layers) urls.push(`${base}/tiles/${l}/${z}/${x0 + dx}/${y0 + dy}.mvt`);
    }
  }
  return urls;
}

/** What the clients ask for. */
interface Target {
  base: string;
  layers: string[];
  province: string;
  tiles: string[];
  itemLayers: string[];
}

/** The answers of one phase. */
interface PhaseResult {
  seconds: number;
  summaryStatus: Map<number, number>;
  summaryMs: number[];
  ordinary: { tile: Answer[]; items: Answer[] };
}

const succeeded = (a: Answer) => a.status === 200 || a.status === 204;

/** Runs `summaries` summary clients and the ordinary clients for `seconds` (or `maxRequests` requests). */
async function phase(t: Target, seconds: number, summaries: number, maxRequests: number): Promise<PhaseResult> {
  const stopAt = Date.now() + seconds * 1000;
  let sent = 0;
  const more = () => Date.now() < stopAt && sent++ < maxRequests;
  const result: PhaseResult = { seconds: 0, summaryStatus: new Map(), summaryMs: [], ordinary: { tile: [], items: [] } };
  const summaryClient = async (i: number) => {
    for (let k = i; more(); k++) {
      const body = `{"layer":${JSON.stringify(t.layers[k % t.layers.length])},"geometry":${t.province}}`;
      const a = await request(`${t.base}/query/summary`, expensiveFrom, body);
      result.summaryStatus.set(a.status, (result.summaryStatus.get(a.status) ?? 0) + 1);
      if (a.status === 200) result.summaryMs.push(a.ms);
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const ordinaryClient = async (i: number) => {
    for (let k = i; more(); k++) {
      if (k % 2 === 0) {
        result.ordinary.tile.push(await request(t.tiles[(k * 7) % t.tiles.length], ordinaryFrom));
      } else {
        const layer = t.itemLayers[k % t.itemLayers.length];
        result.ordinary.items.push(
          await request(`${t.base}/collections/${layer}/items?limit=100&offset=${(k * 37) % 500}`, ordinaryFrom),
        );
      }
    }
  };
  const t0 = performance.now();
  await Promise.all([
    ...Array.from({ length: summaries }, (_, i) => summaryClient(i)),
    ...Array.from({ length: Number(opts.ordinary) }, (_, i) => ordinaryClient(i)),
  ]);
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

function statuses(m: Map<number, number>): string {
  return (
    [...m]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s === 0 ? 'network error' : s}: ${n}`)
      .join(', ') || 'none'
  );
}

/** Prints statuses per class and the latency of the ordinary requests. */
function report(title: string, r: PhaseResult): void {
  console.log(`\n${title}: ${r.seconds.toFixed(1)} s`);
  if (r.summaryStatus.size) {
    const ms = [...r.summaryMs].sort((a, b) => a - b);
    console.log(
      `  summary (${expensiveFrom}): ${statuses(r.summaryStatus)}; answered 200 in p50 ${percentile(ms, 50).toFixed(0)} ms`,
    );
  }
  for (const [name, answers] of Object.entries(r.ordinary)) {
    const counts = new Map<number, number>();
    for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
    const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
    const verdict = answers.every(succeeded) ? 'all succeeded' : 'SOME FAILED';
    console.log(
      `  ${name} (${ordinaryFrom}): ${answers.length} requests, ${statuses(counts)}; p50 ${percentile(ms, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(ms, 99).toFixed(1)} ms, max ${(ms.at(-1) ?? NaN).toFixed(1)} ms; ${verdict}`,
    );
  }
}

async function main(): Promise<void> {
  const started = opts.url ? null : await startChild();
  const base = (opts.url ?? started!.url).replace(/\/+$/, '');
  try {
    const collections = await getJson<{ collections: Array<{ id: string }> }>(`${base}/collections`);
    const layers = collections.collections.map((c) => c.id);
    const provinces = await getJson<{ features: Array<{ geometry: unknown }> }>(
      `${base}/collections/admin_provinces/items?limit=50&datetime=2025-06-30`,
    );
    if (!provinces.features.length) throw new Error('no province in admin_provinces: load the demo data (--seed)');
    const province = provinces.features.map((f) => JSON.stringify(f.geometry)).sort((a, b) => b.length - a.length)[0];
    const tiles = tileUrls(
      base,
      layers.filter((l) => ['landuse_parcels', 'roads', 'admin_communes', 'places'].includes(l)),
    );
    const itemLayers = layers.filter((l) => ['landuse_parcels', 'admin_communes', 'roads', 'places'].includes(l));

    const target: Target = { base, layers, province, tiles, itemLayers };
    const maxRequests = Number(opts['max-requests']);
    console.log(
      `load:expensive against ${base}: province polygon of ${province.length} bytes over ${layers.length} layers in turn`,
    );
    // Every tile once first, so both phases compare like with like (the cache warm, as for a map in use).
    for (let i = 0; i < tiles.length; i += 8) await Promise.all(tiles.slice(i, i + 8).map((u) => request(u, ordinaryFrom)));
    const baseline = await phase(target, Number(opts['baseline-seconds']), 0, maxRequests);
    report(`baseline: ${opts.ordinary} tile/items clients from ${ordinaryFrom} alone`, baseline);
    const loaded = await phase(target, Number(opts.seconds), Number(opts.summaries), maxRequests);
    const title = `under load: ${opts.summaries} summary clients from ${expensiveFrom} and ${opts.ordinary} tile/items clients from ${ordinaryFrom}`;
    report(title, loaded);
    const allOk = [baseline, loaded].every((r) =>
      Object.values(r.ordinary).every((answers) => answers.length > 0 && answers.every(succeeded)),
    );
    console.log(allOk ? '\nevery tile and items request succeeded' : '\nsome tile or items requests failed');
    process.exitCode = allOk ? 0 : 1;
  } finally {
    expensiveAgent.destroy();
    ordinaryAgent.destroy();
    if (started) await started.stop();
  }
}

await main();
