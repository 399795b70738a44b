/**
 * Cost limits of expensive requests over real HTTP, on every backend: the per-address cap (429) and the total cap
 * (503) with Retry-After while other addresses keep their tiles, items and identify; geometry and body size (413);
 * per-endpoint deadlines (503); and, on the server backend, that a cancelled query no longer runs (pg_stat_activity).
 * Requests come from chosen loopback addresses (127.0.0.1, 127.0.0.2, ...) through http.request's localAddress.
 */
import http from 'node:http';
import { expect } from 'chai';
import pg from 'pg';
import { forEachBackend } from '../support/servers.ts';
import { serverDatabaseUrl } from '../support/environment.ts';
import { expensiveTotal, type Config } from '../../server/config.ts';
import type { Release } from '../../server/limits/gate.ts';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request from `from` (a loopback address); `signal` aborts it. */
interface CallOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

function call(url: string, from: string, options: CallOptions = {}): Promise<Answer> {
  const body =
    options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        localAddress: from,
        agent: false,
        signal: options.signal,
        headers: {
          ...(body === undefined
            ? {}
            : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A closed ring of `n` vertices around Bắc Giang and Bắc Ninh, wavy so that GEOS has real work per parcel. */
function wavyProvince(n: number) {
  const ring = Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    const r = 0.6 + 0.01 * Math.sin(a * 997);
    return [106.4 + r * Math.cos(a), 21.3 + r * 0.8 * Math.sin(a)];
  });
  return { type: 'Polygon', coordinates: [[...ring, ring[0]]] };
}

const smallSquare = {
  type: 'Polygon',
  coordinates: [
    [
      [106.05, 21.15],
      [106.06, 21.15],
      [106.06, 21.16],
      [106.05, 21.16],
      [106.05, 21.15],
    ],
  ],
};

const expectRefusal = (a: Answer, status: number, ...mentions: string[]) => {
  expect(a.status, a.text).to.equal(status);
  expect(Number(a.headers['retry-after']), 'Retry-After').to.be.greaterThan(0);
  const { description } = JSON.parse(a.text) as { description: string };
  for (const m of mentions) expect(description).to.include(m);
};

forEachBackend('cost limits of expensive requests', (server, backend) => {
  const url = (path: string) => `${server().url}${path}`;
  let held: Release[] = [];
  let saved: Config;
  const config = () => server().ctx.config;
  const hold = async (from: string, n: number) => {
    for (let i = 0; i < n; i++) held.push(await server().app.limits.gate.acquire(from, 'held by the test'));
  };

  beforeEach(() => {
    saved = { ...config() };
    config().limitExpensiveQueueMs = 0;
  });
  afterEach(() => {
    for (const release of held) release();
    held = [];
    Object.assign(config(), saved);
  });

  const summary = (from: string, geometry: unknown = smallSquare, layer = 'landuse_parcels', signal?: AbortSignal) =>
    call(url('/query/summary'), from, { body: { layer, geometry }, signal });

  describe('caps', () => {
    it('answers 429 with Retry-After naming LIMIT_EXPENSIVE_PER_CLIENT to an address at its cap; another gets tiles, items, identify', async () => {
      config().limitExpensiveTotal = 8; // the embedded default is 1, below one client's share
      await hold('127.0.0.2', config().limitExpensivePerClient);
      expectRefusal(await summary('127.0.0.2'), 429, 'LIMIT_EXPENSIVE_PER_CLIENT', '127.0.0.2');
      const intersects = { body: { layer: 'landuse_parcels', geometry: smallSquare } };
      expectRefusal(await call(url('/query/intersects'), '127.0.0.2', intersects), 429, 'intersects');
      expectRefusal(await call(url('/search?q=bac'), '127.0.0.2'), 429, 'GET /search');
      expectRefusal(await call(url('/collections/landuse_parcels/items?limit=5000'), '127.0.0.2'), 429, 'limit=5000');
      const download = url('/collections/landuse_parcels/download?format=geojson');
      expectRefusal(await call(download, '127.0.0.2'), 429, 'download of layer "landuse_parcels"', 'LIMIT_EXPENSIVE_PER_CLIENT');
      // Ordinary requests of the same address are not gated at all.
      expect((await call(url('/collections/landuse_parcels/items?limit=10'), '127.0.0.2')).status).to.equal(200);
      expect((await call(url('/tiles/landuse_parcels/14/13023/7207.mvt'), '127.0.0.1')).status).to.be.oneOf([200, 204]);
      expect((await call(url('/collections/landuse_parcels/items?limit=100'), '127.0.0.1')).status).to.equal(200);
      expect((await call(url('/query/identify?lon=106.07&lat=21.18'), '127.0.0.1')).status).to.equal(200);
      const other = await summary('127.0.0.1');
      expect(other.status, other.text).to.equal(200);
    });

    it('answers 503 with Retry-After naming LIMIT_EXPENSIVE_TOTAL when the server runs its total, and small requests still pass', async () => {
      const total = expensiveTotal(config());
      for (let i = 0; i < total; i++) await hold(`10.9.0.${i + 1}`, 1);
      expectRefusal(await summary('127.0.0.1'), 503, `LIMIT_EXPENSIVE_TOTAL=${total}`);
      expect((await call(url('/collections/admin_districts/items?limit=50'), '127.0.0.1')).status).to.equal(200);
      expect((await call(url('/query/identify?lon=106.07&lat=21.18'), '127.0.0.1')).status).to.equal(200);
    });

    it('lets a request over the cap wait for a slot and runs it once one is freed', async () => {
      config().limitExpensiveQueueMs = 5000;
      config().limitExpensivePerClient = 1;
      await hold('127.0.0.3', 1);
      const waiting = summary('127.0.0.3');
      setTimeout(() => held.shift()?.(), 200);
      const answer = await waiting;
      expect(answer.status, answer.text).to.equal(200);
      expect(server().app.limits.gate.stats()).to.deep.include({ running: 0, waiting: 0 });
    });

    it('refuses a cold low-zoom composite tile over the cap, but serves a cached one and cold single-layer or high-zoom tiles', async () => {
      const composite = '/tiles/admin_provinces,admin_districts/5/25/14.mvt';
      expect((await call(url(composite), '127.0.0.1')).status).to.equal(200);
      expect((await call(url(composite), '127.0.0.1')).status).to.equal(200); // cached by now
      config().limitExpensiveTotal = 8;
      await hold('127.0.0.1', config().limitExpensivePerClient);
      expect((await call(url(composite), '127.0.0.1')).status, 'cache hit through express').to.equal(200);
      const fast = await call(url(composite), '127.0.0.1', { headers: { 'Accept-Encoding': 'gzip' } });
      expect(fast.status, 'cache hit on the fast path').to.equal(200);
      expectRefusal(
        await call(url('/tiles/admin_provinces,admin_districts/6/50/28.mvt'), '127.0.0.1'),
        429,
        'composite tile of 2 layers at zoom 6',
      );
      expect((await call(url('/tiles/admin_provinces/6/50/28.mvt'), '127.0.0.1')).status).to.equal(200);
      expect((await call(url('/tiles/admin_provinces,admin_districts/12/3255/1801.mvt'), '127.0.0.1')).status).to.be.oneOf([
        200, 204,
      ]);
    });
  });

  describe('input size', () => {
    it('answers 413 naming the field and LIMIT_QUERY_GEOMETRY_VERTICES for a geometry with too many vertices', async () => {
      config().limitQueryGeometryVertices = 100;
      for (const path of ['/query/summary', '/query/intersects']) {
        const a = await call(url(path), '127.0.0.1', { body: { layer: 'landuse_parcels', geometry: wavyProvince(200) } });
        expect(a.status, a.text).to.equal(413);
        const { description } = JSON.parse(a.text) as { description: string };
        expect(description)
          .to.include('field "geometry"')
          .and.include('100 vertices')
          .and.include('LIMIT_QUERY_GEOMETRY_VERTICES');
      }
      expect((await summary('127.0.0.1', wavyProvince(99))).status).to.equal(200);
    });

    it('answers 413 naming LIMIT_QUERY_BODY_BYTES for a body over the limit, before reading it', async () => {
      config().limitQueryBodyBytes = 2048;
      const a = await summary('127.0.0.1', wavyProvince(500));
      expect(a.status, a.text).to.equal(413);
      expect(JSON.parse(a.text).description)
        .to.include('limit of 2048 bytes (LIMIT_QUERY_BODY_BYTES)')
        .and.include('/query/summary');
    });
  });

  describe('deadlines', () => {
    // The server cancels a statement at once; embedded PGlite cannot be interrupted, so there the query is one that
    // ends by itself (a province over every parcel) and the deadline is checked when it returns.
    const slowGeometry = backend === 'server' ? wavyProvince(20_000) : wavyProvince(2_000);

    it('answers 503 with Retry-After naming LIMIT_SUMMARY_TIMEOUT_MS when a summary passes its deadline', async () => {
      config().limitSummaryTimeoutMs = 300;
      const started = Date.now();
      const a = await summary('127.0.0.1', slowGeometry);
      expectRefusal(a, 503, 'deadline of 300 ms', 'LIMIT_SUMMARY_TIMEOUT_MS');
      expect(JSON.parse(a.text).code).to.equal('QueryTimeout');
      if (backend === 'server') expect(Date.now() - started).to.be.below(5000);
      expect(server().app.limits.gate.stats().running).to.equal(0);
    });

    it('answers 503 naming LIMIT_INTERSECTS_TIMEOUT_MS when intersects passes its deadline', async () => {
      config().limitIntersectsTimeoutMs = 10;
      const a = await call(url('/query/intersects'), '127.0.0.1', {
        body: { layer: 'landuse_parcels', geometry: slowGeometry, limit: 10_000 },
      });
      expectRefusal(a, 503, 'LIMIT_INTERSECTS_TIMEOUT_MS');
    });

    it('answers 503 naming LIMIT_SEARCH_TIMEOUT_MS when a search passes its deadline', async () => {
      config().limitSearchTimeoutMs = 1; // below any database round trip
      expectRefusal(await call(url('/search?q=bac'), '127.0.0.1'), 503, 'GET /search', 'LIMIT_SEARCH_TIMEOUT_MS');
      config().limitSearchTimeoutMs = saved.limitSearchTimeoutMs;
      expect((await call(url('/search?q=bac'), '127.0.0.1')).status).to.equal(200);
    });

    it('answers 503 naming LIMIT_DOWNLOAD_TIMEOUT_MS when a GeoPackage download passes its deadline while it is built', async () => {
      config().limitDownloadTimeoutMs = 1; // below building any file
      const a = await call(url('/collections/landuse_parcels/download?format=gpkg'), '127.0.0.1');
      expectRefusal(a, 503, 'download of layer "landuse_parcels" as gpkg', 'LIMIT_DOWNLOAD_TIMEOUT_MS');
      expect(a.headers['content-disposition']).to.equal(undefined);
      expect(server().app.limits.gate.stats().running).to.equal(0);
    });
  });

  if (backend !== 'server') return;

  describe('cancellation in the database', () => {
    let admin: pg.Client;
    before(async () => {
      admin = new pg.Client({ connectionString: serverDatabaseUrl, application_name: 'limits-test' });
      await admin.connect();
    });
    after(async () => {
      await admin.end();
    });

    /** Active statements of the app server that read the parcels (pg_stat_activity). */
    const running = async (): Promise<string[]> => {
      const { rows } = await admin.query<{ query: string }>(
        `SELECT query FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'sdi-server' AND state = 'active' AND query LIKE '%landuse_parcels%'`,
      );
      return rows.map((r) => r.query);
    };
    const gone = async (ms: number): Promise<string[]> => {
      const until = Date.now() + ms;
      let left = await running();
      while (left.length && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        left = await running();
      }
      return left;
    };
    const whileRunning = async (ms: number): Promise<boolean> => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        if ((await running()).length) return true;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return false;
    };

    it('stops the summary query in the database when its deadline passes', async () => {
      config().limitSummaryTimeoutMs = 500;
      const a = await summary('127.0.0.1', wavyProvince(20_000));
      expect(a.status).to.equal(503);
      expect(await gone(1000), 'statements still active after the 503').to.deep.equal([]);
    });

    it('answers 503 naming LIMIT_ITEMS_TIMEOUT_MS when a large items page passes its deadline before its first byte', async () => {
      config().limitItemsTimeoutMs = 1;
      const a = await call(url('/collections/landuse_parcels/items?limit=10000'), '127.0.0.1');
      expectRefusal(a, 503, 'limit=10000', 'LIMIT_ITEMS_TIMEOUT_MS');
      expect(await gone(2000)).to.deep.equal([]);
    });

    it('stops the summary query in the database when its client goes away, and frees its slot', async () => {
      const ac = new AbortController();
      const answer = summary('127.0.0.2', wavyProvince(20_000), 'landuse_parcels', ac.signal).catch((err: Error) => err);
      expect(await whileRunning(5000), 'the summary started').to.equal(true);
      ac.abort();
      expect(await answer).to.be.instanceOf(Error);
      expect(await gone(2000)).to.deep.equal([]);
      expect(server().app.limits.gate.stats().running).to.equal(0);
    });

    it('stops the other expensive queries when their clients go away', async () => {
      const requests: Array<[string, { body?: unknown }]> = [
        ['/query/intersects', { body: { layer: 'landuse_parcels', geometry: wavyProvince(20_000), limit: 10_000 } }],
        ['/collections/landuse_parcels/items?limit=10000', {}],
      ];
      for (const [path, options] of requests) {
        const ac = new AbortController();
        const answer = call(url(path), '127.0.0.2', { ...options, signal: ac.signal }).catch((err: Error) => err);
        await whileRunning(2000);
        ac.abort();
        await answer;
        expect(await gone(2000), path).to.deep.equal([]);
        const until = Date.now() + 2000;
        while (server().app.limits.gate.stats().running && Date.now() < until)
          await new Promise((resolve) => setTimeout(resolve, 20));
        expect(server().app.limits.gate.stats().running, path).to.equal(0);
      }
    });

    it('answers 429 to a third concurrent summary of one address while two really run, and another address gets its tiles and items', async () => {
      const slow = [0, 1].map(() => {
        const ac = new AbortController();
        return {
          ac,
          answer: summary('127.0.0.2', wavyProvince(20_000), 'landuse_parcels', ac.signal).catch((err: Error) => err),
        };
      });
      const until = Date.now() + 5000;
      while ((await running()).length < 2 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await running()).length, 'two summaries run').to.equal(2);
      expectRefusal(await summary('127.0.0.2'), 429, 'LIMIT_EXPENSIVE_PER_CLIENT');
      expect((await call(url('/tiles/landuse_parcels/14/13023/7207.mvt'), '127.0.0.1')).status).to.be.oneOf([200, 204]);
      expect((await call(url('/collections/landuse_parcels/items?limit=100&offset=200'), '127.0.0.1')).status).to.equal(200);
      for (const s of slow) s.ac.abort();
      await Promise.all(slow.map((s) => s.answer));
      expect(await gone(2000)).to.deep.equal([]);
    });
  });
});
