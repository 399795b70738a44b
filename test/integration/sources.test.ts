/**
 * Layers from tables already in PostGIS (issue 12): a table in EPSG:9214 created by SQL in a schema SOURCE_SCHEMAS
 * allows is listed by GET /admin/sources, published in place by POST /admin/layers with a `source`, and serves items
 * that agree with the same squares uploaded as a Shapefile (within 1 cm); an UPDATE reaches its tile; a dropped
 * table answers 503 naming the layer.
 */
import { expect } from 'chai';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { forEachBackend } from '../support/servers.ts';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { controlPoints, dbfBytes, metres, prjTm3, shpBytes, tempDir, zipBytes } from '../fixtures/upload/builders.ts';
import { call, dropUploadedLayer, tokenFor, upload, waitForJob } from '../fixtures/upload/http.ts';
import type { JobReport } from '../../server/upload/jobs.ts';
import { latToTileY, lonToTileX } from '../../server/tiles/grid.ts';

const schema = 'src_test';

/** Three 20 m squares in EPSG:9214 metres east of the first control point (outer rings clockwise). */
function squares(): Array<{ gid: number; ten: string; ring: Array<[number, number]> }> {
  const [o] = controlPoints();
  return [0, 1, 2].map((i) => {
    const x = o.e9214 + i * 40;
    const y = o.n9214;
    return {
      gid: 101 + i,
      ten: `Thửa số ${i + 1}`,
      ring: [
        [x, y],
        [x, y + 20],
        [x + 20, y + 20],
        [x + 20, y],
        [x, y],
      ],
    };
  });
}

forEachBackend('sources: tables read in place', (server, backend) => {
  let admin: string;
  const config = () => server().ctx.config as { sourceSchemas: string[] };
  before(async () => {
    admin = await tokenFor(server(), 'admin');
    for (const id of ['src_parcels', 'src_parcels_file', 'src_noindex', 'src_parcels_view', 'src_parcels_ogr'])
      await dropUploadedLayer(server(), id);
    const db = server().ctx.db;
    await db.rows(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.rows(`CREATE SCHEMA ${schema}`);
    await db.rows(
      `CREATE TABLE ${schema}.parcels (gid integer PRIMARY KEY, ten text, secret text, geom geometry(Polygon, 9214))`,
    );
    await db.rows(`CREATE INDEX ON ${schema}.parcels USING gist (geom)`);
    await db.rows(`CREATE TABLE ${schema}.noindex (fid integer PRIMARY KEY, geom geometry(Point, 9214))`);
    for (const s of squares()) {
      const wkt = `POLYGON((${s.ring.map((p) => p.join(' ')).join(', ')}))`;
      await db.rows(`INSERT INTO ${schema}.parcels VALUES (?::int, ?, 'hidden', ST_GeomFromText(?, 9214))`, [s.gid, s.ten, wkt]);
    }
    config().sourceSchemas = [schema];
  });
  after(async () => {
    config().sourceSchemas = [];
    for (const id of ['src_parcels', 'src_parcels_file', 'src_noindex', 'src_parcels_view', 'src_parcels_ogr'])
      await dropUploadedLayer(server(), id);
    await server().ctx.db.rows(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('lists unpublished tables with a geometry column to admins only', async () => {
    expect((await call(server(), null, 'GET', '/admin/sources')).status).to.equal(401);
    expect((await call(server(), await tokenFor(server(), 'editor'), 'GET', '/admin/sources')).status).to.equal(403);
    const res = await call(server(), admin, 'GET', '/admin/sources');
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { sources: Array<Record<string, unknown>> };
    const parcels = body.sources.find((s) => s.name === 'parcels')!;
    expect(parcels).to.include({
      schema,
      geometryColumn: 'geom',
      geometryType: 'POLYGON',
      srid: 9214,
      spatialIndex: true,
      kind: 'table',
    });
    expect(parcels.primaryKey).to.deep.equal({ name: 'gid', type: 'integer' });
    expect(body.sources.find((s) => s.name === 'noindex')).to.include({ spatialIndex: false });
  });

  it('refuses to publish a source for anonymous callers and editors', async () => {
    const body = { source: { schema, table: 'parcels' }, id: 'src_parcels' };
    expect((await call(server(), null, 'POST', '/admin/layers', body)).status).to.equal(401);
    expect((await call(server(), await tokenFor(server(), 'editor'), 'POST', '/admin/layers', body)).status).to.equal(403);
  });

  it('refuses a schema outside SOURCE_SCHEMAS naming the parameter', async () => {
    const res = await call(server(), admin, 'POST', '/admin/layers', { source: { schema: 'public', table: 'x' }, id: 'src_x' });
    expect(res.status).to.equal(400);
    expect(await res.text()).to.match(/source\.schema/);
  });

  it('publishes a table in place, restricted, exposing only listed columns, and warns about a missing spatial index', async () => {
    const res = await call(server(), admin, 'POST', '/admin/layers', {
      source: { schema, table: 'parcels' },
      id: 'src_parcels',
      title: 'Thửa đất',
      columns: ['ten'],
    });
    expect(res.status, await res.clone().text()).to.equal(201);
    const body = (await res.json()) as { changes: string; warnings: string[]; columns: Array<{ name: string }> };
    expect(body.changes).to.equal('triggers');
    expect(body.columns.map((c) => c.name)).to.deep.equal(['ten']);
    expect((await fetch(`${server().url}/collections/src_parcels`)).status).to.equal(404);
    const noindex = await call(server(), admin, 'POST', '/admin/layers', {
      source: { schema, table: 'noindex' },
      id: 'src_noindex',
    });
    expect(noindex.status).to.equal(201);
    expect(((await noindex.json()) as { warnings: string[] }).warnings.join(' ')).to.match(/no spatial index/);
    const listed = (await (await call(server(), admin, 'GET', '/admin/sources')).json()) as { sources: Array<{ name: string }> };
    expect(listed.sources.map((s) => s.name)).to.not.include('parcels');
  });

  it('serves items that agree with the same squares uploaded as a Shapefile within 1 cm, and filters by bbox', async () => {
    const sq = squares();
    const { shp, shx } = shpBytes(sq.map((s) => ({ type: 'Polygon' as const, coordinates: [s.ring] })));
    const dbf = dbfBytes(
      [{ name: 'GID', type: 'N', length: 6, decimals: 0 }],
      sq.map((s) => [s.gid]),
    );
    const zip = await zipBytes({ 'p.shp': shp, 'p.shx': shx, 'p.dbf': dbf, 'p.prj': prjTm3(107, null) });
    const up = await upload(server(), admin, { name: 'p.zip', bytes: zip }, { id: 'src_parcels_file' });
    expect(up.status, await up.clone().text()).to.equal(202);
    const job = await waitForJob(server(), admin, ((await up.json()) as JobReport).id);
    expect(job.status, job.errors.join('; ')).to.equal('published');

    const items = async (id: string, q = '') =>
      (
        (await (await call(server(), admin, 'GET', `/collections/${id}/items?limit=100${q}`)).json()) as {
          features: Array<{ id: number; geometry: { coordinates: number[][][] }; properties: Record<string, unknown> }>;
        }
      ).features;
    const inPlace = await items('src_parcels');
    const fromFile = await items('src_parcels_file');
    expect(inPlace.map((f) => f.id)).to.deep.equal([101, 102, 103]);
    expect(Object.keys(inPlace[0].properties)).to.deep.equal(['ten']);
    expect(inPlace[0].properties.ten).to.equal('Thửa số 1');
    for (const f of inPlace) {
      const twin = fromFile.find((g) => g.properties.gid === f.id)!;
      const corner = (g: typeof f) =>
        [...g.geometry.coordinates.flat()].sort((a, b) => a[0] - b[0] || a[1] - b[1])[0] as [number, number];
      expect(metres(corner(f), corner(twin))).to.be.below(0.01);
    }
    const [x0, y0] = inPlace[0].geometry.coordinates[0][0];
    const bbox = `&bbox=${x0 - 0.00005},${y0 - 0.00005},${x0 + 0.00005},${y0 + 0.00005}`;
    expect((await items('src_parcels', bbox)).map((f) => f.id)).to.deep.equal([101]);
  });

  if (backend === 'server') {
    it('publishes a table loaded with ogr2ogr in EPSG:9214 whose items agree with the uploaded file within 1 cm', async () => {
      const sq = squares();
      const { shp, shx } = shpBytes(sq.map((q) => ({ type: 'Polygon' as const, coordinates: [q.ring] })));
      const dbf = dbfBytes(
        [{ name: 'GID', type: 'N', length: 6, decimals: 0 }],
        sq.map((q) => [q.gid]),
      );
      const dir = tempDir();
      try {
        const files = { 'p.shp': shp, 'p.shx': shx, 'p.dbf': dbf, 'p.prj': prjTm3(107, null) };
        for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir.dir, name), bytes);
        const u = new URL(server().ctx.config.databaseUrl);
        const pg = `PG:host='${u.hostname}' port='${u.port || 5432}' dbname='${u.pathname.slice(1)}' user='${u.username}' password='${u.password}'`;
        const args = [
          '-f',
          'PostgreSQL',
          pg,
          path.join(dir.dir, 'p.shp'),
          '-nln',
          'parcels_ogr',
          '-lco',
          `SCHEMA=${schema}`,
          '-t_srs',
          'EPSG:9214',
        ];
        const ogr = spawnSync('ogr2ogr', args, { encoding: 'utf8' });
        expect(ogr.status, ogr.stderr).to.equal(0);
      } finally {
        dir.remove();
      }
      const res = await call(server(), admin, 'POST', '/admin/layers', {
        source: { schema, table: 'parcels_ogr' },
        id: 'src_parcels_ogr',
        columns: ['gid'],
      });
      expect(res.status, await res.clone().text()).to.equal(201);
      // GDAL does not recognise our EPSG:9214 row (it carries the official shift) and adds its own (900914, same proj4).
      expect(((await res.json()) as { source: Record<string, unknown> }).source).to.include({
        geometryColumn: 'wkb_geometry',
        idColumn: 'ogc_fid',
      });
      const items = async (id: string) =>
        (
          (await (await call(server(), admin, 'GET', `/collections/${id}/items?limit=100`)).json()) as {
            features: Array<{ geometry: { coordinates: number[][][] }; properties: Record<string, unknown> }>;
          }
        ).features;
      const fromFile = await items('src_parcels_file');
      const inPlace = await items('src_parcels_ogr');
      expect(inPlace).to.have.length(3);
      for (const f of inPlace) {
        const twin = fromFile.find((g) => g.properties.gid === f.properties.gid)!;
        const corner = (g: typeof f) =>
          [...g.geometry.coordinates.flat()].sort((a, b) => a[0] - b[0] || a[1] - b[1])[0] as [number, number];
        expect(metres(corner(f), corner(twin))).to.be.below(0.01);
      }
      await dropUploadedLayer(server(), 'src_parcels_ogr');
    });
  }

  it('changes the affected tile after an UPDATE made by another program', async () => {
    const [f] = (
      (await (await call(server(), admin, 'GET', '/collections/src_parcels/items?limit=1')).json()) as {
        features: Array<{ geometry: { coordinates: number[][][] } }>;
      }
    ).features;
    const [lon, lat] = f.geometry.coordinates[0][0];
    const t = { x: Math.floor(lonToTileX(lon + 0.0001, 16)), y: Math.floor(latToTileY(lat + 0.0001, 16)) };
    const tile = async () => {
      const res = await call(server(), admin, 'GET', `/tiles/src_parcels/16/${t.x}/${t.y}.mvt`);
      if (res.status === 204) return [] as string[];
      const layer = new VectorTile(new PbfReader(new Uint8Array(await res.arrayBuffer()))).layers.src_parcels;
      return Array.from({ length: layer?.length ?? 0 }, (_, i) => String(layer.feature(i).properties.ten));
    };
    expect(await tile()).to.include('Thửa số 1');
    const triggers = await server().ctx.db.rows<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE t.tgrelid = to_regclass('${schema}.parcels') AND p.proname = 'sdi_source_change_notify'`,
    );
    expect(triggers[0].n).to.equal(4);
    await tile(); // the trigger check of the layer may finish after the first render: this one is cached for sure
    expect(server().app.services.tiles.cache.get(`src_parcels@1/16/${t.x}/${t.y}`), 'tile cached before the UPDATE').to.not.equal(
      undefined,
    );
    await server().ctx.db.rows(`UPDATE ${schema}.parcels SET ten = 'Đã sửa' WHERE gid = 101`);
    let names: string[] = [];
    for (let i = 0; i < 50 && !names.includes('Đã sửa'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      names = await tile();
    }
    expect(names).to.include('Đã sửa');
  });

  it("publishes a view with a TTL stated in its answer and in the tiles' Cache-Control", async () => {
    await server().ctx.db.rows(`CREATE VIEW ${schema}.parcels_view AS SELECT gid, ten, geom FROM ${schema}.parcels`);
    const res = await call(server(), admin, 'POST', '/admin/layers', {
      source: { schema, table: 'parcels_view', idColumn: 'gid' },
      id: 'src_parcels_view',
      columns: ['ten'],
      access: 'public',
    });
    expect(res.status, await res.clone().text()).to.equal(201);
    const body = (await res.json()) as { changes: string; cacheTtlSeconds: number; warnings: string[] };
    expect(body).to.include({ changes: 'ttl', cacheTtlSeconds: server().ctx.config.sourceCacheTtlSeconds });
    expect(body.warnings.join(' ')).to.match(/cannot take change triggers/);
    const items = await fetch(`${server().url}/collections/src_parcels_view/items`);
    expect(items.status).to.equal(200);
    expect(((await items.json()) as { features: unknown[] }).features).to.have.length(3);
    const layer = server().ctx.catalog.find('src_parcels_view')!;
    expect(layer.tileOptions.cacheControl).to.equal(`public, max-age=${server().ctx.config.sourceCacheTtlSeconds}`);
    await dropUploadedLayer(server(), 'src_parcels_view');
    await server().ctx.db.rows(`DROP VIEW ${schema}.parcels_view`);
  });

  it('answers 503 naming the layer when its table is dropped, and the catalog flags it', async () => {
    await server().ctx.db.rows(`DROP TABLE ${schema}.parcels`);
    const res = await call(server(), admin, 'GET', '/collections/src_parcels/items');
    expect(res.status).to.equal(503);
    expect(await res.text()).to.match(/src_parcels.*no longer exists/);
    expect(server().ctx.catalog.find('src_parcels')!.source!.problem).to.match(/no longer exists/);
    const tile = await call(server(), admin, 'GET', '/tiles/src_parcels/14/13200/7000.mvt');
    expect(tile.status).to.equal(503);
    expect(await tile.text()).to.match(/src_parcels/);
  });

  it('answers 503 naming the layer and the column when its table loses a column the layer reads', async () => {
    await server().ctx.db.rows(`ALTER TABLE ${schema}.noindex RENAME COLUMN geom TO the_geom`);
    const res = await call(server(), admin, 'GET', '/collections/src_noindex/items');
    expect(res.status, await res.clone().text()).to.equal(503);
    expect(await res.text()).to.match(/src_noindex.*lost the column\(s\) geom|gone.*geom/);
    // Once the catalog has checked the table, the answer names the layer and the column.
    await server().ctx.catalog.load();
    const again = await call(server(), admin, 'GET', '/collections/src_noindex/items');
    expect(again.status).to.equal(503);
    expect(await again.text()).to.match(/src_noindex.*lost the column\(s\) geom/);
  });
});
