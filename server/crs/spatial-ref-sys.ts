/**
 * PostGIS `spatial_ref_sys` rows for VN-2000, so ST_Transform uses the official EPSG:6960 shift on every backend.
 *
 * Why the rows have no auth_name/auth_srid: PostGIS hands PROJ "EPSG:<srid>" first when a row has them, and PROJ
 * then picks the operation itself. Measured on PostGIS 3.3/PROJ 9.1 (server) and 3.6/PROJ 9.7 (PGlite): in the
 * Mekong delta it picks EPSG:5194 (Total's shift), ~0.8 m from the official one. Without the authority, PostGIS
 * falls back to srtext (WKT1 with TOWGS84 = a bound CRS), whose shift PROJ applies exactly. PostGIS 3.6 also lacks
 * the TM-3 zones 9205-9218 altogether ("Cannot find SRID").
 */
import type { Knex } from 'knex';
import { VN2000_CRS, VN2000_TOWGS84, type CrsDefinition } from './registry.ts';

/** One row of `spatial_ref_sys` as we want it. */
export interface SpatialRefSysRow {
  readonly srid: number;
  readonly srtext: string;
  readonly proj4text: string;
}

const GEOGCS_VN2000 =
  'GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],' +
  `TOWGS84[${VN2000_TOWGS84}],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],` +
  'UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]]';

/** OGC WKT1 (GDAL flavour) of a VN-2000 CRS, with the position-vector TOWGS84 GDAL and PROJ expect. */
export function vn2000Wkt1(crs: CrsDefinition): string {
  if (crs.kind === 'geographic') return GEOGCS_VN2000;
  return (
    `PROJCS["${crs.title}",${GEOGCS_VN2000},PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],` +
    `PARAMETER["central_meridian",${crs.centralMeridian}],PARAMETER["scale_factor",${crs.scaleFactor}],` +
    'PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],' +
    `AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","${crs.srid}"]]`
  );
}

/** The rows for every VN-2000 CRS we support (4756, 3405, 3406, 5896-5899, 9205-9218). */
export function vn2000SpatialRefSysRows(): SpatialRefSysRow[] {
  return VN2000_CRS.map((crs) => ({ srid: crs.srid, srtext: vn2000Wkt1(crs), proj4text: crs.proj4 }));
}

/**
 * Inserts missing VN-2000 rows and rewrites existing ones to our definition; rows already right are left alone,
 * so running it again changes nothing. Returns the number of rows inserted or changed.
 * Connections that already transformed with these SRIDs keep PostGIS's cached definitions until they close.
 */
export async function applyVn2000SpatialRefSys(knex: Knex): Promise<number> {
  let changed = 0;
  for (const row of vn2000SpatialRefSysRows()) {
    const res = await knex.raw(
      `INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text)
       VALUES (?::int, NULL, NULL, ?, ?)
       ON CONFLICT (srid) DO UPDATE SET auth_name = NULL, auth_srid = NULL, srtext = EXCLUDED.srtext, proj4text = EXCLUDED.proj4text
       WHERE spatial_ref_sys.auth_name IS NOT NULL OR spatial_ref_sys.auth_srid IS NOT NULL
          OR spatial_ref_sys.srtext IS DISTINCT FROM EXCLUDED.srtext OR spatial_ref_sys.proj4text IS DISTINCT FROM EXCLUDED.proj4text`,
      [row.srid, row.srtext, row.proj4text],
    );
    changed +=
      (res as { rowCount?: number; affectedRows?: number }).rowCount ?? (res as { affectedRows?: number }).affectedRows ?? 0;
  }
  return changed;
}
