/**
 * The feature service: pages of features, one feature, and numberMatched, for a layer the catalog resolved.
 * Route handlers call this and never see SQL.
 */
import { featureIdSql, type Layer } from '../catalog/catalog.ts';
import type { CrsDefinition } from '../crs/registry.ts';
import type { Database } from '../db/database.ts';
import type { ItemsQuery } from './items-query.ts';
import { countQuery, csvColumnsSql, estimateQuery, featureJsonSql, featureQuery, pageQuery } from './sql.ts';
import { isFiltered } from '../sql/where.ts';
import { queryRows, streamRows } from '../db/rows.ts';

/** numberMatched and how it was obtained: `exact` (COUNT) or `estimate` (planner statistics, pg_class.reltuples). */
export interface MatchCount {
  value: number;
  method: 'exact' | 'estimate';
}

/** Unfiltered layers with at least this many rows (by the planner's statistics) get an estimated numberMatched. */
export const estimateThresholdRows = 100_000;

/** Pages up to this many features are read in one round trip; larger ones go through a cursor. */
export const streamAboveRows = 1_000;

/** One CSV row: the id, each property as text (null stays null), the geometry as WKT. */
export interface CsvRow {
  /** A number, or the key's text for a source table with a text or uuid key. */
  id: number | string;
  values: Array<string | null>;
  wkt: string | null;
}

/**
 * True when every parameter of the query's SQL is a plain value, so it may run as a prepared statement: no CQL2
 * filter (its geometries would be parsed per row under a generic plan) and a bbox, if any, in EPSG:4326 (another
 * CRS densifies and transforms the box, which a generic plan would redo per row).
 */
function scalarParameters(q: Pick<ItemsQuery, 'bbox' | 'filter'>): boolean {
  return q.filter === null && (q.bbox === null || q.bbox.crs.srid === 4326);
}

/** Reads features of catalog layers. */
export class FeatureService {
  constructor(private readonly db: Database) {}

  /**
   * numberMatched: exact when the request filters (bbox, property=value, filter) or the table is small; for large
   * unfiltered tables the planner's estimate, since a full COUNT(*) per page is the slow path (pygeoapi #1969).
   */
  async count(layer: Layer, q: ItemsQuery, signal?: AbortSignal): Promise<MatchCount> {
    if (!isFiltered(q)) {
      const est = estimateQuery(layer);
      const [row] = await queryRows<{ n: number }>(this.db, est.sql, est.bindings, signal, { prepare: true });
      if (row && row.n >= estimateThresholdRows) return { value: Math.round(row.n), method: 'estimate' };
    }
    const c = countQuery(layer, q);
    const [row] = await queryRows<{ n: number }>(this.db, c.sql, c.bindings, signal, { prepare: scalarParameters(q) });
    return { value: Number(row?.n ?? 0), method: 'exact' };
  }

  /**
   * numberMatched and the features of one page as GeoJSON Feature texts, in the requested CRS and order. A page of
   * up to streamAboveRows features is read in one round trip while the count runs on another connection; a larger
   * one streams through a cursor once the count is known.
   */
  async page(
    layer: Layer,
    q: ItemsQuery,
    signal?: AbortSignal,
  ): Promise<{ matched: MatchCount; features: string[] | AsyncIterable<string> }> {
    const page = pageQuery(layer, q, featureJsonSql(q.properties, q.crs, featureIdSql(layer)));
    if (q.limit <= streamAboveRows) {
      const [matched, rows] = await Promise.all([
        this.count(layer, q, signal),
        queryRows<{ f: string }>(this.db, page.sql, page.bindings, signal, { prepare: scalarParameters(q) }),
      ]);
      return { matched, features: rows.map((r) => r.f) };
    }
    const matched = await this.count(layer, q, signal);
    return { matched, features: this.stream(page.sql, page.bindings, signal) };
  }

  private async *stream(sql: string, bindings: unknown[], signal?: AbortSignal): AsyncGenerator<string> {
    for await (const row of streamRows<{ f: string }>(this.db, sql, bindings, signal)) yield row.f;
  }

  /** The rows of one page for CSV output. */
  async *csvRows(layer: Layer, q: ItemsQuery, signal?: AbortSignal): AsyncGenerator<CsvRow> {
    const page = pageQuery(layer, q, csvColumnsSql(q.properties, q.crs, featureIdSql(layer)));
    const names = q.properties.map((_, i) => `c${i}`);
    for await (const row of streamRows<Record<string, unknown>>(this.db, page.sql, page.bindings, signal)) {
      yield {
        id: typeof row.id === 'string' && featureIdSql(layer) === 't.__key' ? row.id : Number(row.id),
        values: names.map((n) => (row[n] === null ? null : String(row[n]))),
        wkt: (row.wkt as string | null) ?? null,
      };
    }
  }

  /** One feature as GeoJSON text, or null when the layer has no feature with this id. */
  async feature(layer: Layer, id: number | string, crs: CrsDefinition, signal?: AbortSignal): Promise<string | null> {
    const f = featureQuery(layer, id, crs);
    const [row] = await queryRows<{ f: string }>(this.db, f.sql, f.bindings, signal, { prepare: true });
    return row?.f ?? null;
  }
}
