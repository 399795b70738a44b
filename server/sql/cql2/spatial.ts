/**
 * SQL for spatial predicates. The geometry column is EPSG:4326 with a GiST index: the column stays bare and the
 * literal is built (and transformed from the filter CRS when that is not 4326), so the index can be used.
 */
import type { Geometry, Position } from 'geojson';
import { CqlError, originOf, type CqlBbox, type CqlGeometry, type SpatialOperator } from './ast.ts';

/** PostGIS function of each CQL2 spatial predicate. */
export const spatialFunctionSql: Record<SpatialOperator, string> = {
  s_intersects: 'ST_Intersects',
  s_equals: 'ST_Equals',
  s_disjoint: 'ST_Disjoint',
  s_touches: 'ST_Touches',
  s_within: 'ST_Within',
  s_overlaps: 'ST_Overlaps',
  s_crosses: 'ST_Crosses',
  s_contains: 'ST_Contains',
};

/** Where geometry literals come from: their CRS and axis order. */
export interface LiteralCrs {
  /** EPSG code of the literal coordinates (`filter-crs`); 4326 covers CRS84 too. */
  srid: number;
  /** True when the CRS lists latitude first (EPSG:4326 proper, as opposed to CRS84): coordinates are swapped. */
  swapAxes: boolean;
}

/** Adds a value and returns its placeholder. */
export type Bind = (value: unknown, cast: string) => string;

/** SQL of a geometry literal in EPSG:4326; its values are bound through `bind`. */
export function geometryLiteralSql(node: CqlGeometry | CqlBbox, crs: LiteralCrs, bind: Bind): string {
  return node.kind === 'bbox' ? bboxSql(node, crs, bind) : geoJsonSql(node, crs, bind);
}

function geoJsonSql(node: CqlGeometry, crs: LiteralCrs, bind: Bind): string {
  const geometry = crs.swapAxes ? mapPositions(node.geometry, ([a, b, ...z]) => [b, a, ...z]) : node.geometry;
  if (crs.srid === 4326) {
    forEachPosition(geometry, (p) => checkLonLat(p[0], p[1], originOf(node)));
    return `ST_SetSRID(ST_GeomFromGeoJSON(${bind(JSON.stringify(geometry), 'text')}), 4326)`;
  }
  return `ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(${bind(JSON.stringify(geometry), 'text')}), ${bind(crs.srid, 'int')}), 4326)`;
}

function bboxSql(node: CqlBbox, crs: LiteralCrs, bind: Bind): string {
  const b = node.bbox;
  let [minx, miny, maxx, maxy] = b.length === 6 ? [b[0], b[1], b[3], b[4]] : b;
  if (crs.swapAxes) [minx, miny, maxx, maxy] = [miny, minx, maxy, maxx];
  const where = originOf(node);
  // `srid` is a function so that its placeholder, when it has one, is bound after the four numbers it follows.
  const env = (x0: number, y0: number, x1: number, y1: number, srid: () => string) => {
    const corners = [x0, y0, x1, y1].map((v) => bind(v, 'double precision'));
    return `ST_MakeEnvelope(${corners.join(', ')}, ${srid()})`;
  };
  const wgs84 = () => '4326';
  if (crs.srid === 4326) {
    checkLonLat(minx, miny, where);
    checkLonLat(maxx, maxy, where);
    if (minx <= maxx) return env(minx, miny, maxx, maxy, wgs84);
    // West above east: the box crosses the antimeridian, so it is two boxes.
    return `ST_Collect(${env(minx, miny, 180, maxy, wgs84)}, ${env(-180, miny, maxx, maxy, wgs84)})`;
  }
  if (minx > maxx) throw new CqlError(`the bbox has minx ${minx} above maxx ${maxx} in EPSG:${crs.srid}`, where);
  // Densify before transforming so the box's edges stay where they were drawn (32 segments a side).
  const step = Math.max(maxx - minx, maxy - miny) / 32 || 1;
  return `ST_Transform(ST_Segmentize(${env(minx, miny, maxx, maxy, () => bind(crs.srid, 'int'))}, ${bind(step, 'double precision')}), 4326)`;
}

function checkLonLat(lon: number, lat: number, where: string): void {
  if (lon < -180 || lon > 180) throw new CqlError(`longitude ${lon} is outside -180..180`, where);
  if (lat < -90 || lat > 90) throw new CqlError(`latitude ${lat} is outside -90..90`, where);
}

function forEachPosition(g: Geometry, fn: (p: Position) => void): void {
  mapPositions(g, (p) => {
    fn(p);
    return p;
  });
}

function mapPositions(g: Geometry, fn: (p: Position) => Position): Geometry {
  switch (g.type) {
    case 'Point':
      return { type: g.type, coordinates: fn(g.coordinates) };
    case 'LineString':
    case 'MultiPoint':
      return { type: g.type, coordinates: g.coordinates.map(fn) };
    case 'Polygon':
    case 'MultiLineString':
      return { type: g.type, coordinates: g.coordinates.map((r) => r.map(fn)) };
    case 'MultiPolygon':
      return { type: g.type, coordinates: g.coordinates.map((p) => p.map((r) => r.map(fn))) };
    case 'GeometryCollection':
      return { type: g.type, geometries: g.geometries.map((m) => mapPositions(m, fn)) };
  }
}

/**
 * S_DWITHIN between the bare column and a literal, in metres on the ellipsoid. `ST_DWithin` on geography is exact
 * but cannot use the geometry index, so a box test (`&&`, indexed) comes first: the literal's envelope grown by the
 * distance in degrees, never less than needed (110 km per degree of latitude, that over cos(latitude) for longitude,
 * the whole world in longitude near the poles, across the antimeridian or beyond 5 degrees).
 */
export function dwithinSql(
  column: string,
  literal: () => string,
  metres: number,
  bind: Bind,
  nativeBox?: (box4326Sql: string) => string | null,
): string {
  const prefilter = () =>
    `(SELECT ST_Expand(r.g, CASE WHEN r.lat >= 89 OR r.dy > 5 OR ST_XMin(r.g) - r.dy / cos(radians(r.lat)) < -180` +
    ` OR ST_XMax(r.g) + r.dy / cos(radians(r.lat)) > 180 THEN 360 ELSE r.dy / cos(radians(r.lat)) END, r.dy)` +
    ` FROM (SELECT q.g, q.dy, GREATEST(abs(ST_YMin(q.g)), abs(ST_YMax(q.g))) + q.dy AS lat` +
    ` FROM (SELECT ${literal()} AS g, ${bind(metres, 'double precision')} / 110000.0 AS dy) AS q) AS r)`;
  // A table read in place in another SRID: the same box, in its SRID, against its own column and index first.
  const native = nativeBox ? (box: string) => nativeBox(box) ?? `${box} IS NOT NULL` : null;
  return `(${native ? `${native(prefilter())} AND ` : ''}${column} && ${prefilter()} AND ST_DWithin(${column}::geography, ${literal()}::geography, ${bind(metres, 'double precision')}))`;
}
