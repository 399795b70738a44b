/**
 * Fixture layers for the OGC API, spatial query and search tests: small tables with known features, registered in
 * layer_catalog like uploads, with awkward table and column names (quotes, dots, spaces, Vietnamese) and one
 * restricted layer. `useFixtureLayers(server, prefix)` creates them before a suite and drops them after it.
 * This file also checks that the fixtures are what the other suites assume.
 */
import { expect } from 'chai';
import type { RunningServer } from '../../server/server.ts';
import { quoteIdent } from '../../server/sql/identifiers.ts';
import { forEachBackend } from '../support/servers.ts';

import { loadControlPoints, type ControlPoint } from '../fixtures/crs/control-points.ts';

export { loadControlPoints, type ControlPoint };

/** Ids and table names of one suite's fixture layers. */
export interface FixtureLayers {
  zones: string;
  points: string;
  lines: string;
  secret: string;
  /** Polygon squares: 5 columns x 4 rows of 0.01° from (106.00, 21.10); plus two at the antimeridian. */
  zoneCount: number;
  pointCount: number;
}

/** Land-use codes cycled over the zones. */
export const zoneCodes = ['LUA', 'ONT', 'CLN', 'SKK'];

/** An awkward owner column: space, double quote, Vietnamese. */
export const ownerColumn = 'chủ "sở" hữu';

const col = (name: string, type: string, en: string, vi: string) => ({ name, type, label: { en, vi } });

async function register(server: RunningServer, row: Record<string, unknown>): Promise<void> {
  const db = server.ctx.db;
  await db.knex('layer_catalog').where({ id: row.id }).delete();
  await db.knex('layer_catalog').insert({ style: '{}', tile_options: '{}', origin: 'upload', ...row });
}

/**
 * Reloads the catalog once more after reloads started by NOTIFY have had time to finish: Catalog.load() has no
 * generation guard, so a reload that began before our rows were written can finish after ours and drop them.
 */
async function settleCatalog(server: RunningServer): Promise<void> {
  await server.ctx.catalog.load();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await server.ctx.catalog.load();
}

/** Creates the fixture layers of one suite (ids start with `prefix`) and reloads the catalog. */
export async function createFixtureLayers(server: RunningServer, prefix: string): Promise<FixtureLayers> {
  const db = server.ctx.db;
  const t = {
    zones: `${prefix} zones "Thửa".v1`,
    points: `${prefix}_points`,
    lines: `${prefix}_lines`,
    secret: `${prefix}_secret`,
  };
  for (const table of Object.values(t)) await db.rows(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);

  await db.rows(
    `CREATE TABLE ${quoteIdent(t.zones)} (id integer PRIMARY KEY, code text, area_ha double precision, floors integer,
       active boolean, since date, ${quoteIdent(ownerColumn)} text, geom geometry(Polygon, 4326) NOT NULL)`,
  );
  let id = 0;
  for (let j = 0; j < 4; j++) {
    for (let i = 0; i < 5; i++) {
      id++;
      const x = 106 + i * 0.01;
      const y = 21.1 + j * 0.01;
      await db.rows(
        `INSERT INTO ${quoteIdent(t.zones)} VALUES (?::int, ?::text, ?::float8, ?::int, ?::boolean, ?::date, ?::text, ` +
          'ST_MakeEnvelope(?::float8, ?::float8, ?::float8, ?::float8, 4326))',
        [
          id,
          zoneCodes[id % 4],
          id * 1.5,
          id % 3,
          id % 2 === 0,
          `2024-01-${String(id).padStart(2, '0')}`,
          id === 7 ? "'; DROP TABLE x; --" : `Ông ${id}`,
          x,
          y,
          x + 0.01,
          y + 0.01,
        ],
      );
    }
  }
  for (const [x0, x1] of [
    [179.9, 180],
    [-180, -179.9],
  ]) {
    id++;
    await db.rows(
      `INSERT INTO ${quoteIdent(t.zones)} VALUES (?::int, 'SON', 1, 0, false, '2020-01-01', 'antimeridian', ` +
        'ST_MakeEnvelope(?::float8, -0.1, ?::float8, 0.1, 4326))',
      [id, x0, x1],
    );
  }
  const zoneCount = id;

  const points = loadControlPoints();
  await db.rows(
    `CREATE TABLE ${quoteIdent(t.points)} ` +
      '(id integer PRIMARY KEY, name text, kind text, height double precision, geom geometry(Point, 4326) NOT NULL)',
  );
  for (const [i, p] of points.entries()) {
    await db.rows(
      `INSERT INTO ${quoteIdent(t.points)} VALUES (?::int, ?::text, 'control', ?::float8, ST_SetSRID(ST_MakePoint(?::float8, ?::float8), 4326))`,
      [i + 1, `Điểm khống chế ${i + 1}`, 10 + i, p.lon, p.lat],
    );
  }
  const named: Array<[string, number, number]> = [
    ['Chợ Bắc Giang', 106.195, 21.273],
    ['Đình Bảng', 105.95, 21.11],
    ['Cầu Đông Xuyên', 106.0052, 21.1051],
  ];
  for (const [i, [name, lon, lat]] of named.entries()) {
    await db.rows(
      `INSERT INTO ${quoteIdent(t.points)} VALUES (?::int, ?::text, 'place', 5, ST_SetSRID(ST_MakePoint(?::float8, ?::float8), 4326))`,
      [100 + i, name, lon, lat],
    );
  }

  await db.rows(
    `CREATE TABLE ${quoteIdent(t.lines)} (id integer PRIMARY KEY, name text, kind text, geom geometry(LineString, 4326) NOT NULL)`,
  );
  // A road along latitude 21.125 through the zone grid (106.00 .. 106.05), and a short one elsewhere.
  await db.rows(`INSERT INTO ${quoteIdent(t.lines)} VALUES
    (1, 'Quốc lộ 1', 'national', ST_GeomFromText('LINESTRING(105.99 21.125, 106.06 21.125)', 4326)),
    (2, 'Đường tỉnh 295', 'provincial', ST_GeomFromText('LINESTRING(106.2 21.3, 106.21 21.31)', 4326))`);

  await db.rows(`CREATE TABLE ${quoteIdent(t.secret)} (id integer PRIMARY KEY, name text, geom geometry(Point, 4326) NOT NULL)`);
  await db.rows(
    `INSERT INTO ${quoteIdent(t.secret)} VALUES (1, 'Bí mật Bắc Giang', ST_SetSRID(ST_MakePoint(106.005, 21.105), 4326))`,
  );

  for (const table of Object.values(t)) await db.rows(`CREATE INDEX ON ${quoteIdent(table)} USING gist (geom)`);
  for (const table of Object.values(t)) await db.rows(`ANALYZE ${quoteIdent(table)}`);

  const ids = { zones: `${prefix}_zones`, points: `${prefix}_points`, lines: `${prefix}_lines`, secret: `${prefix}_secret` };
  await register(server, {
    id: ids.zones,
    title: `${prefix} planning zones`,
    title_vi: `${prefix} khu quy hoạch`,
    layer_group: 'landuse',
    source_table: t.zones,
    geometry_type: 'Polygon',
    columns: JSON.stringify([
      col('code', 'string', 'Land-use code', 'Mã loại đất'),
      col('area_ha', 'number', 'Area (ha)', 'Diện tích (ha)'),
      col('floors', 'integer', 'Floors', 'Số tầng'),
      col('active', 'boolean', 'Active', 'Hiệu lực'),
      col('since', 'date', 'Since', 'Từ ngày'),
      col(ownerColumn, 'string', 'Owner', 'Chủ sở hữu'),
    ]),
    sort_order: 20,
  });
  await register(server, {
    id: ids.points,
    title: `${prefix} control points`,
    title_vi: `${prefix} điểm khống chế`,
    layer_group: 'basemap',
    source_table: t.points,
    geometry_type: 'Point',
    columns: JSON.stringify([
      col('name', 'string', 'Name', 'Tên'),
      col('kind', 'string', 'Kind', 'Loại'),
      col('height', 'number', 'Height (m)', 'Độ cao (m)'),
    ]),
    sort_order: 40,
  });
  await register(server, {
    id: ids.lines,
    title: `${prefix} roads`,
    title_vi: `${prefix} đường`,
    layer_group: 'basemap',
    source_table: t.lines,
    geometry_type: 'LineString',
    columns: JSON.stringify([col('name', 'string', 'Name', 'Tên'), col('kind', 'string', 'Kind', 'Loại')]),
    sort_order: 30,
  });
  await register(server, {
    id: ids.secret,
    title: `${prefix} restricted sites`,
    title_vi: `${prefix} điểm hạn chế`,
    layer_group: 'other',
    source_table: t.secret,
    geometry_type: 'Point',
    columns: JSON.stringify([col('name', 'string', 'Name', 'Tên')]),
    access: 'restricted',
    sort_order: 50,
  });
  await settleCatalog(server);
  return { ...ids, zoneCount, pointCount: points.length + named.length };
}

/** Drops the fixture layers of `prefix` and reloads the catalog. */
export async function dropFixtureLayers(server: RunningServer, prefix: string): Promise<void> {
  const db = server.ctx.db;
  await db
    .knex('layer_catalog')
    .whereIn(
      'id',
      ['zones', 'points', 'lines', 'secret'].map((s) => `${prefix}_${s}`),
    )
    .delete();
  for (const table of [`${prefix} zones "Thửa".v1`, `${prefix}_points`, `${prefix}_lines`, `${prefix}_secret`]) {
    await db.rows(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
  }
  await settleCatalog(server);
}

/** Registers before/after hooks that create and drop the fixture layers; returns a getter for their ids. */
export function useFixtureLayers(server: () => RunningServer, prefix: string): () => FixtureLayers {
  let layers: FixtureLayers;
  before(async function () {
    this.timeout(120_000);
    layers = await createFixtureLayers(server(), prefix);
  });
  after(async function () {
    this.timeout(60_000);
    await dropFixtureLayers(server(), prefix);
  });
  return () => layers;
}

forEachBackend('feature fixture layers', (server) => {
  const fx = useFixtureLayers(server, 'ftfix');

  it('registers four layers, one of them restricted, with their bounds', () => {
    const all = server()
      .ctx.catalog.list({ role: 'admin', tokenId: 't', name: 't' })
      .filter((l) => l.id.startsWith('ftfix_'));
    expect(all.map((l) => l.id).sort()).to.deep.equal([fx().lines, fx().points, fx().secret, fx().zones].sort());
    expect(
      server()
        .ctx.catalog.list(null)
        .some((l) => l.id === fx().secret),
    ).to.equal(false);
    const b = server().ctx.catalog.get(fx().zones, null).bounds!;
    expect(b[0]).to.be.closeTo(-180, 1e-4);
    expect(b[3]).to.be.closeTo(21.14, 1e-4);
  });
});
