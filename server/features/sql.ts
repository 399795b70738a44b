/**
 * SQL of the items endpoint, one builder per clause. Identifiers come only from the catalog (`layer.column`) through
 * quoteIdent; every value is a bound `?` (cast where PostGIS is overloaded). The layer table is aliased `t`.
 */
import { featureIdSql, type Layer } from '../catalog/catalog.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import type { CrsDefinition } from '../crs/registry.ts';
import { columnSql, joinParts, propertiesJsonSql, type SqlPart } from '../sql/parts.ts';
import { splitAntimeridian, type Bbox } from './bbox.ts';
import { coordinatePrecision, isLatitudeFirst } from './crs.ts';
import type { EqualityFilter, ItemsQuery, SortKey, Validity } from './items-query.ts';

/**
 * A box as an EPSG:4326 polygon. A box in another CRS is densified (33 points a side) before it is transformed,
 * so its curved edges in EPSG:4326 are followed to well under a metre; the envelope is transformed, not the
 * column, so the GiST index on `geom` is used.
 */
export function envelopeSql(box: [number, number, number, number], crs: CrsDefinition): SqlPart {
  if (crs.srid === 4326) {
    return { sql: 'ST_MakeEnvelope(?::float8, ?::float8, ?::float8, ?::float8, 4326)', bindings: [...box] };
  }
  const step = Math.max(box[2] - box[0], box[3] - box[1]) / 32 || 1;
  return {
    sql: 'ST_Transform(ST_Segmentize(ST_MakeEnvelope(?::float8, ?::float8, ?::float8, ?::float8, ?::int), ?::float8), 4326)',
    bindings: [...box, crs.srid, step],
  };
}

/**
 * bbox: features whose geometry intersects the box (both halves of a box across the antimeridian). A table read in
 * place in another SRID (`source`) is tested on its stored column against the envelope transformed into its SRID,
 * so its own GiST index is used.
 */
export function bboxClause(bbox: Bbox, source?: Layer['source']): SqlPart {
  const parts = splitAntimeridian(bbox).map((box) => {
    const env = envelopeSql(box, bbox.crs);
    if (source && source.srid !== 4326) {
      return { sql: `ST_Intersects(t.__native, ST_Transform(${env.sql}, ?::int))`, bindings: [...env.bindings, source.srid] };
    }
    return { sql: `ST_Intersects(t.geom, ${env.sql})`, bindings: env.bindings };
  });
  return parts.length === 1 ? parts[0] : { ...joinParts(parts, ' OR '), sql: `(${parts.map((p) => p.sql).join(' OR ')})` };
}

/** The cast that makes a bound text value comparable with a column of this type. */
export function valueCast(column: LayerColumn): string {
  switch (column.type) {
    case 'integer':
      return '?::bigint';
    case 'number':
      return '?::float8';
    case 'boolean':
      return '?::boolean';
    case 'date':
      return '?::date';
    case 'datetime':
      return '?::timestamptz';
    default:
      return '?::text';
  }
}

/** property=value: equality on each named column. */
export function equalityClause(equals: EqualityFilter[]): SqlPart {
  return joinParts(
    equals.map((e) => ({ sql: `${columnSql(e.column.name)} = ${valueCast(e.column)}`, bindings: [e.value] })),
    ' AND ',
  );
}

/**
 * datetime: features whose validity [start, end] (dates, inclusive, null = open) intersects the asked days; an open
 * end of the asked interval sets no bound on that side (OGC API Features /req/core/fc-time-response).
 */
export function validityClause(v: Validity): SqlPart {
  const parts: SqlPart[] = [];
  const start = columnSql(v.temporal.start);
  const end = columnSql(v.temporal.end);
  if (v.days.last !== null) parts.push({ sql: `(${start} IS NULL OR ${start} <= ?::date)`, bindings: [v.days.last] });
  if (v.days.first !== null) parts.push({ sql: `(${end} IS NULL OR ${end} >= ?::date)`, bindings: [v.days.first] });
  return parts.length ? joinParts(parts, ' AND ') : { sql: 'TRUE', bindings: [] };
}

/** The parts of a query that restrict its rows (numberMatched needs an exact count when any is set). */
type Conditions = Pick<ItemsQuery, 'bbox' | 'equals' | 'filter' | 'validity'>;

/** WHERE of an items query (empty when unfiltered): bbox AND property=value AND the filter compiled at parse time AND validity. */
export function whereClause(q: Conditions, source?: Layer['source']): SqlPart {
  const parts: SqlPart[] = [];
  if (q.bbox) parts.push(bboxClause(q.bbox, source));
  if (q.equals.length) parts.push(equalityClause(q.equals));
  if (q.filter) parts.push(q.filter);
  if (q.validity) parts.push(validityClause(q.validity));
  if (!parts.length) return { sql: '', bindings: [] };
  const joined = joinParts(
    parts.map((p) => ({ ...p, sql: `(${p.sql})` })),
    ' AND ',
  );
  return { sql: `WHERE ${joined.sql}`, bindings: joined.bindings };
}

/** True when the items query has any condition, so numberMatched must be counted exactly. */
export function isFiltered(q: Conditions): boolean {
  return q.bbox !== null || q.equals.length > 0 || q.filter !== null || Boolean(q.validity);
}

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
export function countQuery(layer: Layer, q: Conditions): SqlPart {
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
