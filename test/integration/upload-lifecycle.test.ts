/**
 * A layer's life through the admin API: publish, replace (data_version bumps, readers see the new version at once),
 * rollback to the previous version, metadata PATCH, delete by owner or admin only; every step in the audit log.
 * Also the other formats: GeoJSON with invalid and mixed geometries, CSV with X = northing, GeoPackage with two
 * tables, KML.
 */
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { controlPoints, tempDir, writeGeoPackage, zipBytes } from '../fixtures/upload/builders.ts';
import { call, dropUploadedLayer, liveState, tokenFor, upload, waitForJob } from '../fixtures/upload/http.ts';
import type { JobReport } from '../../server/upload/jobs.ts';
import fs from 'node:fs';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import path from 'node:path';

function pointCollection(names: string[]): string {
  return JSON.stringify({
    type: 'FeatureCollection',
    features: names.map((name, i) => ({
      type: 'Feature',
      properties: { Tên: name, 'Số TT': i + 1 },
      geometry: { type: 'Point', coordinates: [106.1 + i * 0.01, 21.2] },
    })),
  });
}

async function published(server: Parameters<typeof upload>[0], token: string, res: Response): Promise<JobReport> {
  expect(res.status, await res.clone().text()).to.equal(202);
  const job = await waitForJob(server, token, ((await res.json()) as JobReport).id);
  expect(job.status, `${job.errors.join('; ')} ${JSON.stringify(job.confirmation)}`).to.equal('published');
  return job;
}

forEachBackend('upload: layer lifecycle and formats', (server) => {
  let owner: string;
  let other: string;
  let admin: string;
  const ids = [
    'tile_refresh',
    'race_layer',
    'serial_layer',
    'life_cycle',
    'mixed_geoms',
    'mixed_geoms_points',
    'survey_csv',
    'two_tables_communes',
    'two_tables_roads',
    'kml_places',
  ];
  before(async () => {
    owner = await tokenFor(server(), 'editor', 'Chủ sở hữu');
    other = await tokenFor(server(), 'editor', 'Người khác');
    admin = await tokenFor(server(), 'admin');
    for (const id of ids) await dropUploadedLayer(server(), id);
  });

  it('publishes, replaces, rolls back, edits and deletes a layer, recording each step in the audit log', async () => {
    let job = await published(
      server(),
      owner,
      await upload(
        server(),
        owner,
        { name: 'v1.geojson', bytes: pointCollection(['Một', 'Hai']) },
        { id: 'life_cycle', title: 'Vòng đời' },
      ),
    );
    expect(job.layers[0]).to.deep.include({ id: 'life_cycle', dataVersion: 1, features: 2 });
    expect(job.fixes.join('\n'))
      .to.match(/"Tên" stored as ten/)
      .and.match(/"Số TT" stored as so_tt/);
    const v1 = server().ctx.catalog.find('life_cycle')!;
    expect(v1.columns.map((c) => [c.name, c.type])).to.deep.equal([
      ['ten', 'string'],
      ['so_tt', 'integer'],
    ]);

    const form = new FormData();
    form.append('file', new Blob([pointCollection(['Ba', 'Bốn', 'Năm'])]), 'v2.geojson');
    const put = await fetch(`${server().url}/admin/layers/life_cycle`, {
      method: 'PUT',
      body: form,
      headers: { Authorization: `Bearer ${owner}` },
    });
    job = await published(server(), owner, put);
    expect(job.layers[0].dataVersion).to.equal(2);
    expect(server().ctx.catalog.find('life_cycle')!.title).to.equal('Vòng đời');
    const count = async () => (await server().ctx.db.rows<{ n: number }>('SELECT count(*)::int AS n FROM upl_life_cycle'))[0].n;
    expect(await count()).to.equal(3);

    const listed = (await (await call(server(), owner, 'GET', '/admin/layers')).json()) as {
      layers: Array<{ id: string; hasPrevious: boolean; dataVersion: number }>;
    };
    expect(listed.layers.find((l) => l.id === 'life_cycle')).to.deep.include({ hasPrevious: true, dataVersion: 2 });

    const rb = await call(server(), owner, 'POST', '/admin/layers/life_cycle/rollback');
    expect(rb.status).to.equal(200);
    expect(await rb.json()).to.deep.equal({ id: 'life_cycle', dataVersion: 3 });
    expect(server().ctx.catalog.find('life_cycle')!.dataVersion).to.equal(3);
    expect(await count()).to.equal(2);

    const notOwner = await call(server(), other, 'PATCH', '/admin/layers/life_cycle', { title: 'Của tôi' });
    expect(notOwner.status).to.equal(403);
    expect(((await notOwner.json()) as { description: string }).description).to.match(/only the token that owns it or an admin/);
    const patch = await call(server(), owner, 'PATCH', '/admin/layers/life_cycle', {
      title: 'Vòng đời (sửa)',
      keywords: ['thử', 'upload'],
      style: {
        type: 'categorical',
        property: 'ten',
        categories: [{ value: 'Một', color: '#ff0000', label: { en: 'One', vi: 'Một' } }],
      },
    });
    expect(patch.status, await patch.clone().text()).to.equal(200);
    expect(server().ctx.catalog.find('life_cycle')).to.deep.include({ title: 'Vòng đời (sửa)', access: 'public' });
    const badPatch = await call(server(), owner, 'PATCH', '/admin/layers/life_cycle', { table: 'pg_authid' });
    expect(badPatch.status).to.equal(400);

    expect((await call(server(), other, 'DELETE', '/admin/layers/life_cycle')).status).to.equal(403);
    expect((await call(server(), owner, 'DELETE', '/admin/layers/life_cycle')).status).to.equal(204);
    expect(server().ctx.catalog.find('life_cycle')).to.equal(undefined);
    const tables = await server().ctx.db.rows(
      "SELECT tablename FROM pg_tables WHERE tablename IN ('upl_life_cycle', 'upl$prev$life_cycle')",
    );
    expect(tables).to.deep.equal([]);

    const audit = (await (await call(server(), admin, 'GET', '/admin/audit?layer=life_cycle&limit=10')).json()) as {
      entries: Array<{ action: string; actor: string; oldVersion: number | null; newVersion: number | null }>;
    };
    expect(
      audit.entries
        .slice(0, 5)
        .reverse()
        .map((e) => [e.action, e.actor, e.oldVersion, e.newVersion]),
    ).to.deep.equal([
      ['publish', 'Chủ sở hữu', null, 1],
      ['replace', 'Chủ sở hữu', 1, 2],
      ['rollback', 'Chủ sở hữu', 2, 3],
      ['update', 'Chủ sở hữu', 3, 3],
      ['delete', 'Chủ sở hữu', 3, null],
    ]);
  });

  it('repairs invalid polygons, splits mixed geometry types and reports features without geometry', async () => {
    const bowtie = [
      [
        [106.1, 21.1],
        [106.2, 21.2],
        [106.2, 21.1],
        [106.1, 21.2],
        [106.1, 21.1],
      ],
    ];
    const square = [
      [
        [106.3, 21.1],
        [106.4, 21.1],
        [106.4, 21.2],
        [106.3, 21.2],
        [106.3, 21.1],
      ],
    ];
    const fc = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { n: 1 }, geometry: { type: 'Polygon', coordinates: bowtie } },
        { type: 'Feature', properties: { n: 2 }, geometry: { type: 'MultiPolygon', coordinates: [square] } },
        { type: 'Feature', properties: { n: 3 }, geometry: { type: 'Polygon', coordinates: square } },
        { type: 'Feature', properties: { n: 4 }, geometry: { type: 'Point', coordinates: [106.25, 21.15] } },
        { type: 'Feature', properties: { n: 5 }, geometry: null },
      ],
    };
    const job = await published(
      server(),
      owner,
      await upload(server(), owner, { name: 'mixed.geojson', bytes: JSON.stringify(fc) }, { id: 'mixed_geoms' }),
    );
    expect(job.layers.map((l) => [l.id, l.geometryType, l.features])).to.deep.equal([
      ['mixed_geoms', 'MultiPolygon', 3],
      ['mixed_geoms_points', 'Point', 1],
    ]);
    expect(job.counts).to.deep.include({ repaired: 1, nullGeometries: 1, promotedToMulti: 1 });
    const report = [...job.fixes, ...job.warnings].join('\n');
    expect(report).to.match(/1 invalid geometries repaired with ST_MakeValid \(row 1: Self-intersection/);
    expect(report).to.match(/promoted to MultiPolygon/);
    expect(report).to.match(/mixed geometry types split/);
    expect(report).to.match(/1 features have no geometry.*rows 5/);
    const [{ valid }] = await server().ctx.db.rows<{ valid: boolean }>(
      'SELECT bool_and(ST_IsValid(geom)) AS valid FROM upl_mixed_geoms',
    );
    expect(valid).to.equal(true);
  });

  it('reads a CSV whose X is the northing (VN-2000 TM-3 105-30), reports the swap and asks to confirm the CRS', async () => {
    const pts = controlPoints().slice(0, 5);
    const csv = [
      'STT;Tên điểm;X;Y',
      ...pts.map(
        (p, i) => `${i + 1};Điểm ${i + 1};${p.n9209.toFixed(3).replace('.', ',')};${p.e9209.toFixed(3).replace('.', ',')}`,
      ),
    ].join('\r\n');
    const res = await upload(server(), owner, { name: 'khao_sat.csv', bytes: Buffer.from(csv, 'utf8') }, { id: 'survey_csv' });
    expect(res.status).to.equal(202);
    let job = (await res.json()) as JobReport;
    expect(job.status).to.equal('needs_confirmation');
    expect(job.confirmation).to.deep.include({ crs: true, encoding: false });
    expect(job.datasets[0].crs.axes.swapped).to.equal(true);
    expect(job.warnings.join()).to.match(/swapped/);
    expect(job.datasets[0].crs.proposals.map((p) => p.srid)).to.include(9209);
    const noAnswer = await call(server(), owner, 'POST', `/admin/jobs/${job.id}/confirm`, {});
    expect(noAnswer.status).to.equal(400);
    expect(((await noAnswer.json()) as { description: string }).description).to.match(/srid or proj4/);
    expect((await call(server(), owner, 'POST', `/admin/jobs/${job.id}/confirm`, { srid: 'EPSG:9209' })).status).to.equal(202);
    job = await waitForJob(server(), owner, job.id);
    expect(job.status, job.errors.join()).to.equal('published');
    const rows = await server().ctx.db.rows<{ stt: number; ten_diem: string; lon: number; lat: number }>(
      'SELECT stt, ten_diem, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM upl_survey_csv ORDER BY stt',
    );
    rows.forEach((r, i) => {
      expect(r.ten_diem).to.equal(`Điểm ${i + 1}`);
      expect(Math.abs(r.lon - pts[i].lon) * 104_000).to.be.below(1);
      expect(Math.abs(r.lat - pts[i].lat) * 110_000).to.be.below(1);
    });
    expect(server().ctx.catalog.find('survey_csv')!.sourceCrs).to.equal('EPSG:9209');
  });

  it('publishes each feature table of a GeoPackage as its own layer, in the CRS of its srs', async () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'two.gpkg');
      const p = controlPoints();
      writeGeoPackage(file, [
        {
          name: 'communes',
          srsId: 9214,
          srsWkt: 'undefined',
          features: p
            .slice(0, 4)
            .map((c, i) => ({ geometry: { type: 'Point', coordinates: [c.e9214, c.n9214] }, properties: { ten: `Xã ${i}` } })),
        },
        {
          name: 'roads',
          srsId: 4326,
          srsWkt: 'undefined',
          features: [
            {
              geometry: {
                type: 'LineString',
                coordinates: [
                  [106.1, 21.1],
                  [106.2, 21.2],
                ],
              },
              properties: { ten: 'QL1A' },
            },
          ],
        },
      ]);
      const job = await published(
        server(),
        owner,
        await upload(server(), owner, { name: 'two.gpkg', bytes: fs.readFileSync(file) }, { id: 'two_tables' }),
      );
      expect(job.layers.map((l) => [l.id, l.geometryType, l.features])).to.deep.equal([
        ['two_tables_communes', 'Point', 4],
        ['two_tables_roads', 'LineString', 1],
      ]);
      const [r] = await server().ctx.db.rows<{ lon: number; lat: number }>(
        'SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM upl_two_tables_communes ORDER BY id LIMIT 1',
      );
      expect(Math.abs(r.lon - p[0].lon) * 104_000).to.be.below(1);
      expect(Math.abs(r.lat - p[0].lat) * 110_000).to.be.below(1);
    } finally {
      tmp.remove();
    }
  });

  it('publishes a KMZ (KML is always WGS 84) without asking', async () => {
    const kml = `<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
      <Placemark><name>Chùa Vĩnh Nghiêm</name><Point><coordinates>106.4247,21.3075,0</coordinates></Point></Placemark>
      <Placemark><name>Bắc Giang</name><Point><coordinates>106.1946,21.2731,0</coordinates></Point></Placemark>
    </Document></kml>`;
    const job = await published(
      server(),
      owner,
      await upload(server(), owner, { name: 'places.kmz', bytes: await zipBytes({ 'doc.kml': kml }) }, { id: 'kml_places' }),
    );
    expect(job.layers[0]).to.deep.include({ id: 'kml_places', features: 2, geometryType: 'Point' });
    const names = await server().ctx.db.rows<{ name: string }>('SELECT name FROM upl_kml_places ORDER BY id');
    expect(names.map((n) => n.name)).to.deep.equal(['Chùa Vĩnh Nghiêm', 'Bắc Giang']);
  });

  it('serialises two replacing uploads of the same layer: both publish, one after the other', async () => {
    await published(
      server(),
      owner,
      await upload(server(), owner, { name: 's.geojson', bytes: pointCollection(['A']) }, { id: 'serial_layer' }),
    );
    const [a, b] = await Promise.all([
      upload(server(), owner, { name: 's.geojson', bytes: pointCollection(['B', 'B']) }, { id: 'serial_layer', replace: 'true' }),
      upload(
        server(),
        owner,
        { name: 's.geojson', bytes: pointCollection(['C', 'C', 'C']) },
        { id: 'serial_layer', replace: 'true' },
      ),
    ]);
    const jobs = [await published(server(), owner, a), await published(server(), owner, b)];
    expect(jobs.map((j) => j.layers[0].dataVersion).sort()).to.deep.equal([2, 3]);
    const last = jobs.find((j) => j.layers[0].dataVersion === 3)!;
    const [{ n }] = await server().ctx.db.rows<{ n: number }>('SELECT count(*)::int AS n FROM upl_serial_layer');
    expect(n).to.equal(last.layers[0].features);
    const [{ p }] = await server().ctx.db.rows<{ p: number }>('SELECT count(*)::int AS p FROM "upl$prev$serial_layer"');
    expect(p).to.equal(jobs.find((j) => j.layers[0].dataVersion === 2)!.layers[0].features);
  });

  it('fails a confirmed upload whose layer id was taken meanwhile, leaving the other upload and no staging table', async () => {
    const csv = 'ten,lon,lat\nA,106.2,21.28\n';
    const waiting = (await (
      await upload(server(), owner, { name: 'race.csv', bytes: csv }, { id: 'race_layer' })
    ).json()) as JobReport;
    expect(waiting.status).to.equal('needs_confirmation');
    await published(
      server(),
      other,
      await upload(server(), other, { name: 'race.geojson', bytes: pointCollection(['X']) }, { id: 'race_layer' }),
    );
    const before = await liveState(server());
    expect((await call(server(), owner, 'POST', `/admin/jobs/${waiting.id}/confirm`, { srid: 4326 })).status).to.equal(202);
    const job = await waitForJob(server(), owner, waiting.id);
    expect(job.status).to.equal('failed');
    expect(job.errors.join()).to.match(/race_layer" exists; send replace=true/);
    expect(await liveState(server())).to.equal(before);
    const staging = await server().ctx.db.rows("SELECT tablename FROM pg_tables WHERE starts_with(tablename, 'upl$stage$')");
    expect(staging).to.deep.equal([]);
  });

  it('cancels a job that waits for confirmation, and refuses to confirm it afterwards', async () => {
    const res = await upload(
      server(),
      owner,
      { name: 'c.csv', bytes: 'ten,lon,lat\nA,106.2,21.28\n' },
      { id: 'cancelled_layer' },
    );
    const job = (await res.json()) as JobReport;
    expect((await call(server(), other, 'POST', `/admin/jobs/${job.id}/cancel`)).status).to.equal(403);
    const cancelled = await call(server(), owner, 'POST', `/admin/jobs/${job.id}/cancel`);
    expect(((await cancelled.json()) as JobReport).status).to.equal('cancelled');
    expect((await call(server(), owner, 'POST', `/admin/jobs/${job.id}/confirm`, { srid: 4326 })).status).to.equal(404);
    expect(((await (await call(server(), owner, 'GET', `/admin/jobs/${job.id}`)).json()) as JobReport).status).to.equal(
      'cancelled',
    );
    expect(server().ctx.catalog.find('cancelled_layer')).to.equal(undefined);
    const mine = (await (await call(server(), owner, 'GET', '/admin/jobs')).json()) as { jobs: JobReport[] };
    expect(mine.jobs.find((j) => j.id === job.id)?.status).to.equal('cancelled');
    expect(mine.jobs.every((j) => j.owner === job.owner && j.ownerName === 'Chủ sở hữu')).to.equal(true);
    expect((await call(server(), other, 'GET', `/admin/jobs/${job.id}`)).status).to.equal(404);
    const all = (await (await call(server(), admin, 'GET', '/admin/jobs')).json()) as { jobs: JobReport[] };
    expect(all.jobs.some((j) => j.id === job.id)).to.equal(true);
  });

  it('shows a replaced layer in TileJSON and tiles at once, without serving the cached old tile', async () => {
    const one = (name: string) =>
      JSON.stringify({
        type: 'FeatureCollection',
        features: [{ type: 'Feature', properties: { ten: name }, geometry: { type: 'Point', coordinates: [106.2, 21.28] } }],
      });
    const tileUrl = `${server().url}/tiles/tile_refresh/12/3256/1800.mvt`;
    const namesIn = async () => {
      const res = await fetch(tileUrl);
      expect(res.status).to.equal(200);
      const l = new VectorTile(new PbfReader(Buffer.from(await res.arrayBuffer()))).layers.tile_refresh;
      return Array.from({ length: l.length }, (_, i) => l.feature(i).properties.ten);
    };
    await published(
      server(),
      owner,
      await upload(server(), owner, { name: 't.geojson', bytes: one('Cũ') }, { id: 'tile_refresh' }),
    );
    const tilejson = (await (await fetch(`${server().url}/tiles/tile_refresh.json`)).json()) as {
      vector_layers: Array<{ id: string }>;
    };
    expect(tilejson.vector_layers.map((l) => l.id)).to.deep.equal(['tile_refresh']);
    expect(await namesIn()).to.deep.equal(['Cũ']);
    await published(
      server(),
      owner,
      await upload(server(), owner, { name: 't.geojson', bytes: one('Mới') }, { id: 'tile_refresh', replace: 'true' }),
    );
    expect(await namesIn()).to.deep.equal(['Mới']);
  });
});
