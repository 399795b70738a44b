import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { defaultDataDir } from '../../server/seed/demo.ts';
import { loadMapping } from '../../server/units/mapping.ts';
import type { CrosswalkAnswer } from '../../server/units/crosswalk.ts';

const mapping = loadMapping(defaultDataDir);

interface SearchHit {
  type: string;
  layer: string;
  name: string;
  fullName?: string | null;
  now_in?: { code: string; name: string };
}

forEachBackend('units of 1 July 2025', (server) => {
  const db = () => server().ctx.db;
  const crosswalk = async (query: string): Promise<{ status: number; body: CrosswalkAnswer & { description?: string } }> => {
    const res = await fetch(`${server().url}/units/crosswalk?${query}`);
    return { status: res.status, body: (await res.json()) as CrosswalkAnswer & { description?: string } };
  };

  it('holds the 99 new communes and wards with the codes, names and types of the mapping, valid from 2025-07-01', async () => {
    type Row = {
      code: string;
      full_name: string;
      name: string;
      type: string;
      vintage: string;
      valid_from: string;
      valid_to: null;
    };
    const rows = await db().rows<Row>(
      `SELECT code, full_name, name, type, vintage, to_char(valid_from, 'YYYY-MM-DD') AS valid_from, valid_to
       FROM admin_communes_2025 ORDER BY code`,
    );
    expect(rows.map((r) => [r.code, r.full_name])).to.deep.equal(mapping.newUnits.map((u) => [u.code, u.fullName]));
    for (const r of rows) {
      expect(`${r.type} ${r.name}`, r.code).to.equal(r.full_name);
      expect(r.type, r.code).to.be.oneOf(['Xã', 'Phường']);
      expect(r.valid_from, r.code).to.equal('2025-07-01');
      expect(r.valid_to, r.code).to.equal(null);
      expect(r.vintage, r.code).to.match(/2025-07-01/);
    }
  });

  it('lets no two new units overlap (their intersections add up to less than 1e-6 of the area)', async () => {
    const [r] = await db().rows<{ shared: number; total: number }>(
      `SELECT coalesce((SELECT sum(ST_Area(ST_Intersection(a.geom, b.geom))) FROM admin_communes_2025 a
                JOIN admin_communes_2025 b ON a.id < b.id AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)), 0) AS shared,
              (SELECT sum(ST_Area(geom)) FROM admin_communes_2025) AS total`,
    );
    expect(r.shared / r.total).to.be.below(1e-6);
  });

  it('covers the old communes, each wholly inside its unit, with the area of today’s province outline', async () => {
    // Predicates and sums of areas (units and communes are each disjoint): a union of all of them is fragile in
    // embedded GEOS, where a topology exception comes back as no rows.
    const [r] = await db().rows<{ uncovered: number; units: number; communes: number; province: number }>(
      `SELECT (SELECT count(*) FROM admin_communes c JOIN admin_communes_2025 u ON u.code = c.now_code
               WHERE NOT ST_Covers(ST_Buffer(u.geom, 0.000001), c.geom))::int AS uncovered,
              (SELECT sum(ST_Area(geom)) FROM admin_communes_2025) AS units,
              (SELECT sum(ST_Area(geom)) FROM admin_communes) AS communes,
              (SELECT ST_Area(geom) FROM admin_provinces_2025) AS province`,
    );
    expect(r.uncovered).to.equal(0);
    expect(Math.abs(r.units - r.communes) / r.communes).to.be.below(1e-6);
    // The province outline also fills the sliver holes left between the thinned communes.
    expect(r.province).to.be.at.least(r.communes * (1 - 1e-6));
    expect(r.province).to.be.below(r.communes * 1.01);
  });

  it('draws every unit that is not approximate as the dissolve of the 2009 communes of its old codes (area within 0.1 %)', async () => {
    const rows = await db().rows<{ code: string; area: number; dissolved: number | null }>(
      `SELECT u.code, ST_Area(u.geom) AS area,
         (SELECT ST_Area(ST_Union(c.geom)) FROM admin_communes c WHERE c.code = ANY(string_to_array(u.old_codes, ','))) AS dissolved
       FROM admin_communes_2025 u WHERE NOT u.approximate ORDER BY u.code`,
    );
    expect(rows.length).to.be.greaterThan(50);
    for (const r of rows) {
      expect(r.dissolved, r.code).to.not.equal(null);
      expect(Math.abs(r.area - r.dissolved!) / r.dissolved!, r.code).to.be.below(0.001);
    }
    const approx = await db().rows<{ method: string }>('SELECT method FROM admin_communes_2025 WHERE approximate');
    for (const r of approx) expect(r.method).to.match(/^Approximate, not legal/);
  });

  it('ends the 2009 communes, the districts and the old provinces on 2025-06-30 and starts the new province on 2025-07-01', async () => {
    const rows = await db().rows<{ t: string; n: number; valid_to: string | null; valid_from: string | null }>(
      `SELECT t, count(*)::int AS n, to_char(valid_to, 'YYYY-MM-DD') AS valid_to, to_char(valid_from, 'YYYY-MM-DD') AS valid_from FROM (
         SELECT 'communes' AS t, valid_from, valid_to FROM admin_communes
         UNION ALL SELECT 'districts', valid_from, valid_to FROM admin_districts
         UNION ALL SELECT 'provinces', valid_from, valid_to FROM admin_provinces
         UNION ALL SELECT 'provinces', valid_from, valid_to FROM admin_provinces_2025) x
       GROUP BY t, valid_from, valid_to ORDER BY t, valid_to`,
    );
    expect(rows).to.deep.equal([
      { t: 'communes', n: 358, valid_to: '2025-06-30', valid_from: null },
      { t: 'districts', n: 18, valid_to: '2025-06-30', valid_from: null },
      { t: 'provinces', n: 2, valid_to: '2025-06-30', valid_from: null },
      { t: 'provinces', n: 1, valid_to: null, valid_from: '2025-07-01' },
    ]);
  });

  it('answers every old code of the mapping with the new unit it went into, whole', async () => {
    for (const old of mapping.oldUnits) {
      const { status, body } = await crosswalk(`code=${old.code}`);
      expect(status, old.code).to.equal(200);
      const reading = body.matches.find((m) => m.role === 'old' && m.vintage === '2025-03-01');
      expect(reading, old.code).to.not.equal(undefined);
      if (reading?.role !== 'old' || reading.vintage !== '2025-03-01') continue;
      expect(reading.full_name).to.equal(old.fullName);
      expect(reading.now.map((n) => [n.code, n.kind, n.share])).to.deep.equal(
        old.splits.map((s) => [s.code, s.kind, s.kind === 'full' ? 1 : null]),
      );
    }
  });

  it('answers every new code with the old units it came from and the 2009 communes it was drawn from', async () => {
    for (const unit of mapping.newUnits) {
      const { status, body } = await crosswalk(`code=${unit.code}`);
      expect(status, unit.code).to.equal(200);
      const reading = body.matches.find((m) => m.role === 'new');
      if (reading?.role !== 'new') throw new Error(`${unit.code}: no reading as a new unit`);
      expect(reading.full_name).to.equal(unit.fullName);
      expect(reading.from.map((f) => [f.code, f.kind])).to.have.deep.members(unit.merges.map((m) => [m.code, m.kind]));
      expect(reading.communes_2009.length, unit.code).to.be.greaterThan(0);
    }
  });

  it('reads a code that names a unit before and after (07210) both ways', async () => {
    const { body } = await crosswalk('code=07210');
    expect(body.matches.map((m) => [m.role, m.full_name])).to.deep.equal([
      ['old', 'Phường Hoàng Văn Thụ'],
      ['new', 'Phường Bắc Giang'],
    ]);
  });

  it('finds an old commune by name without diacritics, with the share of its area in today’s unit', async () => {
    for (const name of ['tan dinh', 'Tân Dĩnh', 'XÃ TÂN DĨNH']) {
      const { status, body } = await crosswalk(`name=${encodeURIComponent(name)}`);
      expect(status, name).to.equal(200);
      const c2009 = body.matches.find((m) => m.role === 'old' && m.vintage === '2009');
      if (c2009?.role !== 'old' || c2009.vintage !== '2009') throw new Error(`${name}: no 2009 commune`);
      expect(c2009.full_name).to.equal('Xã Tân Dĩnh');
      expect(c2009.now).to.have.length(1);
      expect(c2009.now[0]).to.include({ code: '07432', full_name: 'Xã Tân Dĩnh', share_from: 'area' });
      expect(c2009.now[0].share).to.be.within(0.999, 1);
      expect(body.matches.some((m) => m.role === 'new' && m.code === '07432')).to.equal(true);
    }
  });

  it('answers 400 naming the parameter for bad input and 404 for unknown codes and names', async () => {
    const bad = [
      ['', 'code'],
      ['code=12', 'code'],
      ['code=abcde', 'code'],
      ['name=%20', 'name'],
      ['code=07210&name=x', 'name'],
      ['q=x', 'q'],
      ['code=1&code=2', 'code'],
    ];
    for (const [q, param] of bad) {
      const { status, body } = await crosswalk(q);
      expect(status, q).to.equal(400);
      expect(body.description, q).to.contain(`"${param}"`);
    }
    expect((await crosswalk('code=99999')).status).to.equal(404);
    expect((await crosswalk('name=Atlantis')).status).to.equal(404);
  });

  it('finds "tan dinh" in search as the old commune, saying which new unit it lies in now, and the new unit itself', async () => {
    const res = await fetch(`${server().url}/search?q=tan%20dinh&limit=50`);
    expect(res.status).to.equal(200);
    const { results } = (await res.json()) as { results: SearchHit[] };
    const old = results.find((r) => r.layer === 'admin_communes' && r.name === 'Tân Dĩnh');
    expect(old, 'the 2009 commune').to.not.equal(undefined);
    expect(old!.now_in).to.deep.equal({ code: '07432', name: 'Xã Tân Dĩnh' });
    const now = results.find((r) => r.layer === 'admin_communes_2025' && r.name === 'Tân Dĩnh');
    expect(now, 'the unit of today').to.not.equal(undefined);
    expect(now).to.not.have.property('now_in');
  });

  it('finds a new unit that has a new name directly by that name', async () => {
    const res = await fetch(`${server().url}/search?q=${encodeURIComponent('phuong bac giang')}`);
    const { results } = (await res.json()) as { results: SearchHit[] };
    expect(results.find((r) => r.layer === 'admin_communes_2025')).to.include({
      name: 'Bắc Giang',
      fullName: 'Phường Bắc Giang',
    });
  });
});
