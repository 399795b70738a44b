/** The in-memory tile index of small layers: what a tile holds, cut in Node from features in memory. */
import { expect } from 'chai';
import type { Geometry } from 'geojson';
import { LayerIndex, type IndexedFeature } from '../../server/tiles/memory-index.ts';
import { latToTileY, lonToTileX, tileExtent } from '../../server/tiles/grid.ts';
import { TileFeatureLimitError } from '../../server/errors.ts';
import type { Layer } from '../../server/catalog/catalog.ts';
import type { LayerColumn } from '../../server/catalog/definition.ts';

const columns: LayerColumn[] = [
  { name: 'code', type: 'string', label: { en: 'Code', vi: 'Mã' } },
  { name: 'area_m2', type: 'number', label: { en: 'Area', vi: 'Diện tích' } },
];

function layer(over: Partial<Layer> = {}): Layer {
  return {
    id: 'parcels',
    title: 'Parcels',
    titleVi: 'Thửa đất',
    description: '',
    keywords: [],
    group: 'landuse',
    tableSql: '"parcels"',
    table: 'parcels',
    geometryType: 'Polygon',
    sourceCrs: null,
    columns,
    minzoom: 0,
    maxzoom: 16,
    style: { type: 'single' },
    tileOptions: {},
    attribution: '',
    licence: '',
    access: 'public',
    origin: 'builtin',
    owner: null,
    sortOrder: 1,
    dataVersion: 1,
    updatedAt: new Date(0),
    bounds: null,
    column: (n: string) => columns.find((c) => c.name === n),
    ...over,
  } as Layer;
}

/** A square of `side` degrees with its south-west corner at (lon, lat); its size is its planar area in degrees². */
function square(id: number, lon: number, lat: number, side: number): IndexedFeature {
  const ring = [
    [lon, lat],
    [lon + side, lat],
    [lon + side, lat + side],
    [lon, lat + side],
    [lon, lat],
  ];
  return {
    id,
    geometry: { type: 'Polygon', coordinates: [ring] },
    properties: { code: `Ô ${id}`, area_m2: id * 1.5 },
    size: side * side,
  };
}

function point(id: number, lon: number, lat: number): IndexedFeature {
  return { id, geometry: { type: 'Point', coordinates: [lon, lat] } as Geometry, properties: { code: 'BTS' }, size: 0 };
}

const limits = { maxFeatures: 50_000, budgetBytes: 500 * 1024 };
const tileOf = (lon: number, lat: number, z: number) => ({
  z,
  x: Math.floor(lonToTileX(lon, z)),
  y: Math.floor(latToTileY(lat, z)),
});

describe('the tile memory index', () => {
  it('cuts a feature into tile coordinates with its id and properties', () => {
    const index = new LayerIndex(layer(), [square(7, 106.0401, 21.1401, 0.001)]);
    const t = tileOf(106.0405, 21.1405, 15);
    const [f] = index.cut(t, undefined, limits);
    expect(f.id).to.equal(7);
    expect(f.type).to.equal(3);
    expect(f.tags).to.deep.equal({ code: 'Ô 7', area_m2: 10.5 });
    const ring = (f.geometry as number[][][])[0];
    const xs = ring.map((p) => p[0]);
    expect(Math.min(...xs)).to.be.closeTo((lonToTileX(106.0401, 15) - t.x) * tileExtent, 1);
  });

  it('carries only the properties asked for', () => {
    const index = new LayerIndex(layer(), [square(1, 106.0401, 21.1401, 0.001)]);
    const [f] = index.cut(tileOf(106.0405, 21.1405, 15), [columns[0]], limits);
    expect(f.tags).to.deep.equal({ code: 'Ô 1' });
  });

  it('drops polygons under a quarter pixel below maxzoom and keeps them at maxzoom', () => {
    const index = new LayerIndex(layer(), [square(1, 106.04, 21.14, 0.02), square(2, 106.07, 21.14, 0.00001)]);
    const ids = (z: number) =>
      index
        .cut(tileOf(106.05, 21.15, z), undefined, limits)
        .map((f) => f.id)
        .sort();
    expect(ids(10)).to.deep.equal([1]);
    expect(index.cut(tileOf(106.07, 21.14, 16), undefined, limits).map((f) => f.id)).to.deep.equal([2]);
  });

  it('keeps the largest features first when the byte budget limits a low-zoom tile', () => {
    const features = Array.from({ length: 20 }, (_, i) => square(i + 1, 105.9 + i * 0.01, 21.1, 0.001 + i * 0.0001));
    const index = new LayerIndex(layer(), features);
    const kept = index.cut(tileOf(106.0, 21.1, 10), undefined, { maxFeatures: 50_000, budgetBytes: 5 * 64 });
    expect(kept.map((f) => f.id)).to.deep.equal([20, 19, 18, 17, 16]);
  });

  it('clusters points on a 16 x 16 grid below clusterBelowZoom, and the counts add up', () => {
    const points = Array.from({ length: 100 }, (_, i) =>
      point(i + 1, 106.04 + (i % 10) * 0.003, 21.14 + Math.floor(i / 10) * 0.003),
    );
    const index = new LayerIndex(layer({ geometryType: 'Point', tileOptions: { clusterBelowZoom: 13 } }), points);
    const clusters = index.cut(tileOf(106.05, 21.15, 10), undefined, limits);
    expect(clusters.reduce((s, f) => s + (f.tags.count as number), 0)).to.equal(100);
    expect(clusters.length).to.be.below(100);
    expect(Math.min(...clusters.map((f) => f.id))).to.equal(1);
    const single = index.cut(tileOf(106.04, 21.14, 16), undefined, limits);
    expect(single.map((f) => f.tags)).to.deep.equal([{ code: 'BTS' }]);
  });

  it('refuses a tile with more features than TILE_MAX_FEATURES, naming the layer', () => {
    const points = Array.from({ length: 10 }, (_, i) => point(i + 1, 106.03 + i * 0.0001, 21.14));
    const index = new LayerIndex(layer({ geometryType: 'Point' }), points);
    expect(() => index.cut(tileOf(106.03, 21.14, 14), undefined, { ...limits, maxFeatures: 5 })).to.throw(
      TileFeatureLimitError,
      /parcels.*TILE_MAX_FEATURES/,
    );
  });
});
