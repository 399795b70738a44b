/**
 * The WHERE of a feature selection, shared by the items endpoint (server/features) and the downloads
 * (server/opendata), so a download selects what /items selects: the conditions as typed values, and one builder per
 * clause. Identifiers come only from the catalog through quoteIdent; every value is a bound `?` (cast where PostGIS
 * is overloaded). The layer table is aliased `t`.
 */
import { splitAntimeridian, type Bbox } from '../crs/bbox.ts';
import type { CrsDefinition } from '../crs/registry.ts';
import type { LayerColumn } from '../wire/layer.ts';
import type { NativeIndexLayer } from './native.ts';
import { columnSql, joinParts, type SqlPart } from './parts.ts';

/** The validity columns of a layer (a layer definition's `temporal`). */
export interface ValidityColumns {
  start: string;
  end: string;
}

/** The SRID of a table read in place (a layer's `source`), or null for the tables we store in EPSG:4326. */
type Source = NativeIndexLayer['source'];

/** A property=value equality filter on a known column; `value` is checked against the column type. */
export interface EqualityFilter {
  column: LayerColumn;
  value: string;
}

/** Days as YYYY-MM-DD, both inclusive; null is an open end (`..`). */
export interface DayInterval {
  first: string | null;
  last: string | null;
}

/** A validity filter: features whose [start, end] columns intersect `days` (OGC API Features `datetime`). */
export interface Validity {
  temporal: ValidityColumns;
  days: DayInterval;
}

/** What restricts the rows of a selection; every column in here came from `layer.columns`. */
export interface RowConditions {
  bbox: Bbox | null;
  equals: EqualityFilter[];
  /** A compiled CQL2 filter: its WHERE fragment with bound values. */
  filter: SqlPart | null;
  /** For a layer that declares `temporal`: the days asked; absent for other layers. */
  validity?: Validity | null;
}

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
export function bboxClause(bbox: Bbox, source?: Source): SqlPart {
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

/**
 * WHERE of a selection (empty when unfiltered): bbox AND property=value AND the filter compiled at parse time AND
 * validity.
 */
export function whereClause(q: RowConditions, source?: Source): SqlPart {
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

/** True when the selection has any condition (an items query then counts numberMatched exactly). */
export function isFiltered(q: RowConditions): boolean {
  return q.bbox !== null || q.equals.length > 0 || q.filter !== null || Boolean(q.validity);
}
