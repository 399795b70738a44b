/**
 * The batched load of uploads (issue 12, speed): features cross several 5,000-row set-based INSERTs, validity is
 * tested during the load and only invalid rows are repaired, the staging table is written once with its final type,
 * and the live table has its primary key and GiST index; nothing of the load is left behind.
 */
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { dropUploadedLayer, tokenFor, upload, waitForJob } from '../fixtures/upload/http.ts';
import type { JobReport } from '../../server/upload/jobs.ts';

/** `n` small squares in Bắc Ninh as GeoJSON; feature `bowtieAt` (1-based) self-intersects. */
function squaresGeoJson(n: number, bowtieAt: number | null): string {
  const features = Array.from({ length: n }, (_, i) => {
    const x = 106.0 + (i % 200) * 0.0005;
    const y = 21.1 + Math.floor(i / 200) * 0.0005;
    const ring =
      i + 1 === bowtieAt
        ? [
            [x, y],
            [x + 0.0004, y + 0.0004],
            [x + 0.0004, y],
            [x, y + 0.0004],
            [x, y],
          ]
        : [
            [x, y],
            [x, y + 0.0004],
            [x + 0.0004, y + 0.0004],
            [x + 0.0004, y],
            [x, y],
          ];
    return {
      type: 'Feature',
      properties: { ma: `T${i + 1}`, ten: `Thửa đất số ${i + 1}`, dien_tich: 1000 + i },
      geometry: { type: 'Polygon', coordinates: [ring] },
    };
  });
  return JSON.stringify({ type: 'FeatureCollection', features });
}

forEachBackend('upload: batched load into staging', (server) => {
  let editor: string;
  before(async () => {
    editor = await tokenFor(server(), 'editor');
    for (const id of ['copy_mixed', 'copy_plain']) await dropUploadedLayer(server(), id);
  });
  after(async () => {
    for (const id of ['copy_mixed', 'copy_plain']) await dropUploadedLayer(server(), id);
  });

  const publish = async (id: string, text: string): Promise<JobReport> => {
    const res = await upload(server(), editor, { name: `${id}.geojson`, bytes: text }, { id });
    expect(res.status, await res.clone().text()).to.equal(202);
    const job = await waitForJob(server(), editor, ((await res.json()) as JobReport).id, 120_000);
    expect(job.status, job.errors.join('; ')).to.equal('published');
    return job;
  };

  it('loads 12,345 features across batches, repairs only the invalid one and promotes the rest to its Multi type', async function () {
    this.timeout(180_000);
    const job = await publish('copy_mixed', squaresGeoJson(12_345, 7));
    expect(job.layers[0]).to.include({ features: 12_345, geometryType: 'MultiPolygon' });
    expect(job.counts).to.include({ inserted: 12_345, repaired: 1, promotedToMulti: 12_344 });
    expect(job.fixes.join('\n')).to.match(/1 invalid geometries repaired with ST_MakeValid \(row 7: Self-intersection/);
    const db = server().ctx.db;
    const [g] = await db.rows<{ type: string; srid: number }>(
      "SELECT type, srid FROM geometry_columns WHERE f_table_name = 'upl_copy_mixed' AND f_geometry_column = 'geom'",
    );
    expect(g).to.deep.equal({ type: 'MULTIPOLYGON', srid: 4326 });
    const [r] = await db.rows<{ n: number; first: number; last: number; ten: string; valid: boolean }>(
      `SELECT count(*)::int AS n, min(id) AS first, max(id) AS last, bool_and(ST_IsValid(geom)) AS valid,
              (SELECT ten FROM upl_copy_mixed WHERE id = 12345) AS ten FROM upl_copy_mixed`,
    );
    expect(r).to.deep.equal({ n: 12_345, first: 1, last: 12_345, ten: 'Thửa đất số 12345', valid: true });
    const indexes = await db.rows<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE tablename = 'upl_copy_mixed'");
    expect(indexes.map((i) => i.def).join('\n'))
      .to.match(/PRIMARY KEY|_pkey/)
      .and.to.match(/USING gist \(geom\)/);
  });

  it('keeps single polygons single when the file has no multi ones and leaves no load tables behind', async function () {
    this.timeout(180_000);
    const job = await publish('copy_plain', squaresGeoJson(6_001, null));
    expect(job.layers[0]).to.include({ features: 6_001, geometryType: 'Polygon' });
    expect(job.counts).to.include({ repaired: 0, promotedToMulti: 0 });
    // Indexes keep their staging names after the rename; tables must not remain (staging nor load).
    const left = await server().ctx.db.rows("SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE 'upl$stage$%'");
    expect(left).to.deep.equal([]);
    const items = (await (await fetch(`${server().url}/collections/copy_plain/items?limit=1`)).json()) as {
      features: Array<{ properties: Record<string, unknown> }>;
    };
    expect(items.features[0].properties).to.include({ ma: 'T1', ten: 'Thửa đất số 1', dien_tich: 1000 });
  });
});
