/** Places: one point per commune (ST_PointOnSurface) plus the cities and the town of Từ Sơn as wholes. */
import type { Sql } from './sql.ts';

/** A commune seat as the road generator sees it: lon/lat in EPSG:4326. */
export interface Seat {
  id: number;
  key: string;
  name: string;
  type: string;
  districtCode: string;
  districtName: string;
  lon: number;
  lat: number;
}

/**
 * Fills `places`. Districts that are a city (Thành phố) or a town (Thị xã) get a point of their own,
 * with the district population; every commune gets one at a point on its surface.
 */
export async function seedPlaces(sql: Sql): Promise<void> {
  await sql(
    `INSERT INTO places (id, name, kind, population, district_name, geom)
     SELECT row_number() OVER (ORDER BY ord, src_id)::int, name, kind, population, district_name, geom
     FROM (
       SELECT 0 AS ord, d.id AS src_id, d.name, CASE d.type WHEN 'Thành phố' THEN 'city' ELSE 'town' END AS kind,
         d.population_2009 AS population, d.name AS district_name, ST_PointOnSurface(d.geom) AS geom
       FROM admin_districts d WHERE d.type IN ('Thành phố', 'Thị xã')
       UNION ALL
       SELECT 1, c.id, c.name, CASE c.type WHEN 'Thị trấn' THEN 'town' ELSE 'commune' END,
         c.population_2009, c.district_name, ST_PointOnSurface(c.geom)
       FROM admin_communes c WHERE c.type IS NOT NULL
     ) p`,
  );
}

/** Every commune's point on surface (the same points as in `places`), keyed "district_code:full_name". */
export async function loadSeats(sql: Sql): Promise<Map<string, Seat>> {
  const rows = await sql<{
    id: number;
    name: string;
    full_name: string;
    type: string;
    district_code: string;
    district_name: string;
    lon: number;
    lat: number;
  }>(
    `SELECT c.id, c.name, c.full_name, c.type, c.district_code, c.district_name, ST_X(p) AS lon, ST_Y(p) AS lat
     FROM admin_communes c CROSS JOIN LATERAL ST_PointOnSurface(c.geom) p
     WHERE c.type IS NOT NULL ORDER BY c.id`,
  );
  return new Map(
    rows.map((r) => {
      const key = `${r.district_code}:${r.full_name}`;
      return [
        key,
        {
          id: r.id,
          key,
          name: r.name,
          type: r.type,
          districtCode: r.district_code,
          districtName: r.district_name,
          lon: r.lon,
          lat: r.lat,
        },
      ];
    }),
  );
}
