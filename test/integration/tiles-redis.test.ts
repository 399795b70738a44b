/**
 * Two instances sharing Redis as tile cache (server PostGIS only: PGlite cannot be shared): a tile rendered by
 * one is served by the other without rendering, and an SQL edit drops it for both, in Redis and in memory.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { requireTool, serverDatabaseUrl } from '../support/environment.ts';
import { testConfig } from '../support/servers.ts';
import { startServer, type RunningServer } from '../../server/server.ts';
import { createLogger } from '../../server/log.ts';
import { latToTileY, lonToTileX } from '../../server/tiles/grid.ts';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
/** A fresh layer id per run: Redis outlives the test tables, so old keys must not match. */
const layerId = `tt_redis_${Date.now().toString(36)}`;
const z = 15;
const x = Math.floor(lonToTileX(106.05, z));
const y = Math.floor(latToTileY(21.15, z));

async function redisAnswers(): Promise<boolean> {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

async function hits(s: RunningServer): Promise<number> {
  return (await s.ctx.metrics.tileCache.hits.get()).values[0]?.value ?? 0;
}

async function ids(s: RunningServer): Promise<number[]> {
  const r = await fetch(`${s.url}/tiles/${layerId}/${z}/${x}/${y}.mvt`);
  if (r.status === 204) return [];
  const l = new VectorTile(new PbfReader(Buffer.from(await r.arrayBuffer()))).layers[layerId];
  return Array.from({ length: l.length }, (_, i) => l.feature(i).id!);
}

describe('tiles with a shared Redis cache [server]', function () {
  this.timeout(120_000);
  let a: RunningServer;
  let b: RunningServer;

  before(async function () {
    requireTool(this, serverDatabaseUrl !== '', 'tiles: shared Redis cache', 'DATABASE_URL (PostgreSQL server with PostGIS)');
    requireTool(
      this,
      await redisAnswers(),
      'tiles: shared Redis cache',
      `Redis at ${redisUrl} (apt-get install redis-server, or TEST_REDIS_URL)`,
    );
    const config = testConfig('server', { redisUrl, seedDemo: 'never' });
    a = await startServer(config, createLogger(config.logLevel));
    b = await startServer(config, createLogger(config.logLevel));
    await a.ctx.db.rows(`CREATE TABLE ${layerId} (id integer PRIMARY KEY, name text, geom geometry(Point, 4326))`);
    await a.ctx.db.rows(`INSERT INTO ${layerId} VALUES (1, 'một', ST_SetSRID(ST_MakePoint(106.05, 21.15), 4326))`);
    await a.ctx.db.knex('layer_catalog').insert({
      id: layerId,
      title: layerId,
      layer_group: 'other',
      source_table: layerId,
      geometry_type: 'Point',
      columns: JSON.stringify([{ name: 'name', type: 'string', label: { en: 'Name', vi: 'Tên' } }]),
    });
    await a.ctx.catalog.load();
    await b.ctx.catalog.load();
    for (const s of [a, b]) expect(await s.app.services.tiles.shared!.ready()).to.equal(true);
    // The new layer drops its tiles in Redis on both instances: let that finish before a tile is stored there.
    for (const s of [a, b]) await s.app.services.tiles.invalidationsDone();
  });

  after(async () => {
    if (!a) return;
    await a.ctx.db.rows('DELETE FROM layer_catalog WHERE id = ?', [layerId]);
    await a.ctx.db.rows(`DROP TABLE IF EXISTS ${layerId}`);
    await a.close();
    await b?.close();
  });

  it('serves from the second instance the tile the first one rendered', async () => {
    expect(await ids(a)).to.deep.equal([1]);
    const before = await hits(b);
    expect(await ids(b)).to.deep.equal([1]);
    expect(await hits(b)).to.equal(before + 1);
  });

  it('drops the tile in Redis and in both instances after an SQL edit over it', async () => {
    await a.ctx.db.rows(`INSERT INTO ${layerId} VALUES (2, 'hai', ST_SetSRID(ST_MakePoint(106.0501, 21.1501), 4326))`);
    const key = b.app.services.tiles.key({ layers: [b.ctx.catalog.get(layerId, null)], coord: { z, x, y } });
    const end = Date.now() + 5000;
    while (b.app.services.tiles.cache.get(key) !== undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 200)); // both instances finish their Redis deletes
    expect((await ids(b)).sort()).to.deep.equal([1, 2]);
    expect((await ids(a)).sort()).to.deep.equal([1, 2]);
  });
});
