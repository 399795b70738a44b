/**
 * The demo layers as tiles: every tile of a sample stays under the 500 KB budget, restricted layers stay
 * hidden from anonymous callers, and GDAL's MVT driver (an independent reader) sees the same layers,
 * feature counts and attribute names as our decoder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'chai';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { forEachBackend } from '../support/servers.ts';
import { hasOgrinfo, requireTool } from '../support/environment.ts';
import { latToTileY, lonToTileX, tileRange, type TileCoord } from '../../server/tiles/grid.ts';
import type { Layer } from '../../server/catalog/catalog.ts';

const demoLayers = [
  'admin_provinces',
  'admin_districts',
  'admin_communes',
  'landuse_parcels',
  'industrial_zones',
  'rivers',
  'roads',
  'places',
  'bts_stations',
];
const budget = 500 * 1024;
/** Bắc Ninh city centre (EPSG:4326): the densest part of the demo data. */
const centre = [106.076, 21.186] as const;

/** Every tile over the layer at low zooms, a 3 x 3 block around the centre from z11 up, to z16. */
function sample(layer: Layer): TileCoord[] {
  const out: TileCoord[] = [];
  for (let z = layer.minzoom; z <= Math.min(16, layer.maxzoom); z++) {
    if (z <= 10 && layer.bounds) {
      const r = tileRange(layer.bounds, z, 0);
      for (let x = r.minX; x <= r.maxX; x++) for (let y = r.minY; y <= r.maxY; y++) out.push({ z, x, y });
    } else {
      const cx = Math.floor(lonToTileX(centre[0], z));
      const cy = Math.floor(latToTileY(centre[1], z));
      for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) out.push({ z, x: cx + dx, y: cy + dy });
    }
  }
  return out;
}

forEachBackend('tiles of the demo layers', (server, backend) => {
  let layers: Layer[];
  before(function () {
    layers = demoLayers.map((id) => server().ctx.catalog.find(id)).filter((l): l is Layer => l !== undefined);
    if (layers.length === 0) this.skip(); // no demo definitions in layers/: nothing to check
  });

  it('keeps every tile of a sample under 500 KB, at every zoom of every demo layer', async function () {
    this.timeout(600_000);
    const renderer = server().app.services.tiles.renderer;
    const sizes: string[] = [];
    for (const layer of layers) {
      let largest = 0;
      for (const coord of sample(layer)) {
        const bytes = (await renderer.tile({ layers: [layer], coord })).length;
        expect(bytes, `${layer.id} ${coord.z}/${coord.x}/${coord.y}`).to.be.at.most(budget);
        largest = Math.max(largest, bytes);
      }
      sizes.push(`${layer.id} ${(largest / 1024).toFixed(0)} KB`);
    }
    expect(sizes).to.have.length(layers.length);
  });

  it('hides the restricted BTS layer from anonymous callers', async () => {
    const bts = server().ctx.catalog.find('bts_stations');
    if (!bts || bts.access !== 'restricted') return;
    const r = await fetch(`${server().url}/tiles/bts_stations/12/3254/1801.mvt`);
    expect(r.status).to.equal(404);
    expect((await r.json()).description).to.not.match(/restricted|token/i);
  });

  it('clusters BTS stations below clusterBelowZoom, with a count per cluster', async () => {
    const bts = server().ctx.catalog.find('bts_stations');
    const below = bts?.tileOptions.clusterBelowZoom;
    if (!bts || below === undefined || below <= bts.minzoom) return;
    const z = Math.max(bts.minzoom, below - 1);
    const coord = { z, x: Math.floor(lonToTileX(centre[0], z)), y: Math.floor(latToTileY(centre[1], z)) };
    const tile = new VectorTile(new PbfReader(await server().app.services.tiles.renderer.tile({ layers: [bts], coord })));
    const l = tile.layers.bts_stations;
    expect(l.length).to.be.above(0);
    expect(Object.keys(l.feature(0).properties)).to.deep.equal(['count']);
  });

  // The naive SQL needs ST_AsMVT (server PostGIS); the embedded encoder is held to ST_AsMVT's features in tiles.test.ts.
  if (backend === 'server')
    it('holds at z14 and above every feature the naive ST_AsMVT SQL puts in the tile, layer by layer', async function () {
      this.timeout(120_000);
      const s = server();
      // The catalog's current Layer objects (it may have reloaded since `before`), public demo layers only.
      const open = s.ctx.catalog.list(null).filter((l) => demoLayers.includes(l.id));
      expect(open, 'public demo layers').to.not.be.empty;
      for (const z of [14, 15, 16]) {
        const cx = Math.floor(lonToTileX(centre[0], z));
        const cy = Math.floor(latToTileY(centre[1], z));
        for (const coord of [
          { z, x: cx, y: cy },
          { z, x: cx + 1, y: cy - 1 },
        ]) {
          const ours = new VectorTile(new PbfReader(await s.app.services.tiles.renderer.tile({ layers: open, coord })));
          for (const layer of open.filter((l) => z >= l.minzoom)) {
            const [row] = await s.ctx.db.rows<{ tile: Buffer | null }>(
              `SELECT ST_AsMVT(q, ?::text, 4096, 'g', 'id') AS tile FROM (
               SELECT t.id, ST_AsMVTGeom(ST_Transform(t.geom, 3857), ST_TileEnvelope(?::int, ?::int, ?::int), 4096, 64, true) AS g
                 FROM ${layer.tableSql} t
                WHERE t.geom && ST_Transform(ST_TileEnvelope(?::int, ?::int, ?::int, margin => 64.0 / 4096), 4326)) q
              WHERE q.g IS NOT NULL`,
              [layer.id, coord.z, coord.x, coord.y, coord.z, coord.x, coord.y],
            );
            const naive = row.tile?.length ? new VectorTile(new PbfReader(row.tile)).layers[layer.id] : undefined;
            const ids = (l: VectorTile['layers'][string] | undefined) =>
              new Set(Array.from({ length: l?.length ?? 0 }, (_, i) => l!.feature(i).id));
            const have = ids(ours.layers[layer.id]);
            const missing = [...ids(naive)].filter((id) => !have.has(id));
            expect(
              missing,
              `${layer.id} ${coord.z}/${coord.x}/${coord.y}: ids of the naive tile missing from ours`,
            ).to.deep.equal([]);
          }
        }
      }
    });

  describe('read by GDAL', () => {
    before(function () {
      requireTool(this, hasOgrinfo, 'tiles: GDAL MVT check', 'ogrinfo (apt-get install gdal-bin)');
    });

    it('shows the same layers, feature counts and attribute names to ogrinfo as to our decoder', async function () {
      this.timeout(60_000);
      // By id: the catalog may have reloaded since `before` (new Layer objects); the public ones of the demo layers.
      const readable = new Set(
        server()
          .ctx.catalog.list(null)
          .map((l) => l.id),
      );
      const ids = layers.map((l) => l.id).filter((id) => readable.has(id));
      expect(ids, 'public demo layers').to.not.be.empty;
      const z = 13;
      const x = Math.floor(lonToTileX(centre[0], z));
      const y = Math.floor(latToTileY(centre[1], z));
      const r = await fetch(`${server().url}/tiles/${ids.join(',')}/${z}/${x}/${y}.mvt`);
      expect(r.status).to.equal(200);
      const bytes = Buffer.from(await r.arrayBuffer());
      const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? zlib.gunzipSync(bytes) : bytes;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdi-tile-'));
      const file = path.join(dir, `${y}.mvt`);
      fs.writeFileSync(file, raw);
      try {
        const ours = new VectorTile(new PbfReader(raw));
        const out = execFileSync('ogrinfo', ['-ro', '-al', '-so', '-oo', `Z=${z}`, '-oo', `X=${x}`, '-oo', `Y=${y}`, file], {
          encoding: 'utf8',
        });
        const gdal = new Map<string, { count: number; fields: string[] }>();
        let current: { count: number; fields: string[] } | null = null;
        for (const line of out.split('\n')) {
          const name = /^Layer name: (.+)$/.exec(line);
          if (name) gdal.set(name[1].trim(), (current = { count: -1, fields: [] }));
          const count = /^Feature Count: (\d+)/.exec(line);
          if (count && current) current.count = Number(count[1]);
          const field = /^([^:\s][^:]*): (String|Integer|Integer64|Real|Date|DateTime)\b/.exec(line);
          if (field && current) current.fields.push(field[1]);
        }
        expect([...gdal.keys()].sort()).to.deep.equal(Object.keys(ours.layers).sort());
        for (const [name, layer] of Object.entries(ours.layers)) {
          const seen = new Set<string>();
          for (let i = 0; i < layer.length; i++) for (const k of Object.keys(layer.feature(i).properties)) seen.add(k);
          const g = gdal.get(name)!;
          expect(g.count, `${name} feature count`).to.equal(layer.length);
          expect(g.fields.filter((f) => f !== 'mvt_id').sort(), `${name} attributes`).to.deep.equal([...seen].sort());
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
