/**
 * The typed request of the items endpoint, as the feature service takes it. The HTTP edge
 * (`server/http/params/items.ts`) builds it from the query string; every column in here came from `layer.columns`.
 */
import type { LayerColumn } from '../catalog/definition.ts';
import type { CrsDefinition } from '../crs/registry.ts';
import type { SqlPart } from '../sql/parts.ts';
import type { RowConditions } from '../sql/where.ts';

// The conditions are shared with the downloads (server/sql/where.ts builds their WHERE).
export type { DayInterval, EqualityFilter, Validity } from '../sql/where.ts';

/** One sort key: a column of the layer or the feature id. */
export interface SortKey {
  column: string;
  descending: boolean;
}

/**
 * A validated items request: the row conditions (bbox, property=value, filter, validity: the days of `datetime`,
 * today by default) and the page. Column names in here all come from `layer.columns`.
 */
export interface ItemsQuery extends RowConditions {
  limit: number;
  offset: number;
  /** Output CRS (`crs`), CRS84 by default. */
  crs: CrsDefinition;
  /** The properties to return, in the layer's column order. */
  properties: LayerColumn[];
  sortby: SortKey[];
  /** The CQL2 `filter`, compiled once when the request was read: its WHERE fragment with bound values. */
  filter: CompiledFilter | null;
}

/** A CQL2 filter compiled against a layer; `spatial` when it has a spatial predicate (the cost limits ask). */
export interface CompiledFilter extends SqlPart {
  spatial: boolean;
}
