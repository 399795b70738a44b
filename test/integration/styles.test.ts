/**
 * Styles for other applications: MapLibre style v8 documents generated from the layer definitions, listed as
 * OGC API - Styles, linked from the landing page, the collections and TileJSON; restricted layers only for tokens
 * that may read them; a PATCHed layer style shows at once. TileJSON zooms agree with what the tiles hold.
 */
import { expect } from 'chai';
import { validateStyleMin, type StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { pointOnFeature } from '@turf/turf';
import { forEachBackend } from '../support/servers.ts';
import { call, tokenFor } from '../fixtures/upload/http.ts';
import { tileRange } from '../../server/tiles/grid.ts';

type Json = Record<string, any>;

forEachBackend('styles and zooms for other applications', (server) => {
  const get = async (path: string, token?: string): Promise<Response> =>
    fetch(`${server().url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const json = async (path: string, token?: string): Promise<Json> => {
    const res = await get(path, token);
    expect(res.status, path).to.equal(200);
    return (await res.json()) as Json;
  };
  let viewer: string;
  before(async () => {
    viewer = await tokenFor(server(), 'viewer');
  });

  it('lists the planning map and one style per readable layer, each of which validates against the style specification', async () => {
    const list = await json('/styles');
    expect(list.default).to.equal('planning-map');
    const ids = list.styles.map((s: Json) => s.id);
    const collections = (await json('/collections')).collections.map((c: Json) => c.id);
    expect(ids).to.have.members(['planning-map', ...collections]);
    for (const s of list.styles) {
      const link = s.links.find((l: Json) => l.rel === 'stylesheet');
      expect(link.type).to.equal('application/vnd.mapbox.style+json');
      const res = await fetch(link.href);
      expect(res.status, link.href).to.equal(200);
      const style = (await res.json()) as StyleSpecification;
      expect(validateStyleMin(style), s.id).to.deep.equal([]);
      expect(
        style.layers.some((l) => l.type === 'symbol'),
        'no text layers without glyphs',
      ).to.equal(false);
    }
  });

  it('draws the planning map in catalog order, from the composite TileJSON, with the colours of the layer definitions', async () => {
    const style = (await json('/styles/planning-map.json')) as unknown as StyleSpecification;
    // One composite source per run of at most 32 layers (a shared test server may have published many).
    const inTiles: string[] = [];
    for (const source of Object.values(style.sources) as Array<{ type: string; url: string }>) {
      expect(source.type).to.equal('vector');
      expect(source.url).to.match(/^http:\/\/[^/]+\/tiles\/[a-z0-9_$,]+\.json$/);
      const tilejson = await fetch(source.url);
      expect(tilejson.status, source.url).to.equal(200);
      inTiles.push(...((await tilejson.json()).vector_layers as Json[]).map((l) => l.id as string));
    }
    const catalog = (await json('/collections')).collections as Json[];
    expect(inTiles).to.have.members(catalog.map((c) => c.id));
    // Bottom first: sortOrder ascending, as the viewer stacks them.
    const order = [
      ...new Set(style.layers.filter((l) => l.type !== 'background').map((l) => (l as Json)['source-layer'] as string)),
    ];
    const bySort = [...catalog].sort((a, b) => a.sortOrder - b.sortOrder || b.id.localeCompare(a.id)).map((c) => c.id);
    expect(order).to.deep.equal(bySort);
    const parcels = (await json('/admin/layers/landuse_parcels', await tokenFor(server(), 'editor'))).style;
    const fill = style.layers.find((l) => l.id === 'landuse_parcels-fill') as Json;
    expect(fill.minzoom).to.equal(catalog.find((c) => c.id === 'landuse_parcels')!.minzoom);
    expect(fill.paint['fill-opacity']).to.equal(parcels.fillOpacity);
    const match = fill.paint['fill-color'] as unknown[];
    for (const c of parcels.categories)
      expect(match[match.findIndex((x) => JSON.stringify(x) === JSON.stringify([c.value])) + 1], c.value).to.equal(c.color);
  });

  it('shows a restricted layer only to tokens that may read it, in the map and as its own style', async () => {
    const anonymous = (await json('/styles/planning-map.json')) as unknown as StyleSpecification;
    expect(anonymous.layers.some((l) => (l as Json)['source-layer'] === 'bts_stations')).to.equal(false);
    expect((await get('/styles/bts_stations.json')).status).to.equal(404);
    expect((await get('/collections/bts_stations/styles')).status).to.equal(404);
    const withToken = (await json('/styles/planning-map.json', viewer)) as unknown as StyleSpecification;
    expect(withToken.layers.some((l) => (l as Json)['source-layer'] === 'bts_stations')).to.equal(true);
    const own = (await json('/styles/bts_stations.json', viewer)) as unknown as StyleSpecification;
    expect(validateStyleMin(own)).to.deep.equal([]);
    expect((await json('/collections/bts_stations/styles', viewer)).styles[0].id).to.equal('bts_stations');
  });

  it('links the styles from the landing page, each collection and TileJSON', async () => {
    const landing = await json('/');
    expect(landing.links.find((l: Json) => l.href.endsWith('/styles')).rel).to.equal(
      'http://www.opengis.net/def/rel/ogc/1.0/styles',
    );
    const collection = await json('/collections/landuse_parcels');
    const stylesheet = collection.links.find((l: Json) => l.rel === 'stylesheet');
    expect(new URL(stylesheet.href).pathname).to.equal('/styles/landuse_parcels.json');
    expect((await fetch(stylesheet.href)).status).to.equal(200);
    const tilejson = await json('/tiles/landuse_parcels,roads.json');
    expect(tilejson.links.map((l: Json) => new URL(l.href).pathname)).to.deep.equal([
      '/styles/landuse_parcels.json',
      '/styles/roads.json',
    ]);
    expect((await json('/collections/landuse_parcels/styles')).styles[0].links[0].href).to.equal(stylesheet.href);
  });

  it('answers 404 naming the style for an unknown one', async () => {
    const res = await get('/styles/no_such_layer.json');
    expect(res.status).to.equal(404);
    expect(((await res.json()) as Json).description).to.include('no_such_layer');
  });

  it('shows a style changed by PATCH in the next style document', async () => {
    const editor = await tokenFor(server(), 'admin'); // built-in layers are changed by admins (ownership rule)
    const before = (await json('/admin/layers/industrial_zones', editor)).style;
    const changed = {
      ...before,
      fillOpacity: 0.3,
      categories: before.categories.map((c: Json, i: number) => (i === 0 ? { ...c, color: '#123456' } : c)),
    };
    try {
      expect((await call(server(), editor, 'PATCH', '/admin/layers/industrial_zones', { style: changed })).status).to.equal(200);
      const fill = ((await json('/styles/industrial_zones.json')) as Json).layers.find(
        (l: Json) => l.id === 'industrial_zones-fill',
      );
      expect(fill.paint['fill-opacity']).to.equal(0.3);
      expect(fill.paint['fill-color']).to.deep.include('#123456');
    } finally {
      expect((await call(server(), editor, 'PATCH', '/admin/layers/industrial_zones', { style: before })).status).to.equal(200);
    }
  });

  it("gives TileJSON the layers' real maximum zoom (not 22), and per-layer zooms that agree with the tiles", async () => {
    const catalog = (await json('/collections')).collections as Json[];
    // In runs of at most 32 layers, the most one composite TileJSON may name (a shared test server may have many).
    for (let i = 0; i < catalog.length; i += 32) {
      const run = catalog.slice(i, i + 32);
      const tilejson = await json(`/tiles/${run.map((c) => c.id).join(',')}.json`);
      expect(tilejson.maxzoom).to.equal(Math.max(...run.map((c) => c.maxzoom)));
      expect(tilejson.maxzoom).to.be.below(22);
      for (const c of run)
        expect(tilejson.vector_layers.find((v: Json) => v.id === c.id)).to.include({ minzoom: c.minzoom, maxzoom: c.maxzoom });
    }
    // Parcels: none in a tile below minzoom; at maxzoom the tile holds every parcel whose items lie well inside it.
    const parcels = catalog.find((c) => c.id === 'landuse_parcels')!;
    // The largest parcel: at minzoom small parcels are below a pixel and left out of the tile by design.
    const first = (await json('/collections/landuse_parcels/items?limit=1&sortby=-area_m2')).features[0];
    const [lon, lat] = pointOnFeature(first).geometry.coordinates;
    const layerOf = async (z: number): Promise<{ count: number; extent: number } | null> => {
      const t = tileRange([lon, lat, lon, lat], z);
      const res = await get(`/tiles/landuse_parcels/${z}/${t.minX}/${t.minY}.mvt`);
      if (res.status === 204) return null;
      const layer = new VectorTile(new PbfReader(new Uint8Array(await res.arrayBuffer()))).layers.landuse_parcels;
      return layer ? { count: layer.length, extent: layer.extent } : null;
    };
    expect(await layerOf(parcels.minzoom - 1), 'below minzoom').to.equal(null);
    expect((await layerOf(parcels.minzoom))!.count).to.be.above(0);
    const atMax = await layerOf(parcels.maxzoom);
    const t = tileRange([lon, lat, lon, lat], parcels.maxzoom);
    const n = 2 ** parcels.maxzoom;
    const lonOf = (x: number) => (x / n) * 360 - 180;
    const latOf = (y: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI;
    // The tile carries a buffer of 64/4096 of its width: what it holds lies between the parcels of the tile and
    // those of the tile grown by its buffer.
    const b = 64 / 4096;
    const bboxOf = (grow: number) =>
      [lonOf(t.minX - grow), latOf(t.minY + 1 + grow), lonOf(t.minX + 1 + grow), latOf(t.minY - grow)].join(',');
    const inTile = (await json(`/collections/landuse_parcels/items?bbox=${bboxOf(0)}&limit=10000`)).numberReturned;
    const inBuffer = (await json(`/collections/landuse_parcels/items?bbox=${bboxOf(b)}&limit=10000`)).numberReturned;
    expect(atMax!.count, 'every parcel of the tile, none dropped as small at maxzoom').to.be.within(inTile, inBuffer);
  });
});
