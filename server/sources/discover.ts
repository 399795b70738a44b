/**
 * Discovery of tables already in PostGIS (loaded with ogr2ogr, QGIS's DB Manager, shp2pgsql): every table and view
 * with a geometry column in the schemas SOURCE_SCHEMAS allows, not yet published, described from the system
 * catalogs (geometry type and SRID from the column's type modifier, estimated rows, primary key, spatial index).
 */
import type { Database } from '../db/database.ts';

/** One column of a source table. */
export interface SourceColumn {
  name: string;
  /** PostgreSQL type as format_type writes it (`integer`, `character varying(40)`, ...). */
  type: string;
}

/** One publishable table or view. */
export interface SourceTable {
  schema: string;
  name: string;
  kind: 'table' | 'view' | 'materialized view';
  geometryColumn: string;
  /** `POLYGON`, `MULTIPOLYGON`, ... or `GEOMETRY` when the column is untyped. */
  geometryType: string;
  /** 0 when the column declares none. */
  srid: number;
  /** pg_class.reltuples: -1 when never analysed. */
  estimatedRows: number;
  primaryKey: SourceColumn | null;
  spatialIndex: boolean;
  columns: SourceColumn[];
}

const kinds: Record<string, SourceTable['kind']> = { r: 'table', p: 'table', v: 'view', m: 'materialized view' };

/** Every table or view with a geometry column in `schemas` (one row per geometry column), published or not. */
export async function listSourceTables(db: Database, schemas: readonly string[]): Promise<SourceTable[]> {
  if (!schemas.length) return [];
  const rows = await db.rows<{
    schema: string;
    name: string;
    kind: string;
    geometry_column: string;
    geometry_type: string | null;
    srid: number | null;
    estimated_rows: number;
    primary_key: SourceColumn | null;
    spatial_index: boolean;
    columns: SourceColumn[];
  }>(
    `SELECT n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind, a.attname::text AS geometry_column,
            upper(postgis_typmod_type(a.atttypmod)) AS geometry_type, postgis_typmod_srid(a.atttypmod) AS srid,
            c.reltuples::float8 AS estimated_rows,
            (SELECT json_build_object('name', k.attname, 'type', format_type(k.atttypid, k.atttypmod))
               FROM pg_index i JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = i.indkey[0]
              WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1) AS primary_key,
            EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
                     WHERE i.indrelid = c.oid AND am.amname IN ('gist', 'spgist', 'brin') AND a.attnum = ANY (i.indkey)) AS spatial_index,
            (SELECT json_agg(json_build_object('name', x.attname, 'type', format_type(x.atttypid, x.atttypmod)) ORDER BY x.attnum)
               FROM pg_attribute x WHERE x.attrelid = c.oid AND x.attnum > 0 AND NOT x.attisdropped) AS columns
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'geometry'::regtype
      WHERE n.nspname = ANY (?::text[]) AND c.relkind IN ('r', 'p', 'v', 'm')
      ORDER BY 1, 2, 4`,
    [schemas],
  );
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    kind: kinds[r.kind],
    geometryColumn: r.geometry_column,
    geometryType: r.geometry_type ?? 'GEOMETRY',
    srid: r.srid ?? 0,
    estimatedRows: r.estimated_rows,
    primaryKey: r.primary_key,
    spatialIndex: r.spatial_index,
    columns: r.columns ?? [],
  }));
}

/** The source tables not yet published as a layer (a layer reads them, or is stored in them). */
export async function unpublishedSourceTables(db: Database, schemas: readonly string[]): Promise<SourceTable[]> {
  const tables = await listSourceTables(db, schemas);
  const used = await db.rows<{ schema: string; name: string }>(
    'SELECT coalesce(source_schema, current_schema())::text AS schema, source_table AS name FROM layer_catalog',
  );
  const taken = new Set(used.map((u) => `${u.schema}\u0000${u.name}`));
  return tables.filter((t) => !taken.has(`${t.schema}\u0000${t.name}`));
}
