/**
 * What the connected PostGIS can do, detected once at start. It takes a plain row reader, not the `Database`, so the
 * database can be built whole (capabilities included) after the detection.
 */

/** Runs SQL without bindings and returns its rows. */
export type RowReader = <T>(sql: string) => Promise<T[]>;

/** Capabilities recorded at start; the tile encoder is chosen from `mvt`. */
export interface Capabilities {
  /** PostgreSQL server version, e.g. "15.20". */
  postgresVersion: string;
  /** PostGIS library version, e.g. "3.3.2". */
  postgisVersion: string;
  /** ST_AsMVT works (PostGIS built with protobuf-c). The embedded build lacks it. */
  mvt: boolean;
}

/** Asks the database for its versions and tries ST_AsMVT on a one-point tile. */
export async function detectCapabilities(rows: RowReader): Promise<Capabilities> {
  const [v] = await rows<{ pg: string; postgis: string }>(
    "SELECT current_setting('server_version') AS pg, postgis_lib_version() AS postgis",
  );
  let mvt = true;
  try {
    await rows(
      `SELECT ST_AsMVT(q, 'probe') FROM (SELECT ST_AsMVTGeom(ST_Point(0, 0, 3857), ST_TileEnvelope(0, 0, 0)) AS geom) q`,
    );
  } catch {
    mvt = false; // "Compiled without protobuf-c support": tiles get encoded in Node instead.
  }
  return { postgresVersion: v.pg.split(' ')[0], postgisVersion: v.postgis, mvt };
}
