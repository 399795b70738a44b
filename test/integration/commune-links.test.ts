/**
 * Old commune codes reach the units of 1 July 2025 (issue 14): an uploaded file whose column `ma_xa` holds old codes
 * (one without its leading zero, one no mapping knows) is published with commune_code_2025 / commune_name_2025 from
 * the crosswalk, the report naming the column and counting what was not linked; a BTS station added or moved through
 * the edit API carries its commune at once (migration 016's trigger), not at the next refresh.
 */
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { call, dropUploadedLayer, tokenFor, upload, waitForJob } from '../fixtures/upload/http.ts';
import type { JobReport } from '../../server/upload/jobs.ts';
import { communeCodeKey, communeNameKey, recogniseCommuneColumn } from '../../server/units/old-codes.ts';

type Unit = { old_code: string; old_full_name: string; new_code: string; new_name: string; x: number; y: number };

forEachBackend('units: old commune codes in uploads and edits', (server) => {
  let admin: string;
  let units: Unit[];
  before(async () => {
    admin = await tokenFor(server(), 'admin');
    await dropUploadedLayer(server(), 'old_codes_upload');
    await dropUploadedLayer(server(), 'old_names_upload');
    // Two old communes merged whole into two different new units, and a point inside each new unit.
    units = await server().ctx.db.rows<Unit>(
      `SELECT DISTINCT ON (m.new_code) m.old_code, m.old_full_name, m.new_code, u.name AS new_name,
              ST_X(ST_PointOnSurface(u.geom)) AS x, ST_Y(ST_PointOnSurface(u.geom)) AS y
         FROM admin_unit_mapping m JOIN admin_communes_2025 u ON u.code = m.new_code
        WHERE m.kind = 'full' AND m.old_code <> m.new_code
          AND NOT EXISTS (SELECT 1 FROM admin_unit_mapping o WHERE o.old_code = m.old_code AND o.new_code <> m.new_code)
        ORDER BY m.new_code, m.old_code LIMIT 2`,
    );
    expect(units).to.have.length(2);
  });
  after(async () => {
    await dropUploadedLayer(server(), 'old_codes_upload');
    await dropUploadedLayer(server(), 'old_names_upload');
  });

  it('recognises typical column names and reads codes without their leading zero', () => {
    const col = (name: string, type = 'string') => ({ name, label: name.toUpperCase(), type });
    expect(recogniseCommuneColumn([col('ten'), col('ma_xa', 'integer')])).to.deep.equal({
      column: 'ma_xa',
      label: 'MA_XA',
      kind: 'code',
    });
    expect(recogniseCommuneColumn([col('maxa')])?.kind).to.equal('code');
    expect(recogniseCommuneColumn([col('ma_dvhc')])?.kind).to.equal('code');
    expect(recogniseCommuneColumn([col('commune_code')])?.kind).to.equal('code');
    expect(recogniseCommuneColumn([col('ten_xa')])).to.include({ column: 'ten_xa', kind: 'name' });
    expect(recogniseCommuneColumn([col('ten_xa'), col('commune_code_2025')])).to.equal(null);
    expect(recogniseCommuneColumn([col('dien_tich', 'number')])).to.equal(null);
    expect(communeCodeKey('7201')).to.equal('07201');
    expect(communeCodeKey('07201.0')).to.equal('07201');
    expect(communeCodeKey('abc')).to.equal(null);
    expect(communeNameKey('Xã Tân Dĩnh')).to.equal('tan dinh');
  });

  it('links an uploaded column of old codes to the new units, reports the column and counts what it could not link', async () => {
    const [a, b] = units;
    const point = (u: Unit, ma: string | number | null, ten: string) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [u.x, u.y] },
      properties: { ten, ma_xa: ma },
    });
    const fc = {
      type: 'FeatureCollection',
      features: [
        point(a, a.old_code, 'một'),
        point(b, Number(b.old_code), 'hai'), // written as a number: its leading zero is gone
        point(a, '99999', 'ba'),
        point(b, null, 'bốn'),
      ],
    };
    const res = await upload(server(), admin, { name: 'old.geojson', bytes: JSON.stringify(fc) }, { id: 'old_codes_upload' });
    expect(res.status, await res.clone().text()).to.equal(202);
    const job = await waitForJob(server(), admin, ((await res.json()) as JobReport).id);
    expect(job.status, job.errors.join('; ')).to.equal('published');
    expect(job.datasets[0].communeColumn).to.include({ column: 'ma_xa', kind: 'code', linked: 2, unmapped: 1, empty: 1 });
    expect(job.warnings.join(' ')).to.match(/1 features have a commune code in column "ma_xa".*"99999"/);
    const items = (await (await call(server(), admin, 'GET', '/collections/old_codes_upload/items?sortby=ten')).json()) as {
      features: Array<{ properties: Record<string, unknown> }>;
    };
    const byName = new Map(items.features.map((f) => [f.properties.ten, f.properties]));
    expect(byName.size).to.equal(4);
    expect(byName.get('một')).to.include({ commune_code_2025: a.new_code, commune_name_2025: a.new_name });
    expect(byName.get('hai')).to.include({ commune_code_2025: b.new_code, commune_name_2025: b.new_name });
    expect(byName.get('ba')).to.include({ commune_code_2025: null, ma_xa: '99999' });
    expect(byName.get('một')!.ma_xa).to.equal(a.old_code); // the uploaded value is unchanged
  });

  it('links a column of old commune names (type word and diacritics as written) the same way', async () => {
    const [a] = units;
    const fc = {
      type: 'FeatureCollection',
      features: [
        a.old_full_name,
        a.old_full_name
          .normalize('NFD')
          .replace(/[\u0300-\u036f]/g, '')
          .toUpperCase(),
        'Xã Không Có',
      ].map((ten_xa, i) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [a.x, a.y] },
        properties: { n: i, ten_xa },
      })),
    };
    const res = await upload(server(), admin, { name: 'names.geojson', bytes: JSON.stringify(fc) }, { id: 'old_names_upload' });
    expect(res.status, await res.clone().text()).to.equal(202);
    const job = await waitForJob(server(), admin, ((await res.json()) as JobReport).id);
    expect(job.status, job.errors.join('; ')).to.equal('published');
    expect(job.datasets[0].communeColumn).to.include({ column: 'ten_xa', kind: 'name', linked: 2, unmapped: 1 });
    const items = (await (await call(server(), admin, 'GET', '/collections/old_names_upload/items?sortby=n')).json()) as {
      features: Array<{ properties: Record<string, unknown> }>;
    };
    expect(items.features.map((f) => f.properties.commune_code_2025)).to.deep.equal([a.new_code, a.new_code, null]);
  });

  it('gives a BTS station added or moved through the edit API its commune of 1 July 2025 at write time', async () => {
    const [a, b] = units;
    const created = await fetch(`${server().url}/collections/bts_stations/items`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/geo+json' },
      body: JSON.stringify({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [a.x, a.y] },
        properties: {
          station_code: 'TEST-016',
          operator: 'Viettel',
          technology: '4G',
          height_m: 30,
          commune_name: 'Thử',
          district_name: 'Thử',
        },
      }),
    });
    expect(created.status, await created.clone().text()).to.equal(201);
    const feature = (await created.json()) as { id: number; properties: Record<string, unknown> };
    expect(feature.properties).to.include({ commune_code_2025: a.new_code, commune_name_2025: a.new_name });
    const moved = await fetch(`${server().url}/collections/bts_stations/items/${feature.id}`, {
      method: 'PATCH',
      headers: {
        Authorization: `Bearer ${admin}`,
        'Content-Type': 'application/merge-patch+json',
        'If-Match': created.headers.get('etag')!,
      },
      body: JSON.stringify({ geometry: { type: 'Point', coordinates: [b.x, b.y] } }),
    });
    expect(moved.status, await moved.clone().text()).to.equal(200);
    expect(((await moved.json()) as { properties: Record<string, unknown> }).properties).to.include({
      commune_code_2025: b.new_code,
    });
    const del = await fetch(`${server().url}/collections/bts_stations/items/${feature.id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${admin}`, 'If-Match': '*' },
    });
    expect(del.status).to.equal(204);
  });
});
