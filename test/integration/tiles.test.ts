/**
 * Vector tiles over real HTTP on every backend: decoded features against the rows we wrote, status codes,
 * ETag/304, gzip, composites, property selection, clustering, TileJSON, OGC API Tiles, timeouts, the
 * feature cap, and cache invalidation by area after SQL writes.
 * Test layers (tt_*) are made here over small tables with awkward names, so the suite does not depend on
 * the demo data; demo-tile checks live in tiles-demo.test.ts.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { expect } from 'chai';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { forEachBackend } from '../support/servers.ts';
import type { RunningServer } from '../../server/server.ts';
import { latToTileY, lonToTileX, tileExtent, tileXToLon, tileYToLat } from '../../server/tiles/grid.ts';
import { createTileFastPath } from '../../server/http/tiles.ts';
import type { AddressInfo } from 'node:net';
import { quoteIdent } from '../../server/sql/identifiers.ts';
import { MemoryIndexes, renderTile } from '../../server/tiles/memory-index.ts';

/** The awkward polygon table: quotes, a dot, spaces and Vietnamese in its name and its columns. */
const polyTable = 'tile test "poly" Ô.x';
const awkward = { name: 'Tên đường', dotted: 'a.b', quoted: 'quote"d', spaced: 'with space', day: 'ngày' };
/** South-west corner of the test grid (EPSG:4326) and its squares: 5 x 5 of 0.002°, 0.003° apart. */
const lon0 = 106.04;
const lat0 = 21.14;
const step = 0.003;
const side = 0.002;

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** GET with exact control over headers (fetch would add Accept-Encoding and gunzip by itself). */
function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The uncompressed tile bytes of a response. */
function tileBytes(r: Response): Buffer {
  return r.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(r.body) : r.body;
}

function decode(buf: Buffer): VectorTile {
  return new VectorTile(new PbfReader(buf));
}

/** Tile (x, y) at zoom z containing a lon/lat. */
function tileAt(lon: number, lat: number, z: number): { z: number; x: number; y: number } {
  return { z, x: Math.floor(lonToTileX(lon, z)), y: Math.floor(latToTileY(lat, z)) };
}

/** A lon/lat in the tile coordinates (0..4096, y down) of tile t. */
function toTile(lon: number, lat: number, t: { z: number; x: number; y: number }): [number, number] {
  return [(lonToTileX(lon, t.z) - t.x) * tileExtent, (latToTileY(lat, t.z) - t.y) * tileExtent];
}

/** The square of grid cell (i, j), id = 1 + i + 5 j. */
function square(i: number, j: number): [number, number, number, number] {
  const w = lon0 + i * step;
  const s = lat0 + j * step;
  return [w, s, w + side, s + side];
}

function insertLayer(s: RunningServer, row: Record<string, unknown>) {
  return s.ctx.db.knex('layer_catalog').insert({
    layer_group: 'other',
    minzoom: 0,
    maxzoom: 16,
    tile_options: JSON.stringify({}),
    ...row,
    title: row.id,
    columns: JSON.stringify(row.columns),
  });
}

async function createTestLayers(s: RunningServer): Promise<void> {
  const db = s.ctx.db;
  await dropTestLayers(s);
  const p = quoteIdent(polyTable);
  const q = (n: string) => quoteIdent(n);
  await db.rows(`CREATE TABLE ${p} (id integer PRIMARY KEY, ${q(awkward.name)} text, ${q(awkward.dotted)} integer,
    ${q(awkward.quoted)} numeric, ${q(awkward.spaced)} boolean, ${q(awkward.day)} date, geom geometry(Polygon, 4326))`);
  await db.rows(
    `INSERT INTO ${p}
    SELECT 1 + i + 5 * j, 'Ô số ' || (1 + i + 5 * j), (1 + i + 5 * j) * 10, (1 + i + 5 * j) + 0.5, (i + j) % 2 = 0,
           DATE '2024-01-01' + (1 + i + 5 * j),
           ST_MakeEnvelope(?::float8 + i * ?::float8, ?::float8 + j * ?::float8, ?::float8 + i * ?::float8 + ?::float8, ?::float8 + j * ?::float8 + ?::float8, 4326)
      FROM generate_series(0, 4) i, generate_series(0, 4) j`,
    [lon0, step, lat0, step, lon0, step, side, lat0, step, side],
  );
  // One square with a hole (id 26), north of the grid: winding must keep the hole a hole.
  await db.rows(`INSERT INTO ${p} (id, ${q(awkward.name)}, geom) VALUES (26, 'lỗ', ST_GeomFromText(
    'POLYGON((106.04 21.16, 106.05 21.16, 106.05 21.17, 106.04 21.17, 106.04 21.16),
              (106.043 21.163, 106.043 21.167, 106.047 21.167, 106.047 21.163, 106.043 21.163))', 4326))`);
  await db.rows(`CREATE INDEX ON ${p} USING gist (geom)`);
  await db.rows(`CREATE TABLE tt_points (id integer PRIMARY KEY, kind text, height real, geom geometry(Point, 4326))`);
  await db.rows(`INSERT INTO tt_points SELECT g, CASE WHEN g % 2 = 0 THEN 'even' ELSE 'odd' END, g * 1.5,
    ST_SetSRID(ST_MakePoint(106.04 + (g % 20) * 0.0007, 21.14 + (g / 20) * 0.0007), 4326) FROM generate_series(1, 200) g`);
  await db.rows(`CREATE INDEX ON tt_points USING gist (geom)`);
  await db.rows(`CREATE TABLE tt_lines (id integer PRIMARY KEY, name text, geom geometry(LineString, 4326))`);
  await db.rows(`INSERT INTO tt_lines VALUES (1, 'đường chéo', ST_GeomFromText('LINESTRING(106.03 21.13, 106.06 21.16)', 4326)),
    (2, 'ngang', ST_GeomFromText('LINESTRING(106.03 21.15, 106.06 21.15)', 4326))`);
  await db.rows(`CREATE INDEX ON tt_lines USING gist (geom)`);
  // A layer whose query sleeps once (a stable, argument-free qual runs as a one-time filter): for timeouts.
  // A busy wait rather than pg_sleep, which does not wait in the embedded (WebAssembly) build.
  await db.rows(`CREATE FUNCTION tt_sleepy() RETURNS boolean LANGUAGE plpgsql STABLE AS $$
    DECLARE t0 timestamptz := clock_timestamp();
    BEGIN
      WHILE clock_timestamp() < t0 + interval '1.5 seconds' LOOP END LOOP;
      RETURN true;
    END $$`);
  await db.rows(`CREATE VIEW tt_slow AS SELECT id, kind, geom FROM tt_points WHERE tt_sleepy()`);
  const col = (name: string, type: string) => ({ name, type, label: { en: name, vi: name } });
  await insertLayer(s, {
    id: 'tt_poly',
    source_table: polyTable,
    geometry_type: 'Polygon',
    maxzoom: 16,
    columns: [
      col(awkward.name, 'string'),
      col(awkward.dotted, 'integer'),
      col(awkward.quoted, 'number'),
      col(awkward.spaced, 'boolean'),
      col(awkward.day, 'date'),
    ],
    attribution: 'Test © Ô',
  });
  await insertLayer(s, {
    id: 'tt_points',
    source_table: 'tt_points',
    geometry_type: 'Point',
    columns: [col('kind', 'string'), col('height', 'number')],
    tile_options: JSON.stringify({ clusterBelowZoom: 13, cacheControl: 'public, max-age=5' }),
  });
  await insertLayer(s, {
    id: 'tt_lines',
    source_table: 'tt_lines',
    geometry_type: 'LineString',
    columns: [col('name', 'string')],
    minzoom: 10,
  });
  await insertLayer(s, { id: 'tt_slow', source_table: 'tt_slow', geometry_type: 'Point', columns: [col('kind', 'string')] });
  await insertLayer(s, {
    id: 'tt_secret',
    source_table: 'tt_points',
    geometry_type: 'Point',
    columns: [col('kind', 'string')],
    access: 'restricted',
  });
  await s.ctx.catalog.load();
}

async function dropTestLayers(s: RunningServer): Promise<void> {
  const db = s.ctx.db;
  await db.rows(`DELETE FROM layer_catalog WHERE id LIKE 'tt\\_%'`);
  await db.rows('DROP VIEW IF EXISTS tt_slow');
  await db.rows('DROP FUNCTION IF EXISTS tt_sleepy()');
  for (const t of [polyTable, 'tt_points', 'tt_lines']) await db.rows(`DROP TABLE IF EXISTS ${quoteIdent(t)}`);
  await s.ctx.catalog.load();
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function hits(s: RunningServer): Promise<number> {
  return (await s.ctx.metrics.tileCache.hits.get()).values[0]?.value ?? 0;
}

const z14 = tileAt(lon0 + 0.007, lat0 + 0.007, 14);
const url = (t: { z: number; x: number; y: number }) => `${t.z}/${t.x}/${t.y}`;

/** Counts the renders a tile service starts (its renderWithDeadline) until `restore` is called. */
function countRenders(tiles: object): { count: () => number; restore: () => void } {
  const spy = tiles as { renderWithDeadline: (...args: unknown[]) => Promise<Buffer> };
  const render = spy.renderWithDeadline;
  let renders = 0;
  spy.renderWithDeadline = function (this: unknown, ...args: unknown[]) {
    renders++;
    return render.apply(this, args);
  };
  return { count: () => renders, restore: () => (spy.renderWithDeadline = render) };
}

/** Statements of the tt_slow layer running in the database now (server PostGIS). */
async function slowQueries(s: RunningServer): Promise<number> {
  const [r] = await s.ctx.db.rows<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%tt_slow%' AND state = 'active' AND pid <> pg_backend_pid()`,
  );
  return r.n;
}

forEachBackend('tiles', (server, backend) => {
  before(async function () {
    this.timeout(60_000);
    await createTestLayers(server());
  });
  after(async function () {
    this.timeout(60_000);
    await dropTestLayers(server());
  });

  it('returns the features of the tile with ids, typed properties and geometry in tile coordinates', async () => {
    const [w, s, e, n] = square(1, 1);
    const t = tileAt((w + e) / 2, (s + n) / 2, 14);
    const r = await get(`${server().url}/tiles/tt_poly/${url(t)}.mvt`);
    expect(r.status).to.equal(200);
    expect(r.headers['content-type']).to.equal('application/vnd.mapbox-vector-tile');
    const layer = decode(tileBytes(r)).layers.tt_poly;
    expect(layer.extent).to.equal(4096);
    expect(layer.version).to.equal(2);
    const byId = new Map<number, ReturnType<typeof layer.feature>>();
    for (let i = 0; i < layer.length; i++) byId.set(layer.feature(i).id!, layer.feature(i));
    expect([...byId.keys()]).to.include(7);
    const f = byId.get(7)!; // cell i=1, j=1
    expect(f.type).to.equal(3);
    expect(f.properties).to.deep.equal({
      [awkward.name]: 'Ô số 7',
      [awkward.dotted]: 70,
      [awkward.quoted]: 7.5,
      [awkward.spaced]: true,
      [awkward.day]: '2024-01-08',
    });
    const [x0, y1] = toTile(w, s, t);
    const [x1, y0] = toTile(e, n, t);
    const [bx0, by0, bx1, by1] = f.bbox();
    for (const [got, want] of [
      [bx0, x0],
      [by0, y0],
      [bx1, x1],
      [by1, y1],
    ])
      expect(Math.abs(got - want)).to.be.below(1.5);
  });

  it('winds exterior rings with positive area and holes negative (MVT 2.1), so holes stay holes', async () => {
    // The largest zoom whose one tile holds the whole holed square (106.04..106.05, 21.16..21.17).
    let z = 16;
    while (url(tileAt(106.04, 21.16, z)) !== url(tileAt(106.05, 21.17, z))) z--;
    const t = tileAt(106.045, 21.165, z);
    const layer = decode(tileBytes(await get(`${server().url}/tiles/tt_poly/${url(t)}.mvt`))).layers.tt_poly;
    const holed = Array.from({ length: layer.length }, (_, i) => layer.feature(i)).find((f) => f.id === 26)!;
    const rings = holed.loadGeometry();
    expect(rings).to.have.length(2);
    const area = (ring: { x: number; y: number }[]) =>
      ring.reduce((a, p, i) => {
        const q = ring[(i + 1) % ring.length];
        return a + (p.x * q.y - q.x * p.y);
      }, 0) / 2;
    expect(area(rings[0])).to.be.above(0);
    expect(area(rings[1])).to.be.below(0);
    const gj = holed.toGeoJSON(t.x, t.y, t.z);
    expect(gj.geometry.type).to.equal('Polygon');
  });

  it('keeps a buffer: a square crossing the tile edge appears in both tiles, clipped to the 64-unit buffer', async () => {
    // Aim at data that does cross an edge: the first square of the grid that straddles a tile column boundary, at
    // the highest zoom where one does (squares are 0.002° wide; a z16 tile is 0.0055°).
    let aim: { id: number; west: { z: number; x: number; y: number } } | undefined;
    for (const z of [16, 15, 14]) {
      for (let i = 0; i < 5 && !aim; i++) {
        const [w, s, e, n] = square(i, 0);
        const west = tileAt(w, (s + n) / 2, z);
        if (Math.floor(lonToTileX(e, z)) === west.x + 1) aim = { id: 1 + i, west };
      }
      if (aim) break;
    }
    expect(aim, 'a grid square that crosses a tile column boundary').to.not.equal(undefined);
    const { id, west } = aim!;
    const east = { ...west, x: west.x + 1 };
    const ids = async (tt: typeof west) => {
      const r = await get(`${server().url}/tiles/tt_poly/${url(tt)}.mvt`);
      expect(r.status).to.equal(200);
      const l = decode(tileBytes(r)).layers.tt_poly;
      for (let i = 0; i < l.length; i++) {
        const [minx, miny, maxx, maxy] = l.feature(i).bbox();
        expect(minx).to.be.at.least(-64);
        expect(miny).to.be.at.least(-64);
        expect(maxx).to.be.at.most(4096 + 64);
        expect(maxy).to.be.at.most(4096 + 64);
      }
      return Array.from({ length: l.length }, (_, i) => l.feature(i).id);
    };
    expect(await ids(west)).to.include(id);
    expect(await ids(east)).to.include(id);
  });

  it('returns 204 for a tile with no features, and for a zoom below the layer minzoom', async () => {
    const far = tileAt(0.5, 0.5, 12);
    const r = await get(`${server().url}/tiles/tt_poly/${url(far)}.mvt`);
    expect(r.status).to.equal(204);
    expect(r.body.length).to.equal(0);
    const low = tileAt(106.05, 21.15, 8);
    expect((await get(`${server().url}/tiles/tt_lines/${url(low)}.mvt`)).status).to.equal(204);
  });

  const bad: Array<[string, number, RegExp]> = [
    ['/tiles/tt_poly/25/0/0.mvt', 400, /z=25/],
    ['/tiles/tt_poly/3/8/0.mvt', 400, /x=8/],
    ['/tiles/tt_poly/3/0/9.pbf', 400, /y=9/],
    ['/tiles/tt_poly/a/0/0.mvt', 400, /z="a"/],
    ['/tiles/tt_poly/1/-1/0.mvt', 400, /x="-1"/],
    ['/tiles/tt_poly/1/0/0.png', 400, /\.mvt or \.pbf/],
    ['/tiles/tt_poly,,tt_lines/1/0/0.mvt', 400, /empty entry/],
    ['/tiles/tt_poly,tt_poly/1/0/0.mvt', 400, /twice/],
    ['/tiles/no_such_layer/1/0/0.mvt', 404, /no_such_layer/],
    ['/tiles/tt_secret/1/0/0.mvt', 404, /tt_secret/],
    ['/tiles/no_such_layer.json', 404, /no_such_layer/],
    ['/tiles/tt_poly/1/0/0.mvt?properties=nope', 400, /"nope"/],
    ["/tiles/tt_poly/1/0/0.mvt?properties=x'%3B%20DROP%20TABLE%20layer_catalog%3B--", 400, /DROP TABLE/],
    ['/collections/tt_poly/tiles/WorldCRS84Quad/1/0/0', 404, /WorldCRS84Quad/],
    ['/collections/tt_poly/tiles/WebMercatorQuad/2/4/0', 400, /y=4/],
  ];
  for (const [path, status, message] of bad) {
    it(`answers ${status} with a JSON error naming the culprit for ${path}`, async () => {
      const r = await get(`${server().url}${path}`);
      expect(r.status).to.equal(status);
      const body = JSON.parse(r.body.toString());
      expect(body.code).to.be.a('string');
      expect(body.description).to.match(message);
    });
  }

  it('sends gzip only to clients that accept it, with Vary, ETag and the layer Cache-Control', async () => {
    const path = `${server().url}/tiles/tt_points/${url(z14)}.mvt`;
    const gz = await get(path, { 'Accept-Encoding': 'gzip, deflate' });
    expect(gz.status).to.equal(200);
    expect(gz.headers['content-encoding']).to.equal('gzip');
    expect(gz.headers.vary).to.match(/Accept-Encoding/);
    expect(gz.headers['cache-control']).to.equal('public, max-age=5');
    expect(gz.headers['access-control-allow-origin']).to.equal('*');
    const plain = await get(path);
    expect(plain.headers['content-encoding']).to.equal(undefined);
    expect(zlib.gunzipSync(gz.body).equals(plain.body)).to.equal(true);
    expect(plain.headers.etag)
      .to.equal(gz.headers.etag)
      .and.match(/^"[^"]+"$/);
  });

  it('answers 304 to If-None-Match with the current ETag', async () => {
    const path = `${server().url}/tiles/tt_poly/${url(z14)}.mvt`;
    const first = await get(path);
    const again = await get(path, { 'If-None-Match': first.headers.etag! });
    expect(again.status).to.equal(304);
    expect(again.body.length).to.equal(0);
    expect((await get(path, { 'If-None-Match': '"other", W/' + first.headers.etag })).status).to.equal(304);
    expect((await get(path, { 'If-None-Match': '"other"' })).status).to.equal(200);
  });

  it('builds a composite tile with one MVT layer per source layer, named by layer id', async () => {
    const t = tileAt(106.045, 21.145, 14);
    const r = await get(`${server().url}/tiles/tt_poly,tt_lines,tt_points/${url(t)}.pbf`);
    expect(r.status).to.equal(200);
    const tile = decode(tileBytes(r));
    expect(Object.keys(tile.layers).sort()).to.deep.equal(['tt_lines', 'tt_points', 'tt_poly']);
    expect(tile.layers.tt_lines.feature(0).type).to.equal(2);
    expect(tile.layers.tt_points.feature(0).type).to.equal(1);
  });

  it('carries only the properties asked for with ?properties', async () => {
    const r = await get(
      `${server().url}/tiles/tt_poly,tt_lines/${url(z14)}.mvt?properties=${encodeURIComponent(`${awkward.dotted},name`)}`,
    );
    expect(r.status, r.body.toString().slice(0, 300)).to.equal(200);
    const tile = decode(tileBytes(r));
    const keys = (l: DecodedLayer) => [
      ...new Set(Array.from({ length: l.length }, (_, i) => Object.keys(l.feature(i).properties)).flat()),
    ];
    expect(keys(tile.layers.tt_poly)).to.deep.equal([awkward.dotted]);
    expect(keys(tile.layers.tt_lines)).to.deep.equal(['name']);
    const none = decode(tileBytes(await get(`${server().url}/tiles/tt_poly/${url(z14)}.mvt?properties=`)));
    expect(keys(none.layers.tt_poly)).to.deep.equal([]);
  });

  it('clusters points below clusterBelowZoom with a count, and the counts add up to the points', async () => {
    const t = tileAt(106.045, 21.145, 10);
    const layer = decode(tileBytes(await get(`${server().url}/tiles/tt_points/${url(t)}.mvt`))).layers.tt_points;
    expect(layer.length).to.be.below(200);
    let total = 0;
    for (let i = 0; i < layer.length; i++) {
      const p = layer.feature(i).properties;
      expect(Object.keys(p)).to.deep.equal(['count']);
      total += p.count as number;
    }
    expect(total).to.equal(200);
    const high = decode(tileBytes(await get(`${server().url}/tiles/tt_points/${url(tileAt(106.045, 21.145, 13))}.mvt`))).layers
      .tt_points;
    expect(high.feature(0).properties).to.have.keys('kind', 'height');
  });

  it('serves TileJSON 3.0.0 with typed fields, zooms, bounds, centre and URLs from the request host', async () => {
    const r = await get(`${server().url}/tiles/tt_poly,tt_points.json`, {
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'maps.example.vn',
    });
    expect(r.status).to.equal(200);
    const tj = JSON.parse(r.body.toString());
    expect(tj.tilejson).to.equal('3.0.0');
    // X-Forwarded-* count only from TRUST_PROXY peers (none by default): the links use the request's own host.
    expect(tj.tiles).to.deep.equal([`${server().url}/tiles/tt_poly,tt_points/{z}/{x}/{y}.mvt`]);
    expect(tj.minzoom).to.equal(0);
    expect(tj.maxzoom).to.equal(16);
    expect(tj.attribution).to.equal('Test © Ô');
    expect(tj.bounds[0]).to.be.closeTo(lon0, 1e-6);
    expect(tj.center).to.have.length(3);
    const poly = tj.vector_layers.find((v: { id: string }) => v.id === 'tt_poly');
    expect(poly.fields).to.deep.equal({
      [awkward.name]: 'String',
      [awkward.dotted]: 'Number',
      [awkward.quoted]: 'Number',
      [awkward.spaced]: 'Boolean',
      [awkward.day]: 'String',
    });
    expect(poly).to.include({ minzoom: 0, maxzoom: 16 });
    expect(poly.description).to.be.a('string');
    const points = tj.vector_layers.find((v: { id: string }) => v.id === 'tt_points');
    expect(points.fields).to.have.property('count', 'Number');
    const sel = JSON.parse(
      (await get(`${server().url}/tiles/tt_poly.json?properties=${encodeURIComponent(awkward.dotted)}`)).body.toString(),
    );
    expect(sel.tiles[0]).to.match(/\?properties=a\.b$/);
    expect(Object.keys(sel.vector_layers[0].fields)).to.deep.equal([awkward.dotted]);
  });

  it('honours PUBLIC_URL in TileJSON and OGC links', async () => {
    const config = server().ctx.config;
    config.publicUrl = 'https://sdi.bacninh.gov.vn/api';
    try {
      const tj = JSON.parse((await get(`${server().url}/tiles/tt_poly.json`)).body.toString());
      expect(tj.tiles[0]).to.equal('https://sdi.bacninh.gov.vn/api/tiles/tt_poly/{z}/{x}/{y}.mvt');
    } finally {
      config.publicUrl = '';
    }
  });

  it('offers OGC API Tiles: tile matrix sets, tilesets, metadata, and tiles in z/y/x order', async () => {
    const base = server().url;
    const list = JSON.parse((await get(`${base}/tileMatrixSets`)).body.toString());
    expect(list.tileMatrixSets[0].id).to.equal('WebMercatorQuad');
    const tms = JSON.parse((await get(`${base}/tileMatrixSets/WebMercatorQuad`)).body.toString());
    expect(tms.tileMatrices).to.have.length(25);
    expect(tms.tileMatrices[0]).to.include({ id: '0', matrixWidth: 1, cornerOfOrigin: 'topLeft' });
    expect(tms.tileMatrices[0].scaleDenominator).to.be.closeTo(559082264.028717, 1e-3);
    const sets = JSON.parse((await get(`${base}/collections/tt_poly/tiles`)).body.toString());
    const item = sets.tilesets[0].links.find((l: { rel: string }) => l.rel === 'item');
    expect(item.href).to.equal(`${base}/collections/tt_poly/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`);
    const meta = JSON.parse((await get(`${base}/collections/tt_poly/tiles/WebMercatorQuad`)).body.toString());
    const limits14 = meta.tileMatrixSetLimits.find((l: { tileMatrix: string }) => l.tileMatrix === '14');
    expect(limits14.minTileCol).to.be.at.most(z14.x);
    expect(limits14.maxTileRow).to.be.at.least(z14.y);
    const ogc = await get(`${base}/collections/tt_poly/tiles/WebMercatorQuad/${z14.z}/${z14.y}/${z14.x}`);
    const xyz = await get(`${base}/tiles/tt_poly/${url(z14)}.mvt`);
    expect(ogc.status).to.equal(200);
    expect(ogc.headers.etag).to.equal(xyz.headers.etag);
    expect((await get(`${base}/collections/tt_secret/tiles`)).status).to.equal(404);
  });

  it('answers a CORS preflight with 204, the allowed methods and headers, and a day of caching', async () => {
    const r = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(
        `${server().url}/tiles/tt_poly/${url(z14)}.mvt`,
        {
          method: 'OPTIONS',
          headers: {
            Origin: 'https://maps.example',
            'Access-Control-Request-Method': 'GET',
            'Access-Control-Request-Headers': 'If-None-Match',
          },
        },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    r.resume();
    expect(r.statusCode).to.equal(204);
    expect(r.headers['access-control-allow-origin']).to.equal('*');
    expect(r.headers['access-control-allow-methods']).to.include('GET').and.include('POST');
    expect(r.headers['access-control-allow-headers']).to.include('Authorization').and.include('If-None-Match');
    expect(r.headers['access-control-max-age']).to.equal('86400');
    expect(r.headers['access-control-expose-headers']).to.include('ETag');
  });

  it('answers cached public tiles below Express with the same bytes and headers, and leaves the rest to the app', async () => {
    const s = server();
    const fast = createTileFastPath(s.ctx, s.app.services.tiles);
    let answered = 0;
    const front = http.createServer((req, res) => {
      if (fast(req, res)) answered++;
      else s.app.express(req, res);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    try {
      const path = `/tiles/tt_poly,tt_lines/${url(z14)}.mvt`;
      const viaApp = await get(`${base}${path}`, { 'Accept-Encoding': 'gzip' });
      expect(answered).to.equal(0); // first request: a miss, rendered by the app
      const viaFast = await get(`${base}${path}`, { 'Accept-Encoding': 'gzip' });
      expect(answered).to.equal(1);
      expect(viaFast.body.equals(viaApp.body)).to.equal(true);
      // Every header of the app's answer (helmet's, CORS, caching), each with the same value but the per-request ones.
      expect(Object.keys(viaFast.headers).sort()).to.deep.equal(Object.keys(viaApp.headers).sort());
      for (const h of Object.keys(viaApp.headers).filter((n) => n !== 'date' && n !== 'x-request-id')) {
        expect(viaFast.headers[h], h).to.equal(viaApp.headers[h]);
      }
      expect((await get(`${base}${path}`, { 'Accept-Encoding': 'gzip', 'If-None-Match': viaApp.headers.etag! })).status).to.equal(
        304,
      );
      expect(answered).to.equal(2);
      // Not for the fast path: restricted layers, tokens, query strings, no gzip, unknown layers.
      expect((await get(`${base}/tiles/tt_secret/${url(z14)}.mvt`, { 'Accept-Encoding': 'gzip' })).status).to.equal(404);
      expect((await get(`${base}${path}?properties=name`, { 'Accept-Encoding': 'gzip' })).status).to.equal(200);
      expect((await get(`${base}${path}`)).headers['content-encoding']).to.equal(undefined);
      expect((await get(`${base}/tiles/nope/${url(z14)}.mvt`, { 'Accept-Encoding': 'gzip' })).status).to.equal(404);
      expect(answered).to.equal(2);
    } finally {
      await new Promise((resolve) => front.close(resolve));
    }
  });

  it('renders cold public tiles below Express with the headers of the app, counts them, and hands a failed one to the app', async function () {
    this.timeout(30_000);
    const s = server();
    const fast = createTileFastPath(s.ctx, s.app.services.tiles, s.app.express);
    let answered = 0;
    const front = http.createServer((req, res) => {
      if (fast(req, res)) answered++;
      else s.app.express(req, res);
    });
    const appOnly = http.createServer(s.app.express);
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => appOnly.listen(0, '127.0.0.1', resolve));
    const base = (srv: http.Server) => `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const gzip = { 'Accept-Encoding': 'gzip' };
    const counted = async (status: string) =>
      (await s.ctx.metrics.http.requests.get()).values
        .filter((v) => v.labels.route === '/tiles/:layers/:z/:x/:file' && v.labels.status === status)
        .reduce((sum, v) => sum + v.value, 0);
    const before = s.ctx.config.tileTimeoutMs;
    try {
      const path = `/tiles/tt_poly,tt_lines/${url(z14)}.mvt`;
      s.app.services.tiles.cache.clear();
      const viaApp = await get(`${base(appOnly)}${path}`, gzip);
      s.app.services.tiles.cache.clear();
      const counted200 = await counted('200');
      const viaFast = await get(`${base(front)}${path}`, gzip);
      expect(answered, 'a cold tile, answered below express').to.equal(1);
      expect(viaFast.status).to.equal(200);
      expect(viaFast.body.equals(viaApp.body)).to.equal(true);
      const names = (r: Response) => Object.keys(r.headers).sort();
      expect(names(viaFast)).to.deep.equal(names(viaApp));
      for (const h of names(viaApp).filter((n) => n !== 'date' && n !== 'x-request-id')) {
        expect(viaFast.headers[h], h).to.equal(viaApp.headers[h]);
      }
      expect(viaFast.headers['content-security-policy']).to.include("default-src 'self'");
      expect(viaFast.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
      expect(await counted('200')).to.equal(counted200 + 1);
      // A tile that fails below express: the app answers its error (no second render), as it would have.
      s.ctx.config.tileTimeoutMs = 300;
      const slow = await get(`${base(front)}/tiles/tt_slow/${url(z14)}.mvt`, { ...gzip, 'X-Request-Id': 'slow-one' });
      expect(answered).to.equal(2);
      expect(slow.status).to.equal(503);
      expect(JSON.parse(slow.body.toString()).code).to.equal('TileTimeout');
      expect(slow.headers['retry-after']).to.equal('5');
      expect(slow.headers['x-request-id']).to.equal('slow-one');
      expect(slow.headers['content-security-policy']).to.include("default-src 'self'");
      // Cold low-zoom composites wait for a cost-limit slot: the app renders them.
      expect((await get(`${base(front)}/tiles/tt_poly,tt_lines/6/50/28.mvt`, gzip)).status).to.be.oneOf([200, 204]);
      expect(answered).to.equal(2);
    } finally {
      s.ctx.config.tileTimeoutMs = before;
      await new Promise((resolve) => front.close(resolve));
      await new Promise((resolve) => appOnly.close(resolve));
    }
    if (backend === 'embedded') await new Promise((r) => setTimeout(r, 1600)); // the embedded query runs to its end
  });

  it('drops only the cached tiles over an edited area: the edit shows at once, a tile elsewhere stays cached', async () => {
    const s = server();
    const here = tileAt(106.041, 21.141, 15);
    const elsewhere = tileAt(106.049, 21.149, 15);
    expect(url(here)).to.not.equal(url(elsewhere));
    const ids = async (t: typeof here) => {
      const r = await get(`${s.url}/tiles/tt_poly/${url(t)}.mvt`);
      if (r.status === 204) return [];
      const l = decode(tileBytes(r)).layers.tt_poly;
      return Array.from({ length: l.length }, (_, i) => l.feature(i).id);
    };
    expect(await ids(here)).to.not.include(1000);
    await ids(elsewhere);
    const service = s.app.services.tiles;
    const key = (t: typeof here) => service.key({ layers: [s.ctx.catalog.get('tt_poly', null)], coord: t });
    expect(service.cache.get(key(here))).to.not.equal(undefined);
    await s.ctx.db.rows(`INSERT INTO ${quoteIdent(polyTable)} (id, ${quoteIdent(awkward.name)}, geom)
      VALUES (1000, 'mới', ST_MakeEnvelope(106.0405, 21.1405, 106.0412, 21.1412, 4326))`);
    await until('the edited tile to leave the cache', () => service.cache.get(key(here)) === undefined);
    expect(await ids(here)).to.include(1000);
    const before = await hits(s);
    await ids(elsewhere);
    expect(await hits(s)).to.equal(before + 1);
    await s.ctx.db.rows(`UPDATE ${quoteIdent(polyTable)} SET geom = ST_Translate(geom, 0.008, 0.008) WHERE id = 1000`);
    await until('the update to invalidate the old place', () => service.cache.get(key(here)) === undefined);
    expect(await ids(here)).to.not.include(1000);
    expect(await ids(elsewhere)).to.include(1000);
    await s.ctx.db.rows(`DELETE FROM ${quoteIdent(polyTable)} WHERE id = 1000`);
    await until('the delete to invalidate', () => service.cache.get(key(elsewhere)) === undefined);
    expect(await ids(elsewhere)).to.not.include(1000);
  });

  it('answers a tile where a layer has no data without rendering it, and shows a feature written there at once', async () => {
    const s = server();
    const tiles = s.app.services.tiles;
    const layer = () => s.ctx.catalog.get('tt_poly', null);
    // A z15 tile two z14 cells east of the data: inside the layer's grid, holding no feature.
    const data = tileAt(106.045, 21.155, 14);
    const empty = { z: 15, x: (data.x + 2) * 2, y: data.y * 2 };
    // The grids are kept on server PostGIS by default (TILE_OCCUPANCY=server): on both backends here.
    const setting = s.ctx.config.tileOccupancy;
    (s.ctx.config as { tileOccupancy: string }).tileOccupancy = 'both';
    await tiles.loadIndex(layer());
    await until('the layer to have its occupancy grid', () => !tiles.occupancy.mayHaveData(layer(), empty), 30_000);
    expect(tiles.occupancy.mayHaveData(layer(), z14), 'a tile over the data').to.equal(true);
    const renders = countRenders(tiles);
    try {
      tiles.cache.clear();
      expect((await get(`${s.url}/tiles/tt_poly/${url(empty)}.mvt`)).status).to.equal(204);
      expect(renders.count(), 'renders of the empty tile').to.equal(0);
      // A feature written there: its cells are marked before the change is acted on (changesSeen), so the tile shows it.
      const lon = tileXToLon(empty.x + 0.5, 15);
      const lat = tileYToLat(empty.y + 0.5, 15);
      await s.ctx.db.rows(
        `INSERT INTO ${quoteIdent(polyTable)} (id, ${quoteIdent(awkward.name)}, geom)
        VALUES (2000, 'xa', ST_MakeEnvelope(?::float8, ?::float8, ?::float8, ?::float8, 4326))`,
        [lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001],
      );
      await tiles.changesSeen();
      expect(tiles.occupancy.mayHaveData(layer(), empty)).to.equal(true);
      const r = await get(`${s.url}/tiles/tt_poly/${url(empty)}.mvt`);
      expect(r.status).to.equal(200);
      const l = decode(tileBytes(r)).layers.tt_poly;
      expect(Array.from({ length: l.length }, (_, i) => l.feature(i).id)).to.include(2000);
      expect(renders.count()).to.equal(1);
    } finally {
      renders.restore();
      (s.ctx.config as { tileOccupancy: string }).tileOccupancy = setting;
      await s.ctx.db.rows(`DELETE FROM ${quoteIdent(polyTable)} WHERE id = 2000`);
      await tiles.changesSeen();
    }
  });

  it('does not hand a request a render that started before a change to its layer', async () => {
    const tiles = server().app.services.tiles;
    const req = { layers: [server().ctx.catalog.get('tt_poly', null)], coord: z14 };
    const key = tiles.key(req);
    tiles.cache.clear();
    const renders = countRenders(tiles);
    try {
      const signal = new AbortController().signal;
      const first = tiles.load(key, req, signal);
      const joined = tiles.load(key, req, signal); // the same render: nothing changed meanwhile
      await tiles.invalidate(['tt_poly'], null); // a change arrives while it runs
      const after = tiles.load(key, req, signal);
      await Promise.all([first, joined, after]);
      expect(renders.count(), 'renders: one before the change, one after').to.equal(2);
    } finally {
      renders.restore();
    }
  });

  it('drops every cached tile of a layer when its data version changes', async () => {
    const s = server();
    const service = s.app.services.tiles;
    await get(`${s.url}/tiles/tt_lines/${url(z14)}.mvt`);
    const oldKey = service.key({ layers: [s.ctx.catalog.get('tt_lines', null)], coord: z14 });
    expect(service.cache.get(oldKey)).to.not.equal(undefined);
    await s.ctx.db.rows(`UPDATE layer_catalog SET data_version = data_version + 1 WHERE id = 'tt_lines'`);
    await s.ctx.catalog.load();
    expect(service.cache.get(oldKey)).to.equal(undefined);
  });

  it('keeps each cached tile in memory of its own size, so TILE_CACHE_MB bounds what the cache holds', async () => {
    const s = server();
    const service = s.app.services.tiles;
    const layers = ['tt_poly', 'tt_points'].map((id) => s.ctx.catalog.get(id, null));
    const coord = tileAt(106.045, 21.145, 15);
    expect((await get(`${s.url}/tiles/tt_poly,tt_points/${url(coord)}.mvt`)).status).to.equal(200);
    const { gz } = service.cache.get(service.key({ layers, coord }))!;
    // zlib hands back a small output as a view of a 16 KB block; small buffers of their own share Node's 8 KB pool.
    expect(gz.length)
      .to.be.above(0)
      .and.below(16 * 1024);
    expect(gz.buffer.byteLength).to.be.at.most(Math.max(gz.length, Buffer.poolSize));
  });

  it('answers 503 naming the layer and tile when a tile passes TILE_TIMEOUT_MS, and stays healthy', async function () {
    this.timeout(30_000);
    const s = server();
    const before = s.ctx.config.tileTimeoutMs;
    s.ctx.config.tileTimeoutMs = 300;
    try {
      const r = await get(`${s.url}/tiles/tt_slow/${url(z14)}.mvt`);
      expect(r.status).to.equal(503);
      const body = JSON.parse(r.body.toString());
      expect(body.code).to.equal('TileTimeout');
      expect(body.description).to.contain('tt_slow').and.contain(url(z14));
      expect(r.headers['retry-after']).to.equal('5');
    } finally {
      s.ctx.config.tileTimeoutMs = before;
    }
    if (backend === 'embedded') await new Promise((r) => setTimeout(r, 1600)); // the embedded query runs to its end
    expect((await get(`${s.url}/health`)).status).to.equal(200);
    expect((await get(`${s.url}/tiles/tt_poly/${url(tileAt(106.045, 21.145, 13))}.mvt`)).status).to.equal(200);
  });

  it('thins a tile over TILE_BUDGET_KB to its largest features below maxzoom, and leaves maxzoom tiles whole', async () => {
    const s = server();
    const before = s.ctx.config.tileBudgetKb;
    const ids = async (t: { z: number; x: number; y: number }, props: string) => {
      const r = await get(`${s.url}/tiles/tt_poly/${url(t)}.mvt?properties=${encodeURIComponent(props)}`);
      const l = decode(tileBytes(r)).layers.tt_poly;
      return Array.from({ length: l.length }, (_, i) => l.feature(i).id!);
    };
    const t12 = tileAt(106.045, 21.155, 12);
    const whole = await ids(t12, awkward.name);
    s.ctx.config.tileBudgetKb = 1;
    try {
      const thinned = await ids(t12, `${awkward.name},${awkward.dotted}`);
      expect(thinned.length).to.be.above(0).and.below(whole.length);
      expect(thinned).to.include(26); // the largest square is kept first
      const t16 = tileAt(106.0401, 21.1401, 16);
      expect((await ids(t16, awkward.dotted)).length).to.equal((await ids(t16, awkward.name)).length);
    } finally {
      s.ctx.config.tileBudgetKb = before;
    }
  });

  it('answers 500 naming the layer, tile and setting when a tile has more features than TILE_MAX_FEATURES', async () => {
    const s = server();
    const before = s.ctx.config.tileMaxFeatures;
    s.ctx.config.tileMaxFeatures = 5;
    try {
      const t = tileAt(106.045, 21.145, 16);
      const r = await get(`${s.url}/tiles/tt_points/${url({ ...t, z: 13, x: t.x >> 3, y: t.y >> 3 })}.mvt?properties=kind`);
      expect(r.status).to.equal(500);
      expect(JSON.parse(r.body.toString()).description).to.contain('tt_points').and.contain('TILE_MAX_FEATURES');
    } finally {
      s.ctx.config.tileMaxFeatures = before;
    }
  });

  it('gives the same features from the memory index as from SQL', async () => {
    const s = server();
    const renderer = s.app.services.tiles.renderer;
    const indexes = new MemoryIndexes(s.ctx.db, s.ctx.log, { maxFeatures: () => 1000, rebuildDelayMs: 0 });
    const layers = ['tt_poly', 'tt_lines', 'tt_points'].map((id) => s.ctx.catalog.get(id, null));
    for (const l of layers) await indexes.load(l);
    expect(
      layers.every((l) => indexes.get(l)),
      'every layer indexed',
    ).to.equal(true);
    const limits = { maxFeatures: s.ctx.config.tileMaxFeatures, budgetBytes: s.ctx.config.tileBudgetKb * 1024 };
    for (const z of [9, 11, 13, 14, 15, 16]) {
      const coord = tileAt(106.045, 21.15, z);
      const a = decode(await renderer.tile({ layers, coord }));
      const b = decode(await renderTile({ layers, coord }, renderer, indexes, limits));
      expect(Object.keys(b.layers).sort(), `z${z} layers`).to.deep.equal(Object.keys(a.layers).sort());
      for (const name of Object.keys(a.layers)) {
        // Clusters: the SQL grid (sql.ts) gives one cluster per tile where the index gives one per 16th; compare counts.
        if (name === 'tt_points' && z < 13)
          expect(counts(b.layers[name]), `${name} z${z} counts`).to.equal(counts(a.layers[name]));
        else compareLayers(a.layers[name], b.layers[name], `${name} z${z} (memory index)`);
      }
    }
  });

  if (backend === 'server') {
    it('cancels the database query when the client disconnects', async function () {
      this.timeout(20_000);
      const s = server();
      const t = tileAt(106.045, 21.145, 12);
      const req = http.get(`${s.url}/tiles/tt_slow/${url(t)}.mvt`);
      req.on('error', () => undefined);
      const running = () => slowQueries(s);
      await until('the tile query to start', async () => (await running()) > 0);
      req.destroy();
      await until('the tile query to be cancelled', async () => (await running()) === 0, 1200);
    });

    it('runs at most TILE_DB_CONCURRENCY tile statements at once: a waiting tile keeps its deadline, and leaves the queue when its client goes', async function () {
      this.timeout(30_000);
      const s = server();
      const { renderer } = s.app.services.tiles;
      const config = s.ctx.config as { tileDbConcurrency: number; tileTimeoutMs: number };
      const saved = { ...config };
      // Three different tiles of the layer whose query busy-waits 1.5 s: one holds the only slot meanwhile.
      const slow = (lon: number) => `${s.url}/tiles/tt_slow/${url(tileAt(lon, 21.145, 15))}.mvt`;
      config.tileDbConcurrency = 1;
      try {
        const first = get(slow(106.045));
        await until('the first tile statement to run', async () => (await slowQueries(s)) === 1);
        const gone = http.get(slow(106.065));
        gone.on('error', () => undefined);
        await until('the second tile to wait for the slot', () => renderer.waiting === 1);
        gone.destroy();
        await until('the second tile to leave the queue', () => renderer.waiting === 0, 1000);
        config.tileTimeoutMs = 300;
        const late = await get(slow(106.085));
        expect(late.status).to.equal(503);
        expect(JSON.parse(late.body.toString())).to.include({ code: 'TileTimeout' });
        expect(renderer.waiting).to.equal(0);
        expect(await slowQueries(s), 'tile statements in the database').to.be.at.most(1);
        config.tileTimeoutMs = saved.tileTimeoutMs;
        expect((await first).status).to.equal(200);
        // Neither tile that waited reached the database once the slot was free (either would run for 1.5 s).
        await new Promise((r) => setTimeout(r, 200));
        expect(await slowQueries(s)).to.equal(0);
      } finally {
        Object.assign(config, { tileDbConcurrency: saved.tileDbConcurrency, tileTimeoutMs: saved.tileTimeoutMs });
      }
    });

    it('runs a tile statement as a named prepared statement once its text comes back', async () => {
      const s = server();
      const renderer = s.app.services.tiles.renderer;
      const layer = s.ctx.catalog.get('tt_poly', null);
      // A property selection no other test asks for: a text of its own, so it is prepared here.
      const properties = new Map([[layer.id, layer.columns.filter((c) => c.name === awkward.spaced)]]);
      const before = s.ctx.db.statements!.preparedCount;
      for (let i = 0; i < 4; i++)
        await renderer.tile({ layers: [layer], coord: tileAt(106.045 + i * 0.01, 21.15, 15), properties });
      expect(s.ctx.db.statements!.preparedCount).to.equal(before + 1);
      const tile = decode(await renderer.tile({ layers: [layer], coord: tileAt(106.045, 21.145, 16), properties }));
      expect(tile.layers.tt_poly.length).to.be.above(0);
      for (let i = 0; i < tile.layers.tt_poly.length; i++) {
        expect([awkward.spaced]).to.include.members(Object.keys(tile.layers.tt_poly.feature(i).properties));
      }
    });

    it('gives the same features from ST_AsMVT and from the Node encoder', async () => {
      const s = server();
      const renderer = s.app.services.tiles.renderer;
      const layers = ['tt_poly', 'tt_lines', 'tt_points'].map((id) => s.ctx.catalog.get(id, null));
      for (const z of [9, 11, 13, 14, 15, 16]) {
        const coord = tileAt(106.045, 21.15, z);
        const a = decode(await renderer.tile({ layers, coord }, undefined, 'mvt'));
        const b = decode(await renderer.tile({ layers, coord }, undefined, 'node'));
        expect(Object.keys(b.layers).sort(), `z${z} layers`).to.deep.equal(Object.keys(a.layers).sort());
        for (const name of Object.keys(a.layers)) compareLayers(a.layers[name], b.layers[name], `${name} z${z}`);
      }
    });
  }
});

type DecodedLayer = VectorTile['layers'][string];

/** The points a cluster layer stands for. */
function counts(l: DecodedLayer): number {
  return Array.from({ length: l.length }, (_, i) => Number(l.feature(i).properties.count)).reduce((s, n) => s + n, 0);
}

/** Same ids, types, properties; bounding boxes within 2 tile units; same ring winding. */
export function compareLayers(a: DecodedLayer, b: DecodedLayer, what: string): void {
  const features = (l: DecodedLayer) => new Map(Array.from({ length: l.length }, (_, i) => l.feature(i)).map((f) => [f.id, f]));
  const fa = features(a);
  const fb = features(b);
  expect([...fb.keys()].sort(), `${what}: feature ids`).to.deep.equal([...fa.keys()].sort());
  for (const [id, f] of fa) {
    const g = fb.get(id)!;
    expect(g.type, `${what} #${id} type`).to.equal(f.type);
    expect(g.properties, `${what} #${id} properties`).to.deep.equal(f.properties);
    const ba = f.bbox();
    const bb = g.bbox();
    for (let i = 0; i < 4; i++) expect(Math.abs(ba[i] - bb[i]), `${what} #${id} bbox[${i}]`).to.be.at.most(2);
    if (f.type === 3) {
      const sign = (ring: { x: number; y: number }[]) =>
        Math.sign(ring.reduce((s, p, i) => s + p.x * ring[(i + 1) % ring.length].y - ring[(i + 1) % ring.length].x * p.y, 0));
      expect(sign(g.loadGeometry()[0]), `${what} #${id} winding`).to.equal(sign(f.loadGeometry()[0]));
    }
  }
}
