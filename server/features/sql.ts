/**
 * SQL of the items endpoint, one builder per clause; the WHERE is server/sql/where.ts, shared with the downloads.
 * Identifiers come only from the catalog (`layer.column`) through quoteIdent; every value is a bound `?` (cast where
 * PostGIS is overloaded). The layer table is aliased `t`.
 */
import { featureIdSql, type Layer } from '../catalog/catalog.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import type { CrsDefinition } from '../crs/registry.ts';
import { columnSql, propertiesJsonSql, type SqlPart } from '../sql/parts.ts';
import { whereClause, type RowConditions } from '../sql/where.ts';
import { coordinatePrecision, isLatitudeFirst } from './crs.ts';
import type { ItemsQuery, SortKey } from './items-query.ts';

/** ORDER BY of the sort keys, then the id (`idSql`, see featureIdSql), so pages are stable. */
export function orderClause(sortby: SortKey[], idSql = 't.id'): string {
  const keys = sortby.map(
    (k) => `${k.column === 'id' ? idSql : columnSql(k.column)} ${k.descending ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}`,
  );
  if (!sortby.some((k) => k.column === 'id')) keys.push(`${idSql} ASC`);
  return `ORDER BY ${keys.join(', ')}`;
}

/** The geometry in the output CRS, latitude first where the CRS says so (EPSG:4326, EPSG:4756). */
export function outputGeometrySql(crs: CrsDefinition): SqlPart {
  const transformed =
    crs.srid === 4326 ? { sql: 't.geom', bindings: [] } : { sql: 'ST_Transform(t.geom, ?::int)', bindings: [crs.srid] };
  return isLatitudeFirst(crs) ? { sql: `ST_FlipCoordinates(${transformed.sql})`, bindings: transformed.bindings } : transformed;
}

/**
 * One column `f`: the whole GeoJSON Feature as text, built by PostgreSQL so Node only concatenates strings.
 * Coordinates are in the output CRS with coordinatePrecision digits; option 0 leaves out the GeoJSON `crs` member
 * (RFC 7946 has none; the CRS travels in the Content-Crs header).
 */
export function featureJsonSql(columns: readonly LayerColumn[], crs: CrsDefinition, idSql = 't.id'): SqlPart {
  const geom = outputGeometrySql(crs);
  const props = propertiesJsonSql(columns);
  return {
    sql:
      `'{"type":"Feature","id":' || to_json(${idSql})::text || ',"geometry":' || COALESCE(ST_AsGeoJSON(${geom.sql}, ?::int, 0), 'null')` +
      ` || ',"properties":' || ${props.sql} || '}' AS f`,
    bindings: [...geom.bindings, coordinatePrecision(crs), ...props.bindings],
  };
}

/** Columns of a CSV row: id, each property as text, and the geometry as WKT in the output CRS. */
export function csvColumnsSql(columns: readonly LayerColumn[], crs: CrsDefinition, idSql = 't.id'): SqlPart {
  const geom = outputGeometrySql(crs);
  const props = columns.map((c, i) => `${columnSql(c.name)}::text AS c${i}`);
  return {
    sql: [`${idSql} AS id`, ...props, `ST_AsText(${geom.sql}, ?::int) AS wkt`].join(', '),
    bindings: [...geom.bindings, coordinatePrecision(crs)],
  };
}

/** The page query: selected columns, WHERE, ORDER BY, LIMIT/OFFSET. */
export function pageQuery(layer: Layer, q: ItemsQuery, select: SqlPart): SqlPart {
  const where = whereClause(q, layer.source);
  return {
    sql: `SELECT ${select.sql} FROM ${layer.tableSql} t ${where.sql} ${orderClause(q.sortby, featureIdSql(layer))} LIMIT ?::int OFFSET ?::bigint`,
    bindings: [...select.bindings, ...where.bindings, q.limit, q.offset],
  };
}

/** Exact count of the features matching the query. */
export function countQuery(layer: Layer, q: RowConditions): SqlPart {
  const where = whereClause(q, layer.source);
  return { sql: `SELECT count(*)::float8 AS n FROM ${layer.tableSql} t ${where.sql}`, bindings: where.bindings };
}

/** The planner's row estimate of the layer table (pg_class.reltuples; -1 when never analysed). */
export function estimateQuery(layer: Layer): SqlPart {
  return { sql: 'SELECT reltuples::float8 AS n FROM pg_class WHERE oid = to_regclass(?::text)', bindings: [layer.relationSql] };
}

/** One feature by id: a number for integer keys, the key's text for a source table with a text or uuid key. */
export function featureQuery(layer: Layer, id: number | string, crs: CrsDefinition): SqlPart {
  const idSql = featureIdSql(layer);
  const select = featureJsonSql(layer.columns, crs, idSql);
  // Compared in the key's own type, so the table's primary key index is used.
  const cast = { integer: 'bigint', text: 'text', uuid: 'uuid' }[layer.source?.idType ?? 'integer'];
  return { sql: `SELECT ${select.sql} FROM ${layer.tableSql} t WHERE ${idSql} = ?::${cast}`, bindings: [...select.bindings, id] };
}
