import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';

forEachBackend('demo planning layers', (server) => {
  const db = () => server().ctx.db;
  const url = (p: string) => `${server().url}${p}`;

  it('lists the land-use plan, the transport plan and the post offices among the collections', async () => {
    const res = await fetch(url('/collections'), { headers: { Accept: 'application/json' } });
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { collections: Array<{ id: string }> };
    expect(body.collections.map((c) => c.id)).to.include.members(['landuse_plan_2030', 'transport_plan', 'post_offices']);
  });

  it('carries current and planned use for every parcel of Bắc Giang city, Việt Yên and Hiệp Hòa, and only there', async () => {
    const [r] = await db().rows<{ plan: number; parcels: number; elsewhere: number; mismatched: number; changed: number }>(
      `SELECT (SELECT count(*) FROM landuse_plan_2030)::int AS plan,
              (SELECT count(*) FROM landuse_parcels WHERE district_name IN ('Bắc Giang', 'Việt Yên', 'Hiệp Hòa'))::int AS parcels,
              (SELECT count(*) FROM landuse_plan_2030 WHERE district_name NOT IN ('Bắc Giang', 'Việt Yên', 'Hiệp Hòa'))::int AS elsewhere,
              (SELECT count(*) FROM landuse_plan_2030 p JOIN landuse_parcels l ON l.id = p.parcel_id
                 WHERE l.code <> p.current_code OR NOT ST_Equals(l.geom, p.geom) OR p.changed <> (p.code <> p.current_code))::int AS mismatched,
              (SELECT count(*) FROM landuse_plan_2030 WHERE changed)::int AS changed`,
    );
    expect(r.plan).to.equal(r.parcels);
    expect(r.plan).to.be.greaterThan(0);
    expect(r.elsewhere).to.equal(0);
    expect(r.mismatched).to.equal(0);
    expect(r.changed).to.be.within(1, r.plan * 0.5);
  });

  it('summarises what the plan changes: hectares per commune from farmland to industry and urban land', async () => {
    const rows = await db().rows<{ commune_name: string; current_code: string; planned_code: string; area_ha: string }>(
      'SELECT commune_name, current_code, planned_code, area_ha FROM landuse_plan_2030_changes ORDER BY area_ha DESC',
    );
    expect(rows.length).to.be.greaterThan(0);
    for (const r of rows) {
      expect(['LUC', 'LUK', 'HNK', 'CLN', 'NTS'], r.current_code).to.include(r.current_code);
      expect(['SKK', 'SKN', 'ODT', 'TMD'], r.planned_code).to.include(r.planned_code);
      expect(Number(r.area_ha)).to.be.greaterThan(0);
    }
    expect(rows.map((r) => r.planned_code)).to.include('SKK');
  });

  it('plans new and upgraded roads, each with a status and a horizon year', async () => {
    const rows = await db().rows<{ status: string; n: number; min_year: number; max_year: number }>(
      `SELECT status, count(*)::int AS n, min(horizon_year) AS min_year, max(horizon_year) AS max_year
       FROM transport_plan GROUP BY status ORDER BY status`,
    );
    expect(rows.map((r) => r.status)).to.deep.equal(['planned', 'upgrade']);
    for (const r of rows) {
      expect(r.min_year).to.be.within(2021, 2030);
      expect(r.max_year).to.be.within(2021, 2030);
    }
  });

  it('puts a post office in every commune, beside a BTS station of it wherever the commune has one', async () => {
    const [r] = await db().rows<{ communes: number; offices: number; far: number; no_station_but_has_one: number }>(
      `SELECT (SELECT count(*) FROM admin_communes WHERE type IS NOT NULL)::int AS communes,
              (SELECT count(DISTINCT commune_name || district_name) FROM post_offices)::int AS offices,
              (SELECT count(*) FROM post_offices p JOIN bts_stations b ON b.station_code = p.bts_station_code
                 WHERE ST_Distance(p.geom::geography, b.geom::geography) > 60)::int AS far,
              (SELECT count(*) FROM post_offices p JOIN admin_communes c ON c.name = p.commune_name AND c.district_name = p.district_name
                 WHERE p.bts_station_code IS NULL AND EXISTS (SELECT 1 FROM bts_stations b WHERE ST_Intersects(c.geom, b.geom)))::int
                 AS no_station_but_has_one`,
    );
    expect(r.offices).to.be.at.least(r.communes - 5); // a few communes share a name within a district
    expect(r.far).to.equal(0);
    expect(r.no_station_but_has_one).to.equal(0);
  });
});
