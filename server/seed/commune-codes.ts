/**
 * Today's commune of every parcel, industrial zone and BTS station: the unit of 1 July 2025 (admin_communes_2025)
 * that holds a point on the record's surface (ST_PointOnSurface: inside even a concave parcel, and the station
 * itself for a point), so a record gets exactly one unit and a summary grouped by it adds up to the whole. A point
 * that no unit holds (a parcel at the province edge, or in a hairline gap left by snapping the units to 1e-7°) takes
 * the nearest unit, so every record has one.
 * Run after the units are built and after these tables are filled; run again whenever the units change.
 */
import type { Sql } from './sql.ts';

/**
 * The tables whose records carry `commune_code_2025` and `commune_name_2025` (migration 013; the land-use plan since
 * migration 018).
 */
export const communeCodeTables: readonly string[] = ['landuse_parcels', 'industrial_zones', 'bts_stations', 'landuse_plan_2030'];

/**
 * Recomputes today's commune of every record of `tables` (a migration passes the tables that exist at its step);
 * returns how many records of each table took the nearest unit.
 */
export async function refreshCommuneCodes(sql: Sql, tables = communeCodeTables): Promise<Record<string, number>> {
  const outside: Record<string, number> = {};
  for (const t of tables) {
    // Two steps, so a record no unit holds is cleared rather than keeping a stale code.
    await sql(`UPDATE "${t}" SET commune_code_2025 = NULL, commune_name_2025 = NULL WHERE commune_code_2025 IS NOT NULL`);
    await sql(
      `UPDATE "${t}" r SET commune_code_2025 = u.code, commune_name_2025 = u.name
         FROM admin_communes_2025 u
        WHERE u.geom && r.geom AND ST_Intersects(u.geom, ST_PointOnSurface(r.geom))`,
    );
    const nearest = await sql<{ id: number }>(
      `UPDATE "${t}" r SET commune_code_2025 = n.code, commune_name_2025 = n.name
         FROM (SELECT r2.id, u.code, u.name FROM "${t}" r2
                 CROSS JOIN LATERAL (SELECT code, name FROM admin_communes_2025 u
                                      ORDER BY ST_Distance(u.geom, ST_PointOnSurface(r2.geom)), code LIMIT 1) u
                WHERE r2.commune_code_2025 IS NULL) n
        WHERE r.id = n.id RETURNING r.id`,
    );
    outside[t] = nearest.length;
  }
  return outside;
}
