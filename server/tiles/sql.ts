/**
 * Tile SQL, built once per layer (and per property selection and mode) and reused with bound values.
 * The layers' own tables keep their geometry twice, each with a GiST index: `geom` in EPSG:4326 and `geom_3857`
 * (server/sql/tile-geometry.ts), which tiles read: the envelope meets it as it is, and simplification and the
 * tiny-polygon filter run in metres with nothing transformed per feature. A table without it (older, or read in
 * place) is read through `geom` (or its own column): the envelope is transformed to the column's SRID for the index
 * test (never the column), simplification runs there, before the transform to 3857. Only z/x/y and the derived
 * tolerances are bound.
 *
 * Two endings share one source query:
 *  - `mvt`: ST_AsMVTGeom + ST_AsMVT (server PostGIS built with protobuf);
 *  - `node`: clipped, transformed to tile coordinates (0..4096, y down), snapped to the integer grid and
 *    wound for MVT in SQL, returned as GeoJSON for the Node encoder (embedded PostGIS has no protobuf).
 */
import type { Layer } from '../catalog/catalog.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { tileGeometryColumn } from '../sql/tile-geometry.ts';
import { tileBuffer, tileExtent, tileUnitDegrees, tileUnitMetres, type TileCoord, type TileRange } from './grid.ts';

/** Which database encodes the tile. */
export type Encoder = 'mvt' | 'node';

/** Zoom-dependent content settings of a layer, with our defaults filled in. */
export interface TileContent {
  /** Simplification tolerance in tile units (of 4096) below the layer's maxzoom. */
  simplifyPx: number;
  /** Polygons smaller than this many square pixels of a 256 px tile are dropped below maxzoom. */
  minAreaPx: number;
  /** Points are clustered (with a `count` property) below this zoom; 0 = never. */
  clusterBelowZoom: number;
}

/** Defaults: a quarter pixel of simplification is invisible and halves low-zoom polygon tiles. */
export const defaultTileContent: TileContent = { simplifyPx: 4, minAreaPx: 0.25, clusterBelowZoom: 0 };

/** Clusters are formed on a grid of this many cells across a tile (16 cells = 16 px at 256 px). */
export const clusterCellsAcross = 16;

/** The content settings of a layer (its tileOptions over our defaults). */
export function tileContent(layer: Layer): TileContent {
  const o = layer.tileOptions;
  return {
    simplifyPx: o.simplifyPx ?? defaultTileContent.simplifyPx,
    minAreaPx: o.minAreaPx ?? defaultTileContent.minAreaPx,
    clusterBelowZoom: o.clusterBelowZoom ?? defaultTileContent.clusterBelowZoom,
  };
}

/**
 * True when this zoom of this layer may keep only its largest features (see TileQueryShape.ranked): lines and
 * polygons below their maxzoom. Whether a tile is then actually ranked depends on its count (TileRenderer).
 */
export function isRankable(layer: Layer, z: number): boolean {
  return layer.geometryType !== 'Point' && z < layer.maxzoom;
}

/** True when this zoom of this layer is served as point clusters. */
export function isClustered(layer: Layer, z: number): boolean {
  return layer.geometryType === 'Point' && z < tileContent(layer).clusterBelowZoom;
}

/** The shape of one tile query: what varies the SQL text (never the tile address). */
export interface TileQueryShape {
  encoder: Encoder;
  cluster: boolean;
  /**
   * Keep the largest features first (polygons by area, lines by length) up to the bound limit, so a dense layer at
   * a low zoom drops its smallest features, not random ones. Only for a tile whose candidates exceed the limit:
   * sorting every candidate by ST_Area costs more than the rest of the query where nothing is dropped.
   */
  ranked?: boolean;
  /** The properties to carry, already resolved through the catalog. */
  properties: readonly LayerColumn[];
  /**
   * The zoom is at or above the layer's maxzoom: every feature whole, so the SQL has no simplification and no area
   * filter (ST_Simplify with tolerance 0 still walked every vertex of every admin polygon, and ST_Area measured it).
   */
  detailed?: boolean;
}

/**
 * Does a tile of this shape simplify its geometries? Lines and polygons below maxzoom, where the layer's tolerance is a
 * tile unit or more, or the tile is thinned (ranked: its tolerance grows with each coarsening step, tileBindings).
 * A tolerance under one tile unit changes nothing the tile can show: ST_AsMVTGeom rounds every vertex to the unit grid
 * and drops the repeated ones. ST_Simplify then only costs a copy of every geometry: land use (0.5 units) without it took
 * 0-11 % less execution time per tile at z12-16 (EXPLAIN ANALYZE, 100 tiles a zoom, alternating tile by tile).
 */
export function simplifies(layer: Layer, shape: TileQueryShape): boolean {
  return layer.geometryType !== 'Point' && !shape.detailed && (shape.ranked === true || tileContent(layer).simplifyPx >= 1);
}

/** Columns that are the feature id and geometry, never properties. */
const reserved = new Set(['id', 'geom']);

/** The layer's columns that may become tile properties. */
export function propertyColumns(layer: Layer): LayerColumn[] {
  return layer.columns.filter((c) => !reserved.has(c.name));
}

/**
 * A property as an MVT value: numbers as float8 (ST_AsMVT writes numeric as a string), integers as int8,
 * dates as ISO 8601 text (to_json gives the same text on every server whatever its DateStyle).
 */
function propertyExpr(column: LayerColumn): string {
  const c = `t.${quoteIdent(column.name)}`;
  switch (column.type) {
    case 'integer':
      return `${c}::int8`;
    case 'number':
      return `${c}::float8`;
    case 'boolean':
      return `${c}::boolean`;
    case 'date':
    case 'datetime':
      return `to_json(${c}) #>> '{}'`;
    default:
      return `${c}::text`;
  }
}

const dimension = { Point: 1, LineString: 2, Polygon: 3 } as const;

/** Does a layer's tile SQL read its table's Web Mercator copy of the geometry (server/sql/tile-geometry.ts)? */
export const readsTileGeometry = (layer: Layer): boolean => layer.tileGeometry === true && !layer.source;

// The tile envelope meets the indexed column in its own SRID: `geom_3857` where the table has it; in tables read in
// place (layer.source) the stored column in the table's SRID, so the table's own GiST index is used; else `t.geom`.
const indexSrid = (layer: Layer): number => layer.source?.srid ?? 4326;
const indexGeom = (layer: Layer): string =>
  readsTileGeometry(layer) ? `t.${quoteIdent(tileGeometryColumn)}` : layer.source ? 't.__native' : `t.${quoteIdent('geom')}`;

/**
 * The SQL text of one layer's tile. Bindings, in order (see `tileBindings`): z, x, y, query margin (fraction of a
 * tile), [simplify tolerance], [min area] (in the units of the geometry read: metres or degrees; neither at a detailed
 * zoom), feature limit, [layer name].
 */
export function tileQuery(layer: Layer, shape: TileQueryShape): string {
  // src.__g is in EPSG:3857 when the table keeps its geometry so (no transform per feature), else in EPSG:4326.
  const mercator = readsTileGeometry(layer);
  const geom = `t.${quoteIdent(mercator ? tileGeometryColumn : 'geom')}`;
  const to3857 = (g: string) => (mercator ? g : `ST_Transform(${g}, 3857)`);
  const query = mercator
    ? 'ST_TileEnvelope(?::int, ?::int, ?::int, margin => ?::float8)'
    : `ST_Transform(ST_TileEnvelope(?::int, ?::int, ?::int, margin => ?::float8), ${indexSrid(layer)})`;
  const props = shape.properties.map((c) => `${propertyExpr(c)} AS ${quoteIdent(c.name)}`);
  const bounds = `bounds AS (
    SELECT e AS tile,
           ${query} AS query,
           ST_Expand(e, (ST_XMax(e) - ST_XMin(e)) * ${tileBuffer / tileExtent})::box2d AS clip,
           ${tileExtent}.0 / (ST_XMax(e) - ST_XMin(e)) AS scale,
           ST_XMin(e) AS x0, ST_YMax(e) AS y1
      FROM (SELECT ST_TileEnvelope(?::int, ?::int, ?::int) AS e) envelope)`;
  let src: string;
  if (shape.cluster) {
    // Cells align with the tile edges, so a cluster lies in exactly one tile whichever tile is asked.
    const cell = `((ST_XMax(b.tile) - ST_XMin(b.tile)) / ${clusterCellsAcross})`; // parenthesised: it divides below
    const p = to3857(geom);
    src = `src AS (
    SELECT min(t.${quoteIdent('id')}) AS __fid, count(*)::int AS count, ST_Centroid(ST_Collect(${geom})) AS __g
      FROM ${layer.tableSql} t, bounds b
     WHERE ${indexGeom(layer)} && b.query
     GROUP BY floor((ST_X(${p}) - b.x0) / ${cell}), floor((b.y1 - ST_Y(${p})) / ${cell})
     LIMIT ?::int)`;
  } else {
    const simplify = simplifies(layer, shape);
    const areaFilter = layer.geometryType === 'Polygon' && !shape.detailed;
    const rank =
      !shape.ranked || layer.geometryType === 'Point'
        ? ''
        : `\n     ORDER BY ${layer.geometryType === 'Polygon' ? 'ST_Area' : 'ST_Length'}(${geom}) DESC, t.${quoteIdent('id')}`;
    src = `src AS (
    SELECT t.${quoteIdent('id')} AS __fid${props.map((p) => `, ${p}`).join('')},
           ${simplify ? `ST_Simplify(${geom}, ?::float8)` : geom} AS __g
      FROM ${layer.tableSql} t, bounds b
     WHERE ${indexGeom(layer)} && b.query${areaFilter ? ` AND ST_Area(${geom}) >= ?::float8` : ''}${rank}
     LIMIT ?::int)`;
  }
  const names = shape.cluster ? ['count'] : shape.properties.map((c) => c.name);
  const carried = names.map((n) => `, s.${quoteIdent(n)}`).join('');
  if (shape.encoder === 'mvt') {
    // OFFSET 0 keeps the subquery from being flattened: the planner would otherwise evaluate ST_AsMVTGeom twice per
    // feature (in the IS NOT NULL filter and again in the row handed to ST_AsMVT). The candidates are counted in the
    // same pass (the aggregate's FILTER drops what clipping emptied), so src is read once and stays inlined: counted
    // apart (SELECT count(*) FROM src), it was materialised with every geometry, a tenth of the composite's
    // PostgreSQL time at z12-16 (1,953 tiles, alternating with the naive SQL on one connection: 1.13 -> 1.02 x it).
    return `WITH ${bounds}, ${src}
SELECT ST_AsMVT(m, ?::text, ${tileExtent}, '__geom', '__fid') FILTER (WHERE m.__geom IS NOT NULL) AS tile, count(*)::int AS n
  FROM (SELECT s.__fid${carried},
               ST_AsMVTGeom(${to3857('s.__g')}, b.tile, ${tileExtent}, ${tileBuffer}, true) AS __geom
          FROM src s, bounds b
        OFFSET 0) m`;
  }
  // Tile coordinates: x right, y down, 0..4096; exterior rings get a positive surveyor's area there (MVT 2.1).
  const dim = shape.cluster ? 1 : dimension[layer.geometryType];
  let g = `ST_SnapToGrid(ST_Affine(ST_ClipByBox2D(${to3857('s.__g')}, b.clip), b.scale, 0, 0, -b.scale, -b.x0 * b.scale, b.y1 * b.scale), 1)`;
  if (dim > 1) g = `ST_CollectionExtract(${g}, ${dim})`;
  if (dim === 3) g = `ST_ForcePolygonCCW(${g})`;
  return `WITH ${bounds}, ${src}
SELECT s.__fid${carried}, ST_AsGeoJSON(${g}, 0, 0) AS __geom
  FROM src s, bounds b`;
}

/** The most coarsening steps a tile over the byte budget gets (each: simplification x1.5 and fewer features). */
export const maxCoarsen = 6;

/**
 * Values bound to `tileQuery`'s text for one tile; `limit` is the feature cap plus one (to detect overflow).
 * `coarsen` (0..maxCoarsen) is how many times a tile over the byte budget has been made coarser: simplification
 * grows by half per step (the renderer also keeps fewer, the largest, features: tippecanoe's drop-smallest-as-needed).
 */
export function tileBindings(layer: Layer, shape: TileQueryShape, coord: TileCoord, limit: number, coarsen = 0): unknown[] {
  const { z, x, y } = coord;
  const margin = shape.cluster ? 0 : tileBuffer / tileExtent;
  const out: unknown[] = [z, x, y, margin, z, x, y];
  if (!shape.cluster && !shape.detailed) {
    const content = tileContent(layer);
    // A tile unit in the units of the geometry read: Web Mercator metres, the same on both axes; or degrees, where the
    // tolerance is taken from the smaller (latitude) unit, so neither axis moves more than simplifyPx units.
    const unit = readsTileGeometry(layer) ? { lon: tileUnitMetres(coord), lat: tileUnitMetres(coord) } : tileUnitDegrees(coord);
    const simplifyPx = coarsen ? Math.max(content.simplifyPx, 1) * 1.5 ** coarsen : content.simplifyPx;
    const minAreaPx = content.minAreaPx;
    if (simplifies(layer, shape)) out.push(simplifyPx * unit.lat);
    // One pixel of a 256 px tile is 16 x 16 tile units.
    if (layer.geometryType === 'Polygon') out.push(minAreaPx * 256 * unit.lon * unit.lat);
  }
  out.push(limit);
  if (shape.encoder === 'mvt') out.push(layer.id);
  return out;
}

/**
 * The cells (tiles of the range's zoom) in an inclusive range that some feature of a layer intersects (tiles/occupancy.ts):
 * one index probe per cell, stopping at the first feature. Layers stored by us only (geometry `geom` in EPSG:4326).
 */
export function occupiedCellsQuery(layer: Layer, range: TileRange): { sql: string; bindings: number[] } {
  return {
    sql: `SELECT g.x, g.y
      FROM generate_series(?::int, ?::int) AS gx(x) CROSS JOIN generate_series(?::int, ?::int) AS gy(y)
      CROSS JOIN LATERAL (SELECT gx.x, gy.y, ST_Transform(ST_TileEnvelope(?::int, gx.x, gy.y), 4326) AS env) AS g
      WHERE EXISTS (SELECT 1 FROM ${layer.tableSql} t WHERE t.geom && g.env AND ST_Intersects(t.geom, g.env))`,
    bindings: [range.minX, range.maxX, range.minY, range.maxY, range.z],
  };
}
