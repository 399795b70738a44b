/**
 * The typed request of the items endpoint, as the feature service takes it. The HTTP edge
 * (`server/http/params/items.ts`) builds it from the query string; every column in here came from `layer.columns`.
 */
import type { LayerColumn, LayerTemporal } from '../catalog/definition.ts';
import type { CrsDefinition } from '../crs/registry.ts';
import type { SqlPart } from '../sql/parts.ts';
import type { Bbox } from './bbox.ts';

/** One sort key: a column of the layer or the feature id. */
export interface SortKey {
  column: string;
  descending: boolean;
}

/** A property=value equality filter on a known column; `value` is checked against the column type. */
export interface EqualityFilter {
  column: LayerColumn;
  value: string;
}

/** A validated items request. Column names in here all come from `layer.columns`. */
export interface ItemsQuery {
  limit: number;
  offset: number;
  bbox: Bbox | null;
  /** Output CRS (`crs`), CRS84 by default. */
  crs: CrsDefinition;
  /** The properties to return, in the layer's column order. */
  properties: LayerColumn[];
  sortby: SortKey[];
  equals: EqualityFilter[];
  /** The CQL2 `filter`, compiled once when the request was read: its WHERE fragment with bound values. */
  filter: CompiledFilter | null;
  /** For a layer that declares `temporal`: the days of `datetime` (today by default); absent for other layers. */
  validity?: Validity | null;
}

/** Days as YYYY-MM-DD, both inclusive; null is an open end (`..`). */
export interface DayInterval {
  first: string | null;
  last: string | null;
}

/** A validity filter: features whose [start, end] columns intersect `days` (OGC API Features `datetime`). */
export interface Validity {
  temporal: LayerTemporal;
  days: DayInterval;
}

/** A CQL2 filter compiled against a layer; `spatial` when it has a spatial predicate (the cost limits ask). */
export interface CompiledFilter extends SqlPart {
  spatial: boolean;
}
