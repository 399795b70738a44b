/**
 * The Web Mercator copy of the geometry that tiles read (`geom_3857`, server/sql/tile-geometry.ts): every demo table and
 * every uploaded one has it, equal to `geom` transformed; edits keep it in step; tiles read from it hold the same
 * features as tiles that transform `geom` (exactly at the layer's detail zoom, where nothing is simplified); a table
 * without it is read as before.
 */
import { expect } from 'chai';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { forEachBackend } from '../support/servers.ts';
import { call, dropUploadedLayer, tokenFor, upload, waitForJob } from '../fixtures/upload/http.ts';
import { latToTileY, lonToTileX, type TileCoord } from '../../server/tiles/grid.ts';
import { readsTileGeometry, tileQuery } from '../../server/tiles/sql.ts';
import type { Layer } from '../../server/catalog/catalog.ts';
import type { JobReport } from '../../server/upload/jobs.ts';

const demo = ['admin_communes', 'landuse_parcels', 'industrial_zones', 'roads', 'rivers', 'places'];
/** Bắc Ninh city centre: the densest part of the demo data. */
const centre = [106.076, 21.186] as const;

/** A 2 x 2 block of tiles at the centre at zoom z. */
function block(z: number): TileCoord[] {
  const x = Math.floor(lonToTileX(centre[0], z));
  const y = Math.floor(latToTileY(centre[1], z));
  return [
    { z, x, y },
    { z, x: x + 1, y },
    { z, x, y: y + 1 },
    { z, x: x + 1, y: y + 1 },
  ];
}

/** Each feature of a one-layer tile as a line of text (id, properties, geometry), sorted. */
function features(tile: Buffer, layerId: string): string[] {
  const layer = new VectorTile(new PbfReader(tile)).layers[layerId];
  if (!layer) return [];
  const out: string[] = [];
  for (let i = 0; i < layer.length; i++) {
    const f = layer.feature(i);
    out.push(JSON.stringify([f.id, f.properties, f.loadGeometry().map((ring) => ring.map((p) => [p.x, p.y]))]));
  }
  return out.sort();
}

forEachBackend('tiles: the Web Mercator copy of the geometry', (server) => {
  const layerId = 'mercator_copy';
  let owner: string;
  before(async () => {
    owner = await tokenFor(server(), 'editor');
    await dropUploadedLayer(server(), layerId);
  });
  after(() => dropUploadedLayer(server(), layerId));

  it('gives every demo table geom_3857, equal to geom in EPSG:3857, and the tile SQL reads it', async () => {
    const { catalog, db } = server().ctx;
    for (const id of demo) {
      const layer = catalog.find(id);
      if (!layer) continue;
      expect(layer.tileGeometry, id).to.equal(true);
      const [r] = await db.rows<{ n: number; off: number }>(
        `SELECT count(*)::int AS n,
                count(*) FILTER (WHERE geom_3857 IS NULL OR NOT ST_OrderingEquals(geom_3857, ST_Transform(geom, 3857)))::int AS off
           FROM ${layer.tableSql}`,
      );
      expect(r.n, id).to.be.above(0);
      expect(r.off, id).to.equal(0);
      const sql = tileQuery(layer, { encoder: 'mvt', cluster: false, properties: [] });
      expect(sql, id).to.contain('"geom_3857"').and.not.contain('ST_Transform(s.__g');
    }
  });

  it('renders the same features from it as from transforming geom: exactly at the detail zoom, nearly below it', async function () {
    this.timeout(120_000);
    const { catalog } = server().ctx;
    const renderer = server().app.services.tiles.renderer;
    for (const id of demo) {
      const layer = catalog.find(id);
      if (!layer) continue;
      // The same layer as a table without the column is read (a copy of the catalog's object, fresh SQL cache key).
      const transformed: Layer = { ...layer, tileGeometry: false };
      expect(readsTileGeometry(transformed)).to.equal(false);
      const detail = Math.max(layer.minzoom, Math.min(layer.maxzoom, 17));
      let compared = 0;
      for (const coord of block(detail)) {
        const [a, b] = [
          features(await renderer.tile({ layers: [layer], coord }), id),
          features(await renderer.tile({ layers: [transformed], coord }), id),
        ];
        expect(a, `${id} ${coord.z}/${coord.x}/${coord.y}`).to.deep.equal(b);
        compared += a.length;
      }
      if (['admin_communes', 'landuse_parcels', 'roads'].includes(id)) expect(compared, `${id} z${detail}`).to.be.above(0);
      // Below it, simplification and the tiny-polygon filter work in metres rather than degrees: the same features
      // but for a few at the threshold.
      const z = Math.max(layer.minzoom, detail - 2);
      if (z === detail) continue;
      let same = 0;
      let all = 0;
      for (const coord of block(z)) {
        const ids = (tile: Buffer) => new Set(features(tile, id).map((f) => JSON.parse(f)[0] as number));
        const [a, b] = [
          ids(await renderer.tile({ layers: [layer], coord })),
          ids(await renderer.tile({ layers: [transformed], coord })),
        ];
        all += new Set([...a, ...b]).size;
        same += [...a].filter((f) => b.has(f)).length;
      }
      expect(same, `${id} z${z}: ${same} of ${all} features in both`).to.be.at.least(all * 0.98);
      if (id === 'landuse_parcels') expect(all).to.be.above(20);
    }
  });

  it('gives an uploaded table the column and index (renaming a field of that name), and keeps it in step with edits', async function () {
    this.timeout(120_000);
    const s = server();
    const square = (lon: number) => [
      [
        [lon, 21.2],
        [lon + 0.001, 21.2],
        [lon + 0.001, 21.201],
        [lon, 21.201],
        [lon, 21.2],
      ],
    ];
    const fc = {
      type: 'FeatureCollection',
      features: [106.1, 106.2].map((lon, i) => ({
        type: 'Feature',
        properties: { ten: `Thửa ${i + 1}`, geom_3857: 'a field of the file', valid: i === 0 },
        geometry: { type: 'Polygon', coordinates: square(lon) },
      })),
    };
    const res = await upload(s, owner, { name: 'mercator.geojson', bytes: JSON.stringify(fc) }, { id: layerId });
    expect(res.status, await res.clone().text()).to.equal(202);
    const job = await waitForJob(s, owner, ((await res.json()) as JobReport).id);
    expect(job.status, job.errors.join('; ')).to.equal('published');
    await s.ctx.catalog.load();
    const layer = s.ctx.catalog.find(layerId)!;
    expect(layer.tileGeometry).to.equal(true);
    // The file's own fields named like the table's columns are renamed, not mistaken for them.
    expect(layer.columns.map((c) => c.name)).to.include.members(['src_geom_3857', 'src_valid']);
    const indexes = await s.ctx.db.rows<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE tablename = ?`, [
      layer.table,
    ]);
    expect(indexes.map((i) => i.def).join('\n')).to.match(/USING gist \(geom_3857\)/);

    // A move through the edit API, and an insert: the copy follows geom.
    const items = `/collections/${layerId}/items`;
    const list = (await (await call(s, owner, 'GET', `${items}?limit=10`)).json()) as { features: Array<{ id: number }> };
    const fid = list.features[0].id;
    const etag = (await call(s, owner, 'GET', `${items}/${fid}`)).headers.get('ETag')!;
    const moved = await fetch(`${s.url}${items}/${fid}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${owner}`, 'Content-Type': 'application/json', 'If-Match': etag },
      body: JSON.stringify({ geometry: { type: 'Polygon', coordinates: square(106.3) } }),
    });
    expect(moved.status, await moved.clone().text()).to.equal(200);
    const added = await call(s, owner, 'POST', items, {
      type: 'Feature',
      properties: { ten: 'Thửa mới' },
      geometry: { type: 'Polygon', coordinates: square(106.4) },
    });
    expect(added.status, await added.clone().text()).to.equal(201);
    const rows = await s.ctx.db.rows<{ id: number; x: number; same: boolean }>(
      `SELECT id, ST_XMin(geom) AS x, ST_OrderingEquals(geom_3857, ST_Transform(geom, 3857)) AS same FROM ${layer.tableSql} ORDER BY id`,
    );
    expect(rows).to.have.length(3);
    expect(rows.every((r) => r.same)).to.equal(true);
    expect(rows.map((r) => Math.round(r.x * 1000) / 1000).sort()).to.deep.equal([106.2, 106.3, 106.4]);
  });
});
