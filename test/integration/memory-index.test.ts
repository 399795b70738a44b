/**
 * The tile memory index over real HTTP on every backend: small layers are served from memory, an edit
 * shows in the very next tile (the index is dropped at the change notification, then rebuilt with the
 * edit), a catalog reload rebuilds it, and a layer above TILE_MEMORY_INDEX_MAX_FEATURES stays on SQL.
 */
import { expect } from 'chai';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { forEachBackend } from '../support/servers.ts';
import type { RunningServer } from '../../server/server.ts';
import { latToTileY, lonToTileX } from '../../server/tiles/grid.ts';
import { quoteIdent } from '../../server/sql/identifiers.ts';

const table = 'mi test "ô"';
const t15 = { z: 15, x: Math.floor(lonToTileX(106.0405, 15)), y: Math.floor(latToTileY(21.1405, 15)) };

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Ids and names of the features of the test layer in tile t15, fetched over HTTP. */
async function features(s: RunningServer): Promise<Map<number, unknown>> {
  const r = await fetch(`${s.url}/tiles/mi_parcels/${t15.z}/${t15.x}/${t15.y}.mvt`);
  if (r.status === 204) return new Map();
  // fetch has already undone the gzip.
  const l = new VectorTile(new PbfReader(Buffer.from(await r.arrayBuffer()))).layers.mi_parcels;
  return new Map(Array.from({ length: l?.length ?? 0 }, (_, i) => l.feature(i)).map((f) => [Number(f.id), f.properties['tên']]));
}

forEachBackend('tile memory index', (server) => {
  let saved: { mode: 'embedded' | 'both' | 'off'; max: number };
  const layer = () => server().ctx.catalog.get('mi_parcels', null);
  const indexed = () => server().app.services.tiles.memory.get(layer()) !== undefined;

  before(async function () {
    this.timeout(60_000);
    const s = server();
    saved = { mode: s.ctx.config.tileMemoryIndex, max: s.ctx.config.tileMemoryIndexMaxFeatures };
    s.ctx.config.tileMemoryIndex = 'both';
    s.ctx.config.tileMemoryIndexMaxFeatures = 100;
    const t = quoteIdent(table);
    await s.ctx.db.rows(`DELETE FROM layer_catalog WHERE id = 'mi_parcels'`);
    await s.ctx.db.rows(`DROP TABLE IF EXISTS ${t}`);
    await s.ctx.db.rows(`CREATE TABLE ${t} (id integer PRIMARY KEY, "tên" text, geom geometry(Polygon, 4326))`);
    await s.ctx.db.rows(`INSERT INTO ${t} SELECT i, 'thửa ' || i,
      ST_MakeEnvelope(106.0401 + i * 0.0002, 21.1401, 106.0402 + i * 0.0002, 21.1402, 4326) FROM generate_series(1, 5) i`);
    await s.ctx.db.rows(`CREATE INDEX ON ${t} USING gist (geom)`);
    await s.ctx.db.knex('layer_catalog').insert({
      id: 'mi_parcels',
      title: 'mi_parcels',
      layer_group: 'other',
      source_table: table,
      geometry_type: 'Polygon',
      minzoom: 0,
      maxzoom: 16,
      tile_options: JSON.stringify({}),
      columns: JSON.stringify([{ name: 'tên', type: 'string', label: { en: 'Name', vi: 'Tên' } }]),
    });
    await s.ctx.catalog.load();
    await s.app.services.tiles.loadIndex(layer());
  });

  after(async function () {
    this.timeout(60_000);
    const s = server();
    s.ctx.config.tileMemoryIndex = saved.mode;
    s.ctx.config.tileMemoryIndexMaxFeatures = saved.max;
    await s.ctx.db.rows(`DELETE FROM layer_catalog WHERE id = 'mi_parcels'`);
    await s.ctx.db.rows(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
    await s.ctx.catalog.load();
  });

  it('serves a small layer from its memory index', async () => {
    expect(indexed()).to.equal(true);
    expect([...(await features(server())).keys()].sort()).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('shows an insert, an update and a delete in the next tile, and rebuilds the index with them', async function () {
    this.timeout(30_000);
    const s = server();
    const t = quoteIdent(table);
    const write = async (sql: string) => {
      await s.ctx.db.rows(sql);
      await until('the index to drop at the change notification', () => !indexed());
    };
    await write(`INSERT INTO ${t} VALUES (6, 'mới', ST_MakeEnvelope(106.0405, 21.1405, 106.0406, 21.1406, 4326))`);
    expect((await features(s)).get(6)).to.equal('mới');
    await until('the index to be rebuilt', indexed);
    expect((await features(s)).get(6), 'from the rebuilt index').to.equal('mới');
    await write(`UPDATE ${t} SET "tên" = 'đã sửa' WHERE id = 6`);
    expect((await features(s)).get(6)).to.equal('đã sửa');
    await until('the index to be rebuilt', indexed);
    await write(`DELETE FROM ${t} WHERE id = 6`);
    expect((await features(s)).has(6)).to.equal(false);
    await until('the index to be rebuilt', indexed);
    expect((await features(s)).has(6), 'from the rebuilt index').to.equal(false);
  });

  it('rebuilds the index of a new data version after a catalog reload', async () => {
    const s = server();
    await s.ctx.db.rows(`UPDATE layer_catalog SET data_version = data_version + 1 WHERE id = 'mi_parcels'`);
    await s.ctx.catalog.load();
    await until('the index of the new version', indexed);
    expect([...(await features(s)).keys()].sort()).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('leaves a layer above TILE_MEMORY_INDEX_MAX_FEATURES on the SQL path', async () => {
    const s = server();
    s.ctx.config.tileMemoryIndexMaxFeatures = 3;
    try {
      s.app.services.tiles.memory.forget('mi_parcels');
      await s.app.services.tiles.loadIndex(layer());
      expect(indexed()).to.equal(false);
      expect([...(await features(s)).keys()].sort()).to.deep.equal([1, 2, 3, 4, 5]);
    } finally {
      s.ctx.config.tileMemoryIndexMaxFeatures = 100;
    }
  });
});
