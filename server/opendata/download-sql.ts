/**
 * SQL of a download: every selected feature (no paging), ordered by id, with its properties as JSON-friendly scalars
 * and its geometry encoded by PostGIS for the target format. Coordinates are written x = east/longitude, y =
 * north/latitude in every file format (GIS file order, whatever the EPSG axis order). The WHERE clause is the items
 * endpoint's (bbox, property=value, the CQL2 filter compiled at parse time), so a download selects what /items selects.
 */
import type { Layer } from '../catalog/catalog.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import type { CrsDefinition } from '../crs/registry.ts';
import { columnSql, type SqlPart } from '../sql/parts.ts';
import { whereClause, type RowConditions } from '../sql/where.ts';

/** How the geometry column `g` of a download row is encoded. */
export type GeometryEncoding = 'geojson' | 'wkt' | 'xy' | 'kml' | 'wkb' | 'wkb-cw';

/** Decimal digits of coordinates: 7 in degrees (~1 cm), 3 in metres (1 mm). */
export function downloadPrecision(crs: CrsDefinition): number {
  return crs.kind === 'geographic' ? 7 : 3;
}

/** A property as a scalar JSON and every writer understand: numbers, booleans, and text (dates as ISO text). */
function valueSql(c: LayerColumn): string {
  const col = columnSql(c.name);
  switch (c.type) {
    case 'integer':
    case 'number':
      return `(${col})::float8`;
    case 'boolean':
      return `(${col})::boolean`;
    case 'date':
      return `to_char((${col})::date, 'YYYY-MM-DD')`;
    case 'datetime':
      return `to_char((${col})::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
    default:
      return `(${col})::text`;
  }
}

function geometrySql(crs: CrsDefinition, encoding: GeometryEncoding): SqlPart {
  const g =
    crs.srid === 4326
      ? { sql: 't.geom', bindings: [] as unknown[] }
      : { sql: 'ST_Transform(t.geom, ?::int)', bindings: [crs.srid] as unknown[] };
  const digits = downloadPrecision(crs);
  switch (encoding) {
    case 'geojson':
      return { sql: `ST_AsGeoJSON(${g.sql}, ?::int, 0) AS g`, bindings: [...g.bindings, digits] };
    case 'wkt':
      return { sql: `ST_AsText(${g.sql}, ?::int) AS g`, bindings: [...g.bindings, digits] };
    case 'xy':
      return {
        sql: `round(ST_X(${g.sql})::numeric, ?::int)::float8 AS x, round(ST_Y(${g.sql})::numeric, ?::int)::float8 AS y`,
        bindings: [...g.bindings, digits, ...g.bindings, digits],
      };
    case 'kml':
      return { sql: 'ST_AsKML(t.geom, 7) AS g', bindings: [] }; // KML is WGS 84 longitude/latitude by definition
    case 'wkb':
      return { sql: `ST_AsBinary(${g.sql}, 'NDR') AS g`, bindings: g.bindings };
    case 'wkb-cw':
      // Shapefile rings: outer clockwise, holes counter-clockwise (ESRI Shapefile Technical Description, 1998).
      return { sql: `ST_AsBinary(ST_ForcePolygonCW(${g.sql}), 'NDR') AS g`, bindings: g.bindings };
  }
}

/** One download row: id, properties c0..cN in `columns` order, the geometry `g` (or `x`, `y`). */
export interface DownloadRow {
  id: number;
  g?: string | Uint8Array | null;
  x?: number | null;
  y?: number | null;
  [column: string]: unknown;
}

/** The whole selection of `q` (its limit and offset are not used). */
export function downloadQuery(
  layer: Layer,
  q: Pick<RowConditions, 'bbox' | 'equals' | 'filter'>,
  columns: readonly LayerColumn[],
  crs: CrsDefinition,
  encoding: GeometryEncoding,
): SqlPart {
  const where = whereClause(q);
  const geom = geometrySql(crs, encoding);
  const props = columns.map((c, i) => `${valueSql(c)} AS c${i}`);
  return {
    sql: `SELECT ${['t.id::float8 AS id', ...props, geom.sql].join(', ')} FROM ${layer.tableSql} t ${where.sql} ORDER BY t.id`,
    bindings: [...geom.bindings, ...where.bindings],
  };
}

/** Byte lengths of the text columns and the feature count, for the fixed-width DBF fields of a Shapefile. */
export function textLengthsQuery(
  layer: Layer,
  q: Pick<RowConditions, 'bbox' | 'equals' | 'filter'>,
  columns: readonly LayerColumn[],
): SqlPart {
  const where = whereClause(q);
  const lengths = columns.map((c, i) => `COALESCE(max(octet_length((${valueSql(c)})::text)), 0)::int AS c${i}`);
  return {
    sql: `SELECT ${['count(*)::float8 AS n', ...lengths].join(', ')} FROM ${layer.tableSql} t ${where.sql}`,
    bindings: where.bindings,
  };
}
