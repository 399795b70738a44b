/**
 * BTS stations (generated): about 2,000 per unit of scale, shared among communes by a weight that
 * grows with population (more so in wards and towns, where traffic is) and with area (coverage of
 * the countryside and the hills). Points are drawn inside each commune, almost half of them in a
 * 60 m band along its roads, by ST_GeneratePoints with a fixed seed; operator, technology and height are hashed from the station id.
 */
import { sqlHashUnit } from './random.ts';
import type { Sql } from './sql.ts';

/** Stations per unit of scale. */
export const stationsPerScale = 2_000;

/** Population multiplier by commune type: urban traffic needs more, smaller cells. */
const urbanFactor: Record<string, number> = { Phường: 2.4, 'Thị trấn': 1.7, Xã: 1 };
/** Share of a commune's stations placed along its roads (the rest anywhere in it), rounded by a seeded draw. */
const roadShare = 0.45;
/** Weight per hectare, so large thinly settled communes still get coverage. */
const weightPerHa = 2.5;

/** Splits `total` among `weights` by largest remainder: integers that sum to `total`, deterministically. */
export function apportion(weights: number[], total: number): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  const exact = weights.map((w) => (sum > 0 ? (w / sum) * total : 0));
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((s, c) => s + c, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    counts[i]++;
  }
  return counts;
}

/** Fills `bts_stations`; returns the number of stations. */
export async function seedBts(sql: Sql, scale: number): Promise<number> {
  const communes = await sql<{ id: number; type: string | null; population: number | null; area_ha: number }>(
    `SELECT id, type, population_2009 AS population, ST_Area(geom::geography) / 10000 AS area_ha
     FROM admin_communes ORDER BY id`,
  );
  const weights = communes.map((c) =>
    c.type === null ? c.area_ha * weightPerHa * 0.3 : (c.population ?? 0) * (urbanFactor[c.type] ?? 1) + c.area_ha * weightPerHa,
  );
  const counts = apportion(weights, Math.round(stationsPerScale * scale));
  const plan = communes.map((c, i) => ({ id: c.id, n: counts[i] })).filter((p) => p.n > 0);
  const u = (salt: string) => sqlHashUnit(`'${salt}:' || g.id`);
  await sql(
    `INSERT INTO bts_stations (id, station_code, operator, technology, height_m, commune_name, district_name, geom)
     WITH split AS (
       -- A share of each commune's stations stands within about 60 m of its roads, where traffic is.
       SELECT c.id, c.type, c.name, c.district_name, c.province_code, c.geom, p.n,
         CASE WHEN r.band IS NULL OR ST_IsEmpty(r.band) THEN 0
              ELSE least(p.n, floor(p.n * ?::float8 + ${sqlHashUnit("'road:' || c.id")}))::int END AS n_road,
         r.band
       FROM jsonb_to_recordset(?::jsonb) AS p(id int, n int)
       JOIN admin_communes c ON c.id = p.id
       CROSS JOIN LATERAL (
         SELECT ST_CollectionExtract(ST_Intersection(c.geom, ST_Buffer(ST_Collect(r.geom), 0.0006)), 3) AS band
         FROM roads r WHERE r.geom && c.geom AND ST_Intersects(r.geom, c.geom)) r
     ), road_pts AS (
       SELECT s.id, d.path[1] AS k, d.geom
       FROM split s CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(s.band, s.n_road, 5000 + s.id)) d
       WHERE s.n_road > 0
     ), g AS (
       -- the rest anywhere in the commune: as many as the band did not take, so the total stays exact
       SELECT row_number() OVER (ORDER BY x.id, x.src, x.k)::int AS id, s.type, s.name, s.district_name, s.province_code, x.geom
       FROM (
         SELECT s.id, 0 AS src, d.path[1] AS k, d.geom
         FROM split s CROSS JOIN LATERAL (SELECT s.n - (SELECT count(*) FROM road_pts r WHERE r.id = s.id)::int AS n_rest) m
         CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(s.geom, m.n_rest, 1000 + s.id)) d
         WHERE m.n_rest > 0
         UNION ALL
         SELECT id, 1, k, geom FROM road_pts
       ) x JOIN split s ON s.id = x.id
     ), a AS (
       SELECT g.*, ${u('operator')} AS uo, ${u('tech')} AS ut, ${u('height')} AS uh FROM g
     ), b AS (
       SELECT a.*,
         CASE WHEN uo < 0.46 THEN 'Viettel' WHEN uo < 0.72 THEN 'VinaPhone' WHEN uo < 0.94 THEN 'MobiFone' ELSE 'Vietnamobile' END AS operator,
         CASE WHEN type IN ('Phường', 'Thị trấn')
              THEN CASE WHEN ut < 0.22 THEN '5G' WHEN ut < 0.85 THEN '4G' WHEN ut < 0.95 THEN '3G' ELSE '2G' END
              ELSE CASE WHEN ut < 0.04 THEN '5G' WHEN ut < 0.7 THEN '4G' WHEN ut < 0.88 THEN '3G' ELSE '2G' END END AS technology
       FROM a
     )
     SELECT id,
       CASE province_code WHEN '24' THEN 'BGG' ELSE 'BNH' END
         || '-' || CASE operator WHEN 'Viettel' THEN 'VT' WHEN 'VinaPhone' THEN 'VP' WHEN 'MobiFone' THEN 'MF' ELSE 'VN' END
         || '-' || lpad(id::text, 5, '0'),
       operator, technology,
       -- rooftop masts in wards and towns (12-30 m), free-standing towers elsewhere (30-60 m); 0.5 m steps
       round((CASE WHEN type IN ('Phường', 'Thị trấn') THEN 12 + 18 * uh ELSE 30 + 30 * uh END) * 2) / 2,
       name, district_name, geom
     FROM b`,
    [roadShare, JSON.stringify(plan)],
  );
  return plan.reduce((s, p) => s + p.n, 0);
}
