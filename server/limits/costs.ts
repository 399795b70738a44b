/**
 * Which requests are expensive, and the deadline of each. Pure: a request's parsed parameters and the configuration
 * in, a Cost (or null for an ordinary request) out. Ordinary requests (tiles at working zooms, small items pages,
 * identify, nearest, within) are never gated: the caps exist to keep their pool connections free.
 */
import type { Config } from '../config.ts';
import type { CqlNode } from '../sql/cql2/ast.ts';

/** An expensive request: what it is (for messages) and its deadline. */
export interface Cost {
  /** The endpoint and what it works on, e.g. `POST /query/summary on layer "landuse_parcels"`. */
  what: string;
  /** Deadline of its queries (ms); null when the endpoint has its own (tiles: TILE_TIMEOUT_MS). */
  deadlineMs: number | null;
  /** The setting that sets the deadline, named in the 503. */
  deadlineSetting: string;
}

/** POST /query/summary: ST_Intersection and geodesic areas over every feature the geometry touches. */
export function summaryCost(config: Config, layerId: string): Cost {
  return {
    what: `POST /query/summary on layer "${layerId}"`,
    deadlineMs: config.limitSummaryTimeoutMs,
    deadlineSetting: 'LIMIT_SUMMARY_TIMEOUT_MS',
  };
}

/** GET|POST /query/conversions: geodesic areas of every plan parcel selected (clipped to the area, if one is drawn). */
export function conversionsCost(config: Config, method: string, layerId: string): Cost {
  return {
    what: `${method} /query/conversions on layer "${layerId}"`,
    deadlineMs: config.limitSummaryTimeoutMs,
    deadlineSetting: 'LIMIT_SUMMARY_TIMEOUT_MS',
  };
}

/** POST /query/intersects: an exact intersection test over every feature under the geometry's box. */
export function intersectsCost(config: Config, layerId: string): Cost {
  const deadlineSetting = 'LIMIT_INTERSECTS_TIMEOUT_MS';
  return { what: `POST /query/intersects on layer "${layerId}"`, deadlineMs: config.limitIntersectsTimeoutMs, deadlineSetting };
}

/** /search: LIKE over the whole search index. */
export function searchCost(config: Config): Cost {
  return { what: 'GET /search', deadlineMs: config.limitSearchTimeoutMs, deadlineSetting: 'LIMIT_SEARCH_TIMEOUT_MS' };
}

/**
 * GET /collections/{id}/download: the whole selection, read through a cursor for as long as the client reads (or
 * built into a GeoPackage/Shapefile first). Always expensive: it is the largest read anyone can ask for.
 */
export function downloadCost(config: Config, layerId: string, format: string): Cost {
  return {
    what: `download of layer "${layerId}" as ${format}`,
    deadlineMs: config.limitDownloadTimeoutMs,
    deadlineSetting: 'LIMIT_DOWNLOAD_TIMEOUT_MS',
  };
}

/** True when a CQL2 filter has a spatial predicate anywhere (their geometry literals are not index-bounded like bbox). */
export function hasSpatialPredicate(node: CqlNode): boolean {
  switch (node.kind) {
    case 'spatial':
    case 'dwithin':
      return true;
    case 'and':
    case 'or':
      return node.args.some(hasSpatialPredicate);
    case 'not':
      return hasSpatialPredicate(node.arg);
    default:
      return false;
  }
}

/**
 * An items page is expensive when it asks for more than LIMIT_ITEMS_EXPENSIVE_ABOVE features (it streams through a
 * cursor for as long as the client reads) or filters with a spatial CQL2 predicate; null otherwise.
 */
export function itemsCost(
  config: Config,
  layerId: string,
  q: { limit: number; filter: { spatial: boolean } | null },
): Cost | null {
  const large = q.limit > config.limitItemsExpensiveAbove;
  const spatial = q.filter !== null && q.filter.spatial;
  if (!large && !spatial) return null;
  const why = large
    ? `limit=${q.limit} (above LIMIT_ITEMS_EXPENSIVE_ABOVE=${config.limitItemsExpensiveAbove})`
    : 'a spatial filter';
  return {
    what: `items page of layer "${layerId}" with ${why}`,
    deadlineMs: config.limitItemsTimeoutMs,
    deadlineSetting: 'LIMIT_ITEMS_TIMEOUT_MS',
  };
}

/**
 * A tile render is expensive at zoom LIMIT_TILE_EXPENSIVE_MAXZOOM or lower with at least LIMIT_TILE_EXPENSIVE_LAYERS
 * layers (a low-zoom composite tile reads most of every layer); null otherwise. Asked only on a cache miss.
 */
export function tileCost(config: Config, layerIds: readonly string[], z: number): Cost | null {
  if (z > config.limitTileExpensiveMaxzoom || layerIds.length < config.limitTileExpensiveLayers) return null;
  return {
    what: `composite tile of ${layerIds.length} layers at zoom ${z}`,
    deadlineMs: null,
    deadlineSetting: 'TILE_TIMEOUT_MS',
  };
}
