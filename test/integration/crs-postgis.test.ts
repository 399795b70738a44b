/**
 * PostGIS transforms VN-2000 with the official EPSG:6960 shift on both backends, after migration 004:
 * every control point both ways for 4756/9214/9209/5897/3405, and Mekong-delta points where PROJ's own choice
 * (EPSG:5194) would be ~0.8 m off.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { VN2000_CRS, VN2000_TOWGS84, proj4Transformer, type Position } from '../../server/crs/index.ts';
import { applyVn2000SpatialRefSys } from '../../server/crs/spatial-ref-sys.ts';
import type { Database } from '../../server/db/database.ts';

const csv = fs.readFileSync(path.resolve(import.meta.dirname, '..', 'fixtures', 'crs', 'vn2000-control-points.csv'), 'utf8');
const controlPoints = csv
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const v = line.split(',').map(Number);
    const expected: Record<number, Position> = {
      4756: [v[2], v[3]],
      9214: [v[4], v[5]],
      9209: [v[6], v[7]],
      5897: [v[8], v[9]],
      3405: [v[10], v[11]],
    };
    return { wgs84: [v[0], v[1]] as Position, expected };
  });

/** Metres between two positions: planar for projected SRIDs, degrees scaled at 21° N otherwise (good to 1 %). */
function metres(srid: number, a: Position, b: Position): number {
  if (srid !== 4326 && srid !== 4756) return Math.hypot(a[0] - b[0], a[1] - b[1]);
  return Math.hypot((a[0] - b[0]) * 103_900, (a[1] - b[1]) * 110_700);
}

async function transform(db: Database, p: Position, from: number, to: number): Promise<Position> {
  const [row] = await db.rows<{ x: number; y: number }>(
    'SELECT ST_X(g) AS x, ST_Y(g) AS y FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(?::float8, ?::float8), ?::int), ?::int) AS g) t',
    [p[0], p[1], from, to],
  );
  return [Number(row.x), Number(row.y)];
}

forEachBackend('VN-2000 in PostGIS', (server) => {
  it('has a spatial_ref_sys row without authority and with the official towgs84 for every VN-2000 CRS', async () => {
    const rows = await server().ctx.db.rows<{ srid: number; auth_name: string | null; proj4text: string; srtext: string }>(
      'SELECT srid, auth_name, proj4text, srtext FROM spatial_ref_sys WHERE srid = ANY(?::int[]) ORDER BY srid',
      [VN2000_CRS.map((c) => c.srid)],
    );
    expect(rows.map((r) => r.srid)).to.deep.equal(VN2000_CRS.map((c) => c.srid).sort((a, b) => a - b));
    for (const r of rows) {
      expect(r.auth_name, `auth_name of ${r.srid}`).to.equal(null);
      expect(r.proj4text).to.contain(`+towgs84=${VN2000_TOWGS84}`);
      expect(r.srtext).to.contain(`TOWGS84[${VN2000_TOWGS84}]`);
    }
  });

  for (const srid of [4756, 9214, 9209, 5897, 3405]) {
    it(`transforms every control point from EPSG:4326 to EPSG:${srid} and back within 1 m (in fact 2 mm)`, async () => {
      const db = server().ctx.db;
      let maxForward = 0;
      let maxBack = 0;
      for (const p of controlPoints) {
        maxForward = Math.max(maxForward, metres(srid, await transform(db, p.wgs84, 4326, srid), p.expected[srid]));
        maxBack = Math.max(maxBack, metres(4326, await transform(db, p.expected[srid], srid, 4326), p.wgs84));
      }
      expect(controlPoints).to.have.length(30);
      expect(maxForward, `max error 4326 -> ${srid} (m)`).to.be.below(0.002);
      expect(maxBack, `max error ${srid} -> 4326 (m)`).to.be.below(0.002);
    });
  }

  it('uses the official shift in the Mekong delta too, where PROJ alone picks EPSG:5194 (~0.8 m off)', async () => {
    const db = server().ctx.db;
    for (const p of [
      [105.7, 10.0],
      [106.0, 9.5],
      [105.5, 9.3],
    ] as Position[]) {
      for (const srid of [4756, 9209, 5897]) {
        const ours = proj4Transformer(4326, srid).forward(p);
        expect(metres(srid, await transform(db, p, 4326, srid), ours), `${p} in ${srid}`).to.be.below(0.01);
      }
    }
  });

  it('transforms to the TM-3 zones PostGIS lacks out of the box (9205-9218)', async () => {
    const db = server().ctx.db;
    for (let srid = 9205; srid <= 9218; srid++) {
      const ours = proj4Transformer(4326, srid).forward([106.2, 21.28]);
      expect(metres(srid, await transform(db, [106.2, 21.28], 4326, srid), ours), `EPSG:${srid}`).to.be.below(0.01);
    }
  });

  it('changes nothing when the rows are applied again', async () => {
    expect(await applyVn2000SpatialRefSys(server().ctx.db.knex)).to.equal(0);
  });
});
