/**
 * Hostile and broken uploads (issue 6, "Bad input"): each answers the right status with a message naming the
 * problem, and leaves the live layers, the catalog, the upload tables and the audit log exactly as they were.
 */
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { controlPoints, dbfBytes, prjTm3, shpBytes, zipBytes } from '../fixtures/upload/builders.ts';
import { dropUploadedLayer, liveState, tokenFor, upload, waitForJob } from '../fixtures/upload/http.ts';
import type { JobReport } from '../../server/upload/jobs.ts';

const goodGeoJson = JSON.stringify({
  type: 'FeatureCollection',
  features: [{ type: 'Feature', properties: { name: 'Bắc Giang' }, geometry: { type: 'Point', coordinates: [106.2, 21.28] } }],
});

async function shapefileParts(): Promise<Record<string, Buffer | string>> {
  const p = controlPoints().slice(0, 3);
  const { shp, shx } = shpBytes(p.map((c) => ({ type: 'Point', coordinates: [c.e9214, c.n9214] })));
  const dbf = dbfBytes(
    [{ name: 'STT', type: 'N', length: 4, decimals: 0 }],
    p.map((_, i) => [i + 1]),
  );
  return { 'a.shp': shp, 'a.shx': shx, 'a.dbf': dbf, 'a.prj': prjTm3(107, null) };
}

/** A zip whose entry climbs out with "../" (yazl refuses to write one, so the name is patched in the bytes). */
async function traversalZip(): Promise<Buffer> {
  const zip = await zipBytes({ 'xx/evil.geojson': goodGeoJson });
  const from = Buffer.from('xx/evil.geojson');
  const to = Buffer.from('../evil.geojson');
  for (let i = zip.indexOf(from); i >= 0; i = zip.indexOf(from, i + 1)) to.copy(zip, i);
  return zip;
}

forEachBackend('upload: bad input leaves the live data unchanged', (server) => {
  let editor: string;
  let viewer: string;
  before(async () => {
    editor = await tokenFor(server(), 'editor');
    viewer = await tokenFor(server(), 'viewer');
    await dropUploadedLayer(server(), 'existing_layer');
    const res = await upload(server(), editor, { name: 'existing.geojson', bytes: goodGeoJson }, { id: 'existing_layer' });
    expect(res.status, await res.clone().text()).to.equal(202);
    const job = await waitForJob(server(), editor, ((await res.json()) as JobReport).id);
    expect(job.status, job.errors.join()).to.equal('published');
  });

  const cases: Array<{
    it: string;
    token?: 'none' | 'viewer';
    file: () => Promise<{ name: string; bytes: Buffer | string }>;
    fields?: Record<string, string>;
    maxMb?: number;
    status: number;
    message: RegExp;
  }> = [
    {
      it: 'answers 401 without a token',
      token: 'none',
      file: async () => ({ name: 'x.geojson', bytes: goodGeoJson }),
      status: 401,
      message: /token/,
    },
    {
      it: 'answers 403 to a viewer token',
      token: 'viewer',
      file: async () => ({ name: 'x.geojson', bytes: goodGeoJson }),
      status: 403,
      message: /editor role.*viewer/,
    },
    {
      it: 'answers 413 for an upload over UPLOAD_MAX_MB',
      maxMb: 1,
      file: async () => ({ name: 'big.geojson', bytes: Buffer.alloc(1_200_000, 0x20) }),
      status: 413,
      message: /1 MiB/,
    },
    {
      it: 'answers 413 from Content-Length alone, before reading the body',
      maxMb: 1,
      file: async () => ({ name: 'huge.geojson', bytes: Buffer.alloc(8 << 20, 0x20) }),
      status: 413,
      message: /UPLOAD_MAX_MB/,
    },
    {
      it: 'answers 415 naming the accepted formats for a .dxf',
      file: async () => ({ name: 'drawing.dxf', bytes: '0\nSECTION\n' }),
      status: 415,
      message: /GeoJSON.*Shapefile.*GeoPackage.*KML.*CSV/,
    },
    {
      it: 'answers 400 for a zip bomb before extracting anything',
      file: async () => ({ name: 'bomb.zip', bytes: await zipBytes({ 'a.geojson': Buffer.alloc(60 << 20, 0x20) }) }),
      status: 400,
      message: /zip bomb/,
    },
    {
      it: 'answers 400 for a "../" entry before extracting anything',
      file: async () => ({ name: 'evil.zip', bytes: await traversalZip() }),
      status: 400,
      message: /\.\.\/evil\.geojson.*climbs out/,
    },
    {
      it: 'answers 400 naming the .dbf when a zipped Shapefile has none',
      file: async () => {
        const { 'a.dbf': _dbf, ...rest } = await shapefileParts();
        return { name: 'nodbf.zip', bytes: await zipBytes(rest) };
      },
      status: 400,
      message: /a\.shp" has no \.dbf/,
    },
    {
      it: 'answers 400 naming the .shx when a zipped Shapefile has none',
      file: async () => {
        const { 'a.shx': _shx, ...rest } = await shapefileParts();
        return { name: 'noshx.zip', bytes: await zipBytes(rest) };
      },
      status: 400,
      message: /has no \.shx/,
    },
    {
      it: 'answers 400 with line and column for broken GeoJSON',
      file: async () => ({
        name: 'broken.geojson',
        bytes: '{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature" "geometry": null}\n ]}',
      }),
      status: 400,
      message: /line 3, column 22/,
    },
    {
      it: 'answers 400 naming the row of a non-numeric CSV coordinate',
      file: async () => ({ name: 'points.csv', bytes: 'ten,lon,lat\nA,106.2,21.28\nB,106.3,abc\n' }),
      status: 400,
      message: /row 2 \(line 3\): column "lat" value "abc" is not a number/,
    },
    {
      it: 'answers 409 for an existing layer id without replace',
      file: async () => ({ name: 'x.geojson', bytes: goodGeoJson }),
      fields: { id: 'existing_layer' },
      status: 409,
      message: /existing_layer.*replace=true/,
    },
    {
      it: 'answers 400 suggesting another zone when the data falls outside Vietnam',
      file: async () => ({ name: 'wrongzone.zip', bytes: await zipBytes(await shapefileParts()) }),
      fields: { srid: '5896', id: 'wrong_zone' },
      status: 400,
      message: /outside Vietnam.*EPSG:5896.*wrong zone.*EPSG:9214/,
    },
  ];

  for (const c of cases) {
    it(c.it, async () => {
      const before = await liveState(server());
      const config = server().ctx.config;
      const saved = config.uploadMaxMb;
      if (c.maxMb) config.uploadMaxMb = c.maxMb;
      try {
        const token = c.token === 'none' ? null : c.token === 'viewer' ? viewer : editor;
        const res = await upload(server(), token, await c.file(), c.fields);
        const body = (await res.json()) as { code: string; description: string };
        expect(res.status, body.description).to.equal(c.status);
        expect(body.description).to.match(c.message);
      } finally {
        config.uploadMaxMb = saved;
      }
      expect(await liveState(server())).to.equal(before);
    });
  }
});
