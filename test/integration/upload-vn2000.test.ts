/**
 * The "done means" scenario of issue 6: an editor uploads a zipped VN-2000 TM-3 107-00 Shapefile whose .prj carries
 * the decision's TOWGS84 signs and whose DBF text is TCVN3 without a .cpg; the server proposes EPSG:9214 and TCVN3,
 * the editor confirms, and the layer is served at the control points (within 1 m) with correct names, restricted.
 */
import { expect } from 'chai';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { forEachBackend } from '../support/servers.ts';
import { controlPoints, metres, vn2000ControlPointShapefile } from '../fixtures/upload/builders.ts';
import { call, dropUploadedLayer, tokenFor, upload, waitForJob } from '../fixtures/upload/http.ts';
import type { JobReport } from '../../server/upload/jobs.ts';

forEachBackend('upload: VN-2000 TM-3 Shapefile with TCVN3 text', (server) => {
  before(() => dropUploadedLayer(server(), 'control_points_up'));
  it('proposes EPSG:9214 and TCVN3, publishes after confirmation, and serves the points within 1 m with correct names', async function () {
    const editor = await tokenFor(server(), 'editor', 'Biên tập viên');
    const viewer = await tokenFor(server(), 'viewer');
    const { zip, names } = await vn2000ControlPointShapefile('diem_khong_che', { tcvn3FieldName: true });
    const res = await upload(
      server(),
      editor,
      { name: 'Điểm khống chế.zip', bytes: zip },
      { id: 'control_points_up', access: 'restricted', title: 'Điểm khống chế' },
    );
    expect(res.status, await res.clone().text()).to.equal(202);
    let job = (await res.json()) as JobReport;
    expect(job.status).to.equal('needs_confirmation');
    expect(job.confirmation).to.include({ crs: true, encoding: true });
    const ds = job.datasets[0];
    expect(ds.crs.proposals[0].srid).to.equal(9214);
    expect(ds.crs.reason).to.match(/TOWGS84|sign/i);
    expect(ds.encoding.encoding).to.equal('tcvn3');
    expect(ds.encoding.candidates[0].preview[0]).to.equal(names[0]);

    const confirmed = await call(server(), editor, 'POST', `/admin/jobs/${job.id}/confirm`, { srid: 9214, encoding: 'tcvn3' });
    expect(confirmed.status, await confirmed.clone().text()).to.equal(202);
    job = await waitForJob(server(), editor, job.id);
    expect(job.status, job.errors.join('; ')).to.equal('published');
    expect(job.progress).to.equal(100);
    expect(job.layers).to.deep.equal([
      { id: 'control_points_up', dataVersion: 1, features: names.length, geometryType: 'Point' },
    ]);

    const rows = await server().ctx.db.rows<{ ten: string; stt: number; lon: number; lat: number }>(
      'SELECT ten, stt, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM upl_control_points_up ORDER BY stt',
    );
    const points = controlPoints();
    expect(rows).to.have.length(points.length);
    rows.forEach((r, i) => {
      expect(metres([r.lon, r.lat], [points[i].lon, points[i].lat]), `point ${i + 1}`).to.be.below(1);
      expect(r.ten).to.equal(names[i]);
      expect(r.ten).to.equal(r.ten.normalize('NFC'));
    });

    const layer = server().ctx.catalog.find('control_points_up')!;
    expect(layer.access).to.equal('restricted');
    expect(layer.sourceCrs).to.equal('EPSG:9214');
    expect(layer.origin).to.equal('upload');
    const [holder] = await server().ctx.db.rows<{ name: string }>('SELECT name FROM api_tokens WHERE id = ?', [layer.owner]);
    expect(holder.name, 'the owner is the id of the uploading token').to.equal('Biên tập viên');
    expect(layer.column('ten')!.label.vi).to.equal('TEN');
    expect(layer.column('ghi_chu')!.label.vi).to.equal('ghi_chú');
    const [{ ghi_chu }] = await server().ctx.db.rows<{ ghi_chu: string }>('SELECT ghi_chu FROM upl_control_points_up LIMIT 1');
    expect(ghi_chu).to.equal('mốc đo đạc');

    // Served as features: hidden without a token, found with one, at the control points with the right names.
    expect((await fetch(`${server().url}/collections/control_points_up/items?limit=100`)).status).to.equal(404);
    const items = await fetch(`${server().url}/collections/control_points_up/items?limit=100`, {
      headers: { Authorization: `Bearer ${viewer}` },
    });
    expect(items.status).to.equal(200);
    const fc = (await items.json()) as {
      features: Array<{ geometry: { coordinates: [number, number] }; properties: { ten: string; stt: number } }>;
    };
    expect(fc.features).to.have.length(points.length);
    for (const f of fc.features) {
      const p = points[f.properties.stt - 1];
      expect(metres(f.geometry.coordinates, [p.lon, p.lat])).to.be.below(1);
      expect(f.properties.ten).to.equal(names[f.properties.stt - 1]);
    }

    // And as tiles: the z14 tile of the first point holds it, with its name, for a viewer; anonymous callers get 404.
    const z = 14;
    const p0 = points[0];
    const x = Math.floor(((p0.lon + 180) / 360) * 2 ** z);
    const latRad = (p0.lat * Math.PI) / 180;
    const y = Math.floor(((1 - Math.log(Math.tan(latRad) + 1 / Math.cos(latRad)) / Math.PI) / 2) * 2 ** z);
    const tile = await fetch(`${server().url}/tiles/control_points_up/${z}/${x}/${y}.mvt`, {
      headers: { Authorization: `Bearer ${viewer}` },
    });
    expect(tile.status).to.equal(200);
    const layerInTile = new VectorTile(new PbfReader(Buffer.from(await tile.arrayBuffer()))).layers.control_points_up;
    const tileNames = Array.from({ length: layerInTile.length }, (_, i) => layerInTile.feature(i).properties.ten);
    expect(tileNames).to.include(names[0]);
    expect((await fetch(`${server().url}/tiles/control_points_up/${z}/${x}/${y}.mvt`)).status).to.equal(404);
  });
});
