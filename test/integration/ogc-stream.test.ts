import { expect } from 'chai';
import { startServer, type RunningServer } from '../../server/server.ts';
import { createLogger } from '../../server/log.ts';
import { quoteIdent } from '../../server/sql/identifiers.ts';
import { backends, testConfig } from '../support/servers.ts';

/** Features in the download; each carries ~600 bytes of properties, so the body is ~150 MB. */
const featureCount = 200_000;
const layerId = 'ftstream_big';

describe('OGC API Features: a 200,000-feature download streams with flat memory [server]', function () {
  this.timeout(600_000);
  let server: RunningServer;

  before(async function () {
    if (!backends.includes('server')) this.skip(); // the embedded backend has no cursor streaming (one connection, small data)
    const config = testConfig('server', { itemsMaxLimit: 1_000_000, seedDemo: 'never' });
    server = await startServer(config, createLogger(config.logLevel));
    const db = server.ctx.db;
    await db.rows(`DROP TABLE IF EXISTS ${quoteIdent(layerId)}`);
    await db.rows(
      `CREATE TABLE ${quoteIdent(layerId)} (id integer PRIMARY KEY, name text, note text, geom geometry(Point, 4326) NOT NULL)`,
    );
    await db.rows(
      `INSERT INTO ${quoteIdent(layerId)}
       SELECT g, 'Điểm ' || g, repeat('ghi chú ', 70), ST_SetSRID(ST_MakePoint(105.9 + (g % 1000) * 0.001, 21.0 + (g / 1000) * 0.001), 4326)
         FROM generate_series(1, ?::int) g`,
      [featureCount],
    );
    await db.rows(`CREATE INDEX ON ${quoteIdent(layerId)} USING gist (geom)`);
    await db.rows(`ANALYZE ${quoteIdent(layerId)}`);
    await db.knex('layer_catalog').where({ id: layerId }).delete();
    await db.knex('layer_catalog').insert({
      id: layerId,
      title: 'stream test',
      title_vi: 'thử tải lớn',
      layer_group: 'other',
      source_table: layerId,
      geometry_type: 'Point',
      columns: JSON.stringify([
        { name: 'name', type: 'string', label: { en: 'Name', vi: 'Tên' } },
        { name: 'note', type: 'string', label: { en: 'Note', vi: 'Ghi chú' } },
      ]),
      style: '{}',
      origin: 'upload',
    });
    await server.ctx.catalog.load();
  });

  after(async () => {
    if (!server) return;
    await server.ctx.db.knex('layer_catalog').where({ id: layerId }).delete();
    await server.ctx.db.rows(`DROP TABLE IF EXISTS ${quoteIdent(layerId)}`);
    await server.close();
  });

  it('estimates numberMatched from the planner for the large unfiltered layer, and says so', async () => {
    const body = (await (await fetch(`${server.url}/collections/${layerId}/items?limit=1`)).json()) as {
      numberMatched: number;
      numberMatchedMethod: string;
    };
    expect(body.numberMatchedMethod).to.equal('estimate');
    expect(body.numberMatched).to.be.closeTo(featureCount, featureCount * 0.05);
    const filtered = (await (
      await fetch(`${server.url}/collections/${layerId}/items?limit=1&bbox=105.9,21.0,105.95,21.01`)
    ).json()) as { numberMatched: number; numberMatchedMethod: string };
    expect(filtered.numberMatchedMethod).to.equal('exact');
  });

  it('sends all 200,000 features in one response while the heap grows by less than 120 MB', async () => {
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 20);
    let bytes = 0;
    let tail = '';
    try {
      const res = await fetch(`${server.url}/collections/${layerId}/items?limit=${featureCount}`, {
        headers: { 'Accept-Encoding': 'identity' },
      });
      expect(res.status).to.equal(200);
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
      }
    } finally {
      clearInterval(timer);
    }
    const grown = (peak - before) / 1024 / 1024;
    expect(bytes).to.be.greaterThan(100 * 1024 * 1024);
    expect(tail).to.include(`"numberReturned":${featureCount}`);
    expect(grown, `heap grew by ${grown.toFixed(0)} MB for a ${(bytes / 1024 / 1024).toFixed(0)} MB body`).to.be.below(120);
  });

  it('closes the cursor and frees its connection when the client goes away mid-download', async () => {
    const ac = new AbortController();
    const res = await fetch(`${server.url}/collections/${layerId}/items?limit=${featureCount}`, { signal: ac.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    ac.abort();
    await new Promise((r) => setTimeout(r, 1000));
    const pool = server.ctx.db.poolStats();
    expect(pool.used).to.equal(0);
    expect((await fetch(`${server.url}/collections/${layerId}/items?limit=2`)).status).to.equal(200);
  });
});
