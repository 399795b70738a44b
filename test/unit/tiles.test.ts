/** Tile maths, request parsing, the cache index and TileJSON: pure functions, table-driven. */
import { expect } from 'chai';
import {
  isValidTile,
  latToTileY,
  lonToTileX,
  tileBounds3857,
  tileBounds4326,
  tileRange,
  tileUnitDegrees,
  originShift,
} from '../../server/tiles/grid.ts';
import {
  parseLayerList,
  parsePropertyList,
  parseTileCoord,
  parseTileFile,
  parseXyzTile,
  parseXyzTileUrl,
} from '../../server/http/params/tiles.ts';
import { statusOfError } from '../../server/http/errors.ts';
import { acceptsGzip, matchesEtag } from '../../server/http/params/headers.ts';
import { cacheControlFor } from '../../server/http/tiles.ts';
import { TileIndex } from '../../server/tiles/tile-index.ts';
import { TileCache } from '../../server/tiles/cache.ts';
import { buildTileJson, fieldType } from '../../server/tiles/tilejson.ts';
import { webMercatorQuad } from '../../server/tiles/tms.ts';
import { parseTableChange } from '../../server/tiles/changes.ts';
import { rowsToFeatures, toVtGeometry } from '../../server/tiles/encoder.ts';
import { isRankable, tileBindings, tileQuery } from '../../server/tiles/sql.ts';
import { TileRenderer, type TileDatabase } from '../../server/tiles/render.ts';
import { InvalidParameterError, TileFeatureLimitError, TileTimeoutError, UnknownLayerError } from '../../server/errors.ts';
import type { Layer } from '../../server/catalog/catalog.ts';

function layer(over: Partial<Layer> = {}): Layer {
  const columns = over.columns ?? [
    { name: 'name', type: 'string' as const, label: { en: 'Name', vi: 'Tên' } },
    { name: 'height_m', type: 'number' as const, label: { en: 'Height', vi: 'Cao' } },
    { name: 'lit', type: 'boolean' as const, label: { en: 'Lit', vi: 'Sáng' } },
  ];
  return {
    id: 'roads',
    title: 'Roads',
    titleVi: 'Đường',
    description: 'Road network',
    keywords: [],
    group: 'basemap',
    tableSql: '"roads"',
    table: 'roads',
    geometryType: 'LineString',
    sourceCrs: null,
    columns,
    minzoom: 6,
    maxzoom: 22,
    style: { type: 'single' },
    tileOptions: {},
    attribution: '© OSM',
    licence: '',
    access: 'public',
    origin: 'builtin',
    owner: null,
    sortOrder: 1,
    dataVersion: 3,
    updatedAt: new Date(0),
    bounds: [105.9, 21.0, 106.9, 21.6],
    column: (n: string) => columns.find((c) => c.name === n),
    ...over,
  } as Layer;
}

describe('tile maths', () => {
  it('gives the whole Web Mercator square for tile 0/0/0', () => {
    expect(tileBounds3857({ z: 0, x: 0, y: 0 })).to.deep.equal([-originShift, -originShift, originShift, originShift]);
    const [w, s, e, n] = tileBounds4326({ z: 0, x: 0, y: 0 });
    expect([w, e]).to.deep.equal([-180, 180]);
    expect(n).to.be.closeTo(85.0511287798, 1e-9);
    expect(s).to.be.closeTo(-85.0511287798, 1e-9);
  });

  const cases: Array<[number, number, number, number, number]> = [
    // lon, lat, z, x, y (Bắc Ninh city centre, and the corners of the world)
    [106.07, 21.18, 10, 813, 450],
    [106.07, 21.18, 14, 13019, 7205],
    [-180, 85, 3, 0, 0],
    [179.99, -85, 3, 7, 7],
  ];
  for (const [lon, lat, z, x, y] of cases) {
    it(`puts ${lon},${lat} in tile ${z}/${x}/${y} and the tile bounds contain it`, () => {
      expect(Math.floor(lonToTileX(lon, z))).to.equal(x);
      expect(Math.floor(latToTileY(lat, z))).to.equal(y);
      const [w, s, e, n] = tileBounds4326({ z, x, y });
      expect(lon).to.be.within(w, e);
      expect(lat).to.be.within(s, n);
    });
  }

  it('knows the grid bounds at each zoom', () => {
    expect(isValidTile(0, 0, 0)).to.equal(true);
    expect(isValidTile(1, 2, 0)).to.equal(false);
    expect(isValidTile(24, 2 ** 24 - 1, 2 ** 24 - 1)).to.equal(true);
    expect(isValidTile(25, 0, 0)).to.equal(false);
    expect(isValidTile(3, 1.5, 0)).to.equal(false);
  });

  it('finds the tiles a bbox touches, including the 64-unit buffer of neighbours', () => {
    const t = { z: 14, x: 13019, y: 7205 };
    const [w, s, e, n] = tileBounds4326(t);
    const inside = tileRange([w + (e - w) * 0.4, s + (n - s) * 0.4, w + (e - w) * 0.6, s + (n - s) * 0.6], 14);
    expect(inside).to.deep.equal({ z: 14, minX: t.x, maxX: t.x, minY: t.y, maxY: t.y });
    // A point just inside the western edge also lies in the buffer of the western neighbour.
    const edge = tileRange([w + (e - w) * 0.005, (s + n) / 2, w + (e - w) * 0.005, (s + n) / 2], 14);
    expect(edge.minX).to.equal(t.x - 1);
    expect(edge.maxX).to.equal(t.x);
    expect(tileRange([-180, -85, 180, 85], 2)).to.deep.equal({ z: 2, minX: 0, maxX: 3, minY: 0, maxY: 3 });
  });

  it('gives the size of a tile unit in degrees, latitude shrunk by cos(lat)', () => {
    const u = tileUnitDegrees({ z: 14, x: 13019, y: 7205 });
    expect(u.lon).to.be.closeTo(360 / 2 ** 14 / 4096, 1e-15);
    expect(u.lat / u.lon).to.be.closeTo(Math.cos((21.18 * Math.PI) / 180), 1e-3);
  });
});

describe('tile request parsing', () => {
  it('parses z/x/y and names the bad part', () => {
    expect(parseTileCoord('14', '13019', '7205')).to.deep.equal({ z: 14, x: 13019, y: 7205 });
    const bad: Array<[string, string, string, RegExp]> = [
      ['25', '0', '0', /z=25 is outside 0\.\.24/],
      ['2', '4', '0', /x=4 is outside 0\.\.3 at z=2/],
      ['2', '0', '4', /y=4 is outside/],
      ['-1', '0', '0', /z="-1"/],
      ['1e1', '0', '0', /z="1e1"/],
      ['1', ' 0', '0', /x=" 0"/],
      ['1', '0', '99999999999', /y="99999999999"/],
    ];
    for (const [z, x, y, msg] of bad) expect(() => parseTileCoord(z, x, y)).to.throw(InvalidParameterError, msg);
  });

  it('accepts .mvt and .pbf only', () => {
    expect(parseTileFile('7.mvt')).to.equal('7');
    expect(parseTileFile('7.pbf')).to.equal('7');
    expect(() => parseTileFile('7.png')).to.throw(InvalidParameterError, /\.mvt or \.pbf/);
    expect(() => parseTileFile('7')).to.throw(InvalidParameterError);
  });

  it('splits layer lists and refuses empty entries, repeats and too many layers', () => {
    expect(parseLayerList('roads')).to.deep.equal(['roads']);
    expect(parseLayerList('roads,places')).to.deep.equal(['roads', 'places']);
    expect(() => parseLayerList('roads,')).to.throw(/empty entry/);
    expect(() => parseLayerList('a,a')).to.throw(/"a" twice/);
    expect(() => parseLayerList(Array.from({ length: 40 }, (_, i) => `l${i}`).join(','))).to.throw(/at most 32/);
  });

  it('reads ?properties as absent, empty or a list', () => {
    expect(parsePropertyList(undefined)).to.equal(undefined);
    expect(parsePropertyList('')).to.deep.equal([]);
    expect(parsePropertyList('a, b,a')).to.deep.equal(['a', 'b']);
    expect(() => parsePropertyList(['a', 'b'])).to.throw(InvalidParameterError);
  });

  it('matches If-None-Match lists, weak tags and *', () => {
    expect(matchesEtag('"x"', '"x"')).to.equal(true);
    expect(matchesEtag('"y", W/"x"', '"x"')).to.equal(true);
    expect(matchesEtag('*', '"x"')).to.equal(true);
    expect(matchesEtag('"y"', '"x"')).to.equal(false);
    expect(matchesEtag(undefined, '"x"')).to.equal(false);
  });

  it('reads Accept-Encoding for gzip, honouring q=0', () => {
    expect(acceptsGzip('gzip, deflate, br')).to.equal(true);
    expect(acceptsGzip('br;q=1.0, gzip;q=0.8')).to.equal(true);
    expect(acceptsGzip('gzip;q=0')).to.equal(false);
    expect(acceptsGzip('deflate')).to.equal(false);
    expect(acceptsGzip('*')).to.equal(true);
    expect(acceptsGzip(undefined)).to.equal(false);
  });

  it("reads an XYZ tile URL for the fast path with the router's parser, and leaves anything else to the router", () => {
    const address = { layerIds: ['roads', 'places'], coord: { z: 14, x: 13019, y: 7205 } };
    expect(parseXyzTileUrl('/tiles/roads,places/14/13019/7205.mvt')).to.deep.equal(address);
    expect(parseXyzTile('roads,places', '14', '13019', '7205.mvt')).to.deep.equal(address);
    expect(parseXyzTileUrl('/tiles/roads/0/0/0.pbf')).to.deep.equal({ layerIds: ['roads'], coord: { z: 0, x: 0, y: 0 } });
    for (const url of [
      '/tiles/roads/14/13019/7205.mvt?properties=name', // a query string: the router selects properties
      '/tiles/r%C3%B4ads/14/13019/7205.mvt', // a percent-escape: the router decodes (or refuses) it
      '/tiles/roads/25/0/0.mvt', // invalid tiles: the router answers the 400
      '/tiles/roads/1/2/0.mvt',
      '/tiles/roads,roads/1/0/0.mvt',
      '/tiles/roads/1/0/0.png',
      '/tiles/roads/1/0/0/0.mvt',
      '/tiles/roads.json',
      '/collections/roads/tiles/WebMercatorQuad/1/0/0',
    ]) {
      expect(parseXyzTileUrl(url), url).to.equal(null);
    }
  });

  it('maps the tile and catalog errors to their statuses in the one table of the edge', () => {
    expect(statusOfError(new TileTimeoutError('layer roads tile 1/0/0', 100))).to.deep.equal({
      status: 503,
      code: 'TileTimeout',
    });
    expect(new TileTimeoutError('layer roads tile 1/0/0', 100).retryAfterSeconds).to.equal(5);
    expect(statusOfError(new TileFeatureLimitError('too many'))).to.deep.equal({ status: 500, code: 'TileFeatureLimit' });
    expect(statusOfError(new UnknownLayerError('nope'))).to.deep.equal({ status: 404, code: 'NotFound' });
    expect(new UnknownLayerError('nope', 'layers').message).to.equal('parameter "layers": layer "nope" does not exist');
    expect(statusOfError(new Error('unforeseen'))).to.equal(null);
  });

  it('makes restricted tiles private in Cache-Control', () => {
    expect(cacheControlFor([{ access: 'public', tileOptions: {} }], 'public, max-age=60')).to.equal('public, max-age=60');
    expect(
      cacheControlFor([{ access: 'public', tileOptions: { cacheControl: 'public, max-age=5' } }], 'public, max-age=60'),
    ).to.equal('public, max-age=5');
    expect(cacheControlFor([{ access: 'restricted', tileOptions: {} }], 'public, max-age=60, s-maxage=600')).to.equal(
      'private, max-age=60',
    );
  });
});

describe('tile cache index', () => {
  it('finds cached tiles by layer and area at every zoom', () => {
    const index = new TileIndex();
    index.add({ key: 'a', layers: ['roads'], z: 14, x: 13019, y: 7205 });
    index.add({ key: 'b', layers: ['roads', 'places'], z: 14, x: 13030, y: 7205 });
    index.add({ key: 'c', layers: ['roads'], z: 8, x: 203, y: 112 });
    const [w, s, e, n] = tileBounds4326({ z: 14, x: 13019, y: 7205 });
    const mid: [number, number, number, number] = [(w + e) / 2, (s + n) / 2, (w + e) / 2, (s + n) / 2];
    expect(index.keysInArea(['roads'], mid).sort()).to.deep.equal(['a', 'c']);
    expect(index.keysInArea(['places'], mid)).to.deep.equal([]);
    expect(index.keysOfLayers(['places'])).to.deep.equal(['b']);
    index.remove({ key: 'a', layers: ['roads'], z: 14, x: 13019, y: 7205 });
    expect(index.keysInArea(['roads'], mid)).to.deep.equal(['c']);
  });

  it('stays within its byte budget and forgets evicted tiles in the index', () => {
    const cache = new TileCache(10_000);
    for (let i = 0; i < 20; i++)
      cache.set({ key: `k${i}`, layers: ['roads'], z: 14, x: i, y: 0, gz: Buffer.alloc(1000), etag: '"e"' });
    expect(cache.stats().bytes).to.be.at.most(10_000);
    expect(cache.get('k0')).to.equal(undefined);
    expect(cache.get('k19')).to.not.equal(undefined);
    const held = cache.stats().entries;
    expect(cache.invalidate(['roads'], null)).to.equal(held);
    expect(cache.stats().entries).to.equal(0);
  });

  it('reads change notifications and ignores foreign ones', () => {
    expect(parseTableChange('{"table":"roads","bbox":[1,2,3,4]}')).to.deep.equal({ table: 'roads', bbox: [1, 2, 3, 4] });
    expect(parseTableChange('{"table":"roads","bbox":null}')).to.deep.equal({ table: 'roads', bbox: null });
    expect(parseTableChange('INSERT')).to.equal(null);
  });
});

describe('Node encoder input', () => {
  it('turns GeoJSON in tile coordinates into vt-pbf features, dropping what clipping emptied', () => {
    expect(toVtGeometry({ type: 'Point', coordinates: [1, 2] })).to.deep.equal({ type: 1, geometry: [[1, 2]] });
    expect(toVtGeometry({ type: 'MultiPoint', coordinates: [] })).to.equal(null);
    expect(toVtGeometry({ type: 'LineString', coordinates: [[0, 0]] })).to.equal(null);
    const mp = toVtGeometry({
      type: 'MultiPolygon',
      coordinates: [
        [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 0],
          ],
        ],
        [
          [
            [5, 5],
            [6, 5],
            [6, 6],
            [5, 5],
          ],
        ],
      ],
    });
    expect(mp?.type).to.equal(3);
    expect(mp?.geometry).to.have.length(2);
    const rows = rowsToFeatures([
      { __fid: '7', __geom: '{"type":"Point","coordinates":[3,4]}', name: 'Ô', n: 5n, gone: null },
      { __fid: 8, __geom: null, name: 'x' },
    ]);
    expect(rows).to.deep.equal([{ id: 7, type: 1, geometry: [[3, 4]], tags: { name: 'Ô', n: 5 } }]);
  });
});

describe('tile SQL', () => {
  it('quotes every identifier and binds z/x/y and tolerances', () => {
    const awkward = layer({
      tableSql: '"a ""b"" Ô"',
      columns: [{ name: 'x"; DROP', type: 'string', label: { en: 'x', vi: 'x' } }],
    });
    const shape = { encoder: 'mvt' as const, cluster: false, properties: awkward.columns };
    const sql = tileQuery(awkward, shape);
    expect(sql).to.contain('"a ""b"" Ô" t').and.contain('t."x""; DROP"::text AS "x""; DROP"');
    expect(sql).to.not.match(/\b13019\b/);
    const b = tileBindings(awkward, shape, { z: 14, x: 13019, y: 7205 }, 50_001);
    expect(b.slice(0, 3)).to.deep.equal([14, 13019, 7205]);
    expect(b.at(-2)).to.equal(50_001);
    expect(b.at(-1)).to.equal('roads');
    expect(sql.split('?').length - 1).to.equal(b.length);
  });

  it('leaves simplification and the area filter out of the SQL at and above maxzoom, with their bindings', () => {
    const l = layer({ geometryType: 'Polygon', maxzoom: 16 });
    const detailed = { encoder: 'mvt' as const, cluster: false, detailed: true, properties: [] };
    const sql = tileQuery(l, detailed);
    expect(sql).to.not.contain('ST_Simplify').and.not.contain('ST_Area');
    const b = tileBindings(l, detailed, { z: 16, x: 52078, y: 28820 }, 10);
    expect(sql.split('?').length - 1).to.equal(b.length);
    expect(tileQuery(l, { ...detailed, detailed: false }))
      .to.contain('ST_Simplify')
      .and.contain('ST_Area');
  });

  it("reads a table's Web Mercator copy of its geometry without transforming features, with tolerances in metres", () => {
    const l = layer({ geometryType: 'Polygon', maxzoom: 16, tileGeometry: true });
    const shape = { encoder: 'mvt' as const, cluster: false, properties: [] };
    const sql = tileQuery(l, shape);
    expect(sql).to.contain('t."geom_3857" && b.query').and.contain('ST_Simplify(t."geom_3857", ?::float8)');
    expect(sql).to.not.contain('ST_Transform');
    const coord = { z: 12, x: 3254, y: 1801 };
    const [tolerance, area] = tileBindings(l, shape, coord, 10).slice(7, 9) as number[];
    const unit = (2 * 20037508.342789244) / 4096 / 4096; // metres per tile unit at z12
    expect(tolerance).to.be.closeTo(4 * unit, 1e-9);
    expect(area).to.be.closeTo(0.25 * 256 * unit * unit, 1e-6);
    // In degrees without the copy; a table read in place never reads it.
    expect(tileQuery({ ...l, tileGeometry: false }, shape)).to.contain('ST_Transform(s.__g, 3857)');
    expect(tileQuery({ ...l, tileGeometry: false }, { ...shape, encoder: 'node' })).to.contain('ST_Transform(s.__g, 3857)');
    expect(tileQuery(l, { ...shape, encoder: 'node' })).to.not.contain('ST_Transform');
  });

  it('simplifies below maxzoom only: the renderer makes the shape of a zoom at or above it detailed', () => {
    const l = layer({ maxzoom: 16 });
    // Shapes and SQL text need no query: the renderer is given the capabilities alone.
    const renderer = new TileRenderer({ capabilities: { mvt: false } } as TileDatabase, () => 10);
    const below = renderer.shape(l, 12, undefined);
    expect(below.detailed).to.equal(false);
    expect(tileBindings(l, below, { z: 12, x: 3254, y: 1801 }, 10)[7]).to.be.above(0);
    const at = renderer.shape(l, 16, undefined);
    expect(at.detailed).to.equal(true);
    const { sql, bindings } = renderer.query(l, { z: 16, x: 52078, y: 28820 });
    expect(sql).to.not.contain('ST_Simplify');
    expect(sql.split('?').length - 1).to.equal(bindings.length);
  });
});

describe('tile SQL: simplification finer than the tile grid', () => {
  // Shapes and SQL text need no query: the renderer is given the capabilities alone.
  const renderer = new TileRenderer({ capabilities: { mvt: true } } as TileDatabase, () => 10);
  const parcels = layer({ id: 'landuse', geometryType: 'Polygon', maxzoom: 17, tileOptions: { simplifyPx: 0.5, minAreaPx: 2 } });
  const coord = { z: 14, x: 13019, y: 7205 };

  it('leaves ST_Simplify out below maxzoom when the tolerance is under one tile unit, and keeps the area filter', () => {
    const { sql, bindings } = renderer.query(parcels, coord);
    expect(sql).to.not.contain('ST_Simplify');
    expect(sql).to.contain('ST_Area(t."geom") >= ?::float8');
    expect(sql.split('?').length - 1).to.equal(bindings.length);
    // z, x, y, margin, z, x, y, then the area (no tolerance), the limit and the layer name
    expect(bindings).to.have.length(10);
    expect(bindings[7]).to.be.above(0);
    const node = renderer.query(parcels, coord, undefined, 'node');
    expect(node.sql).to.not.contain('ST_Simplify');
    expect(node.sql.split('?').length - 1).to.equal(node.bindings.length);
  });

  it('still simplifies a thinned tile (its tolerance grows with each step) and a layer whose tolerance is a unit or more', () => {
    const thinned = renderer.query(parcels, coord, undefined, 'mvt', { coarsen: 2, keep: 100 });
    expect(thinned.sql).to.contain('ST_Simplify').and.contain('ORDER BY ST_Area');
    expect(thinned.sql.split('?').length - 1).to.equal(thinned.bindings.length);
    expect(thinned.bindings[7]).to.be.above(0);
    const roads = layer({ maxzoom: 16, tileOptions: { simplifyPx: 1 } });
    expect(renderer.query(roads, coord).sql).to.contain('ST_Simplify');
    // The default tolerance (4 units) simplifies too.
    expect(renderer.query(layer({ maxzoom: 16 }), coord).sql).to.contain('ST_Simplify');
  });

  it('keeps the statements of both kinds apart in its SQL cache', () => {
    const plain = renderer.statement({ layers: [parcels], coord });
    const thinned = renderer.statement({ layers: [parcels], coord }, { coarsen: 1, keep: 10 });
    expect(plain.sql).to.not.contain('ST_Simplify');
    expect(thinned.sql).to.contain('ST_Simplify');
  });
});

describe('tile SQL cost', () => {
  const poly = layer({ id: 'landuse', geometryType: 'Polygon', maxzoom: 17 });

  it('sorts features by size only in a ranked query, never in the first render of a tile', () => {
    const first = tileQuery(poly, { encoder: 'mvt', cluster: false, properties: [] });
    const ranked = tileQuery(poly, { encoder: 'mvt', cluster: false, ranked: true, properties: [] });
    expect(first).to.not.contain('ORDER BY');
    expect(ranked).to.contain('ORDER BY ST_Area(t."geom") DESC, t."id"');
    expect(tileQuery(layer(), { encoder: 'node', cluster: false, ranked: true, properties: [] })).to.contain(
      'ORDER BY ST_Length(',
    );
  });

  it('fences the ST_AsMVTGeom subquery with OFFSET 0 and reads src once, counting candidates in the same pass', () => {
    const sql = tileQuery(poly, { encoder: 'mvt', cluster: false, properties: poly.columns });
    expect(sql).to.match(/FROM src s, bounds b\s+OFFSET 0\) m$/);
    expect(sql).to.contain("'__fid') FILTER (WHERE m.__geom IS NOT NULL) AS tile, count(*)::int AS n");
    expect(sql.match(/ST_AsMVTGeom/g)).to.have.length(1);
    // src is read once (a CTE read twice is materialised, every geometry copied).
    expect(sql.match(/\bsrc\b/g)).to.have.length(2);
  });

  it('casts every placeholder, so the text can be prepared with plain-value parameters', () => {
    for (const shape of [{ cluster: false }, { cluster: true }, { cluster: false, ranked: true }]) {
      const sql = tileQuery(poly, { encoder: 'mvt', properties: poly.columns, ...shape });
      expect(sql.match(/\?(?!::(int|float8|text)\b)/g), JSON.stringify(shape)).to.equal(null);
    }
  });

  it('lets only lines and polygons below their maxzoom keep their largest features', () => {
    expect(isRankable(poly, 16)).to.equal(true);
    expect(isRankable(poly, 17)).to.equal(false);
    expect(isRankable(layer({ geometryType: 'Point', maxzoom: 17 }), 12)).to.equal(false);
  });

  it('keeps as many features as the byte budget holds at 64 bytes each, where that is below the feature cap', () => {
    // keepLimit reads settings only; no query runs, so the renderer is given the capabilities alone.
    const db = { capabilities: { mvt: true } } as TileDatabase;
    expect(
      new TileRenderer(
        db,
        () => 50_000,
        () => 500 * 1024,
      ).keepLimit(poly, 12),
    ).to.equal(8000);
    expect(
      new TileRenderer(
        db,
        () => 50_000,
        () => 500 * 1024,
      ).keepLimit(poly, 17),
    ).to.equal(null);
    expect(
      new TileRenderer(
        db,
        () => 5_000,
        () => 500 * 1024,
      ).keepLimit(poly, 12),
    ).to.equal(null);
  });
});

describe('TileJSON and tile matrix sets', () => {
  it('builds TileJSON 3.0.0 with typed fields and absolute tile URLs', () => {
    const tj = buildTileJson(
      [
        layer(),
        layer({
          id: 'places',
          title: 'Places',
          geometryType: 'Point',
          minzoom: 7,
          maxzoom: 22,
          bounds: [105.8, 20.9, 107, 21.7],
          attribution: '© OSM',
          columns: [],
        }),
      ],
      'https://maps.example.vn',
    );
    expect(tj.tilejson).to.equal('3.0.0');
    expect(tj.tiles).to.deep.equal(['https://maps.example.vn/tiles/roads,places/{z}/{x}/{y}.mvt']);
    expect(tj.minzoom).to.equal(6);
    expect(tj.maxzoom).to.equal(22);
    expect(tj.bounds).to.deep.equal([105.8, 20.9, 107, 21.7]);
    expect(tj.center[2]).to.equal(10);
    expect(tj.attribution).to.equal('© OSM');
    expect(tj.vector_layers[0]).to.deep.include({
      id: 'roads',
      minzoom: 6,
      maxzoom: 22,
      fields: { name: 'String', height_m: 'Number', lit: 'Boolean' },
    });
    expect(fieldType('date')).to.equal('String');
  });

  it('gives WebMercatorQuad 25 matrices with halving cell sizes', () => {
    const tms = webMercatorQuad();
    expect(tms.tileMatrices).to.have.length(25);
    expect(tms.tileMatrices[1].cellSize * 2).to.be.closeTo(tms.tileMatrices[0].cellSize, 1e-6);
    expect(tms.tileMatrices[24].matrixWidth).to.equal(2 ** 24);
  });
});
