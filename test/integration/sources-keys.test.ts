/**
 * Tables read in place, continued (issue 12): a text or uuid primary key is the feature id of items, paging, filters
 * and queries while tiles carry a stable integer made from it; spatial filters and queries on a table in EPSG:9214
 * use the table's own GiST index (EXPLAIN); a dropped table answers 503 naming the layer at once, also to anonymous
 * tile requests that the fast path would have answered from its cache.
 */
import { expect } from 'chai';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { forEachBackend } from '../support/servers.ts';
import { controlPoints } from '../fixtures/upload/builders.ts';
import { call, dropUploadedLayer, tokenFor } from '../fixtures/upload/http.ts';
import { latToTileY, lonToTileX } from '../../server/tiles/grid.ts';
import { compileFilter } from '../../server/features/filter.ts';
import { parseCql2Text } from '../../server/sql/cql2/index.ts';
import { CRS84 } from '../../server/crs/registry.ts';
import { identifyLayerQuery, intersectsQuery, nearestQuery } from '../../server/query/sql.ts';
import type { RunningServer } from '../../server/server.ts';

const schema = 'src_keys';
const layers = ['src_text_keys', 'src_uuid_keys', 'src_drop_fast'];
/** Awkward keys: a slash, a space and Vietnamese letters, a quote. */
const keys = ['BN-001', 'BN-002', "lô 3/a 'x'"];

type Item = { id: string | number; properties: Record<string, unknown>; geometry: { coordinates: number[][][] } };

async function plan(s: RunningServer, sql: string, bindings: unknown[]): Promise<string> {
  return s.ctx.db.knex.transaction(async (trx) => {
    await trx.raw('SET LOCAL enable_seqscan = off');
    const res = await trx.raw(`EXPLAIN ${sql}`, bindings as never[]);
    return (res.rows as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n');
  });
}

forEachBackend('sources: text keys, native index, dropped tables', (server) => {
  let admin: string;
  const config = () => server().ctx.config as { sourceSchemas: string[] };
  before(async () => {
    admin = await tokenFor(server(), 'admin');
    for (const id of layers) await dropUploadedLayer(server(), id);
    const db = server().ctx.db;
    await db.rows(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.rows(`CREATE SCHEMA ${schema}`);
    await db.rows(`CREATE TABLE ${schema}.plots (ma varchar(40) PRIMARY KEY, ten text, geom geometry(Polygon, 9214))`);
    await db.rows(`CREATE INDEX plots_native_gist ON ${schema}.plots USING gist (geom)`);
    await db.rows(`CREATE TABLE ${schema}.marks (uid uuid PRIMARY KEY, geom geometry(Point, 9214))`);
    await db.rows(`CREATE TABLE ${schema}.gone (gid integer PRIMARY KEY, geom geometry(Point, 4326))`);
    const [o] = controlPoints();
    for (const [i, key] of keys.entries()) {
      const x = o.e9214 + i * 40;
      const wkt = `POLYGON((${x} ${o.n9214}, ${x} ${o.n9214 + 20}, ${x + 20} ${o.n9214 + 20}, ${x + 20} ${o.n9214}, ${x} ${o.n9214}))`;
      await db.rows(`INSERT INTO ${schema}.plots VALUES (?, ?, ST_GeomFromText(?, 9214))`, [key, `Thửa ${i + 1}`, wkt]);
    }
    await db.rows(
      `INSERT INTO ${schema}.marks VALUES ('6f1c2a3e-0b4d-4c5e-8f70-1a2b3c4d5e6f', ST_SetSRID(ST_MakePoint(?::float8, ?::float8), 9214))`,
      [o.e9214, o.n9214],
    );
    await db.rows(`INSERT INTO ${schema}.gone VALUES (1, ST_SetSRID(ST_MakePoint(106.07, 21.18), 4326))`);
    config().sourceSchemas = [schema];
    const publish = async (table: string, id: string, extra: Record<string, unknown> = {}) => {
      const res = await call(server(), admin, 'POST', '/admin/layers', { source: { schema, table }, id, ...extra });
      expect(res.status, await res.clone().text()).to.equal(201);
    };
    await publish('plots', 'src_text_keys', { columns: ['ma', 'ten'] });
    await publish('marks', 'src_uuid_keys');
    await publish('gone', 'src_drop_fast', { access: 'public' });
  });
  after(async () => {
    config().sourceSchemas = [];
    for (const id of layers) await dropUploadedLayer(server(), id);
    await server().ctx.db.rows(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  const items = async (id: string, q = '') => {
    const res = await call(server(), admin, 'GET', `/collections/${id}/items${q}`);
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as { features: Item[]; links: Array<{ rel: string; href: string }> };
  };

  it('serves a text primary key as the feature id of items, one item and pages', async () => {
    const all = await items('src_text_keys');
    expect(all.features.map((f) => f.id)).to.deep.equal([...keys].sort());
    expect(all.features[0].properties).to.include({ ma: all.features[0].id });
    const one = await call(server(), admin, 'GET', `/collections/src_text_keys/items/${encodeURIComponent(keys[2])}`);
    expect(one.status, await one.clone().text()).to.equal(200);
    expect(((await one.json()) as Item).id).to.equal(keys[2]);
    expect((await call(server(), admin, 'GET', '/collections/src_text_keys/items/BN-404')).status).to.equal(404);
    const first = await items('src_text_keys', '?limit=1');
    const next = first.links.find((l) => l.rel === 'next')!;
    const second = (await (
      await call(server(), admin, 'GET', new URL(next.href).pathname + new URL(next.href).search)
    ).json()) as {
      features: Item[];
    };
    expect([first.features[0].id, second.features[0].id]).to.deep.equal([...keys].sort().slice(0, 2));
    expect((await items('src_text_keys', '?sortby=-id')).features.map((f) => f.id)).to.deep.equal([...keys].sort().reverse());
    const filtered = await items('src_text_keys', `?filter=${encodeURIComponent("id = 'BN-002'")}`);
    expect(filtered.features.map((f) => f.id)).to.deep.equal(['BN-002']);
  });

  it('serves a uuid key, and a malformed one is a 404, not a database error', async () => {
    const all = await items('src_uuid_keys');
    expect(all.features.map((f) => f.id)).to.deep.equal(['6f1c2a3e-0b4d-4c5e-8f70-1a2b3c4d5e6f']);
    const one = await call(server(), admin, 'GET', '/collections/src_uuid_keys/items/6F1C2A3E-0B4D-4C5E-8F70-1A2B3C4D5E6F');
    expect(one.status).to.equal(200);
    expect((await call(server(), admin, 'GET', '/collections/src_uuid_keys/items/not-a-uuid')).status).to.equal(404);
    const filtered = await items('src_uuid_keys', `?filter=${encodeURIComponent("id = '6f1c2a3e-0b4d-4c5e-8f70-1a2b3c4d5e6f'")}`);
    expect(filtered.features).to.have.length(1);
  });

  it('gives tile features a stable integer id and carries the text key as a property', async () => {
    const [f] = (await items('src_text_keys', '?limit=1')).features;
    const [lon, lat] = f.geometry.coordinates[0][0];
    const x = Math.floor(lonToTileX(lon + 0.0001, 16));
    const y = Math.floor(latToTileY(lat + 0.0001, 16));
    const ids = async () => {
      const res = await call(server(), admin, 'GET', `/tiles/src_text_keys/16/${x}/${y}.mvt`);
      expect(res.status).to.equal(200);
      const layer = new VectorTile(new PbfReader(new Uint8Array(await res.arrayBuffer()))).layers.src_text_keys;
      return Array.from({ length: layer.length }, (_, i) => layer.feature(i)).map((g) => [g.properties.ma, g.id]);
    };
    const first = await ids();
    expect(first.map(([k]) => k)).to.include('BN-001');
    for (const [, id] of first) expect(id).to.be.a('number').and.to.be.above(0);
    expect(new Set(first.map(([, id]) => id)).size).to.equal(first.length);
    await server().app.services.tiles.invalidate(['src_text_keys'], null);
    expect(await ids()).to.deep.equal(first);
  });

  it('answers spatial queries with the text key as id', async () => {
    const [f] = (await items('src_text_keys', `?filter=${encodeURIComponent("id = 'BN-001'")}`)).features;
    const [lon, lat] = f.geometry.coordinates[0][0];
    const res = await call(
      server(),
      admin,
      'GET',
      `/query/identify?lon=${lon + 0.00005}&lat=${lat + 0.00005}&layers=src_text_keys`,
    );
    expect(res.status, await res.clone().text()).to.equal(200);
    expect(((await res.json()) as { features: Item[] }).features.map((g) => g.id)).to.deep.equal(['BN-001']);
    const near = await call(server(), admin, 'GET', `/query/nearest?lon=${lon}&lat=${lat}&layer=src_text_keys&k=2`);
    expect(near.status, await near.clone().text()).to.equal(200);
    expect(((await near.json()) as { features: Item[] }).features.map((g) => g.id)).to.deep.equal(['BN-001', 'BN-002']);
  });

  it('refuses edits of a layer read in place with 405 naming its table', async () => {
    const res = await call(server(), admin, 'DELETE', '/collections/src_text_keys/items/BN-001');
    expect(res.status).to.equal(405);
    expect(await res.text()).to.match(/src_keys\.plots/);
  });

  it('plans CQL2 spatial filters and spatial queries on a table in EPSG:9214 with its own GiST index', async () => {
    const layer = server().ctx.catalog.find('src_text_keys')!;
    const [f] = (await items('src_text_keys', '?limit=1')).features;
    const [x0, y0] = f.geometry.coordinates[0][0];
    const [lon, lat] = [x0 + 0.00005, y0 + 0.00005]; // inside the first 20 m square (its corner is at x0, y0)
    for (const text of [
      `S_INTERSECTS(geom, POINT(${lon} ${lat}))`,
      `S_WITHIN(geom, BBOX(${lon - 0.001}, ${lat - 0.001}, ${lon + 0.001}, ${lat + 0.001}))`,
      `S_DWITHIN(geom, POINT(${lon} ${lat}), 30, meters)`,
    ]) {
      const filter = compileFilter(layer, parseCql2Text(text), CRS84);
      expect(await plan(server(), `SELECT id FROM ${layer.tableSql} t WHERE ${filter.sql}`, filter.bindings), text).to.contain(
        'plots_native_gist',
      );
      const hits = await items('src_text_keys', `?filter=${encodeURIComponent(text)}`);
      expect(hits.features.length, text).to.be.above(0);
    }
    const area = JSON.stringify({
      type: 'Polygon',
      coordinates: [
        [
          [lon - 0.001, lat - 0.001],
          [lon + 0.001, lat - 0.001],
          [lon + 0.001, lat + 0.001],
          [lon - 0.001, lat + 0.001],
          [lon - 0.001, lat - 0.001],
        ],
      ],
    });
    for (const q of [
      intersectsQuery(layer, area, 10),
      identifyLayerQuery(layer, 0, { lon, lat }, 5, 10),
      nearestQuery(layer, { lon, lat }, 2),
    ]) {
      expect(await plan(server(), q.sql, q.bindings)).to.contain('plots_native_gist');
    }
    // A filter reaching far beyond the data (the whole world, outside the zone's domain) still answers, unindexed.
    const world = await items('src_text_keys', `?filter=${encodeURIComponent('S_INTERSECTS(geom, BBOX(-180, -90, 180, 90))')}`);
    expect(world.features).to.have.length(3);
  });

  it('answers 503 naming the layer at once when its table is dropped, even to a tile the fast path had cached', async () => {
    const x = Math.floor(lonToTileX(106.07, 14));
    const y = Math.floor(latToTileY(21.18, 14));
    const url = `${server().url}/tiles/src_drop_fast/14/${x}/${y}.mvt`;
    expect((await fetch(url)).status).to.equal(200);
    // Cached once its change triggers are known to be in place.
    let cached = false;
    for (let i = 0; i < 50 && !cached; i++) {
      await fetch(url);
      cached = server().app.services.tiles.cache.get(`src_drop_fast@1/14/${x}/${y}`) !== undefined;
      if (!cached) await new Promise((r) => setTimeout(r, 100));
    }
    expect(cached, 'tile cached').to.equal(true);
    await server().ctx.db.rows(`DROP TABLE ${schema}.gone`);
    let res = await fetch(url);
    for (let i = 0; i < 20 && res.status !== 503; i++) {
      await new Promise((r) => setTimeout(r, 50));
      res = await fetch(url);
    }
    expect(res.status).to.equal(503);
    expect(await res.text()).to.match(/src_drop_fast.*no longer exists/);
  });
});
