/**
 * Geometry work done in Node while streaming: family of a geometry (point, line, polygon), splitting geometry
 * collections by family, and the coordinate transformation to EPSG:4326 with an optional axis swap.
 */
import type { Geometry, Position } from 'geojson';

/** A geometry family: one layer table holds one family. */
export type Family = 'point' | 'line' | 'polygon';

/** The catalog geometry type of a family. */
export const familyType: Record<Family, 'Point' | 'LineString' | 'Polygon'> = {
  point: 'Point',
  line: 'LineString',
  polygon: 'Polygon',
};

/** The family of a non-collection geometry. */
export function familyOf(g: Exclude<Geometry, { type: 'GeometryCollection' }>): Family {
  switch (g.type) {
    case 'Point':
    case 'MultiPoint':
      return 'point';
    case 'LineString':
    case 'MultiLineString':
      return 'line';
    default:
      return 'polygon';
  }
}

/** True when the geometry has no coordinates at all. */
export function isEmptyGeometry(g: Geometry): boolean {
  if (g.type === 'GeometryCollection') return g.geometries.every(isEmptyGeometry);
  const c = g.coordinates as unknown[];
  return (
    !Array.isArray(c) ||
    c.length === 0 ||
    (g.type !== 'Point' && (c as unknown[][]).every((p) => Array.isArray(p) && p.length === 0))
  );
}

/**
 * Splits a geometry by family: a GeometryCollection yields one Multi* per family it contains (nested collections
 * flattened); any other geometry yields itself.
 */
export function splitByFamily(g: Geometry): Array<[Family, Geometry]> {
  if (g.type !== 'GeometryCollection') return [[familyOf(g), g]];
  const points: Position[] = [];
  const lines: Position[][] = [];
  const polygons: Position[][][] = [];
  const walk = (x: Geometry) => {
    switch (x.type) {
      case 'GeometryCollection':
        x.geometries.forEach(walk);
        break;
      case 'Point':
        points.push(x.coordinates);
        break;
      case 'MultiPoint':
        points.push(...x.coordinates);
        break;
      case 'LineString':
        lines.push(x.coordinates);
        break;
      case 'MultiLineString':
        lines.push(...x.coordinates);
        break;
      case 'Polygon':
        polygons.push(x.coordinates);
        break;
      case 'MultiPolygon':
        polygons.push(...x.coordinates);
        break;
    }
  };
  walk(g);
  const out: Array<[Family, Geometry]> = [];
  if (points.length) out.push(['point', { type: 'MultiPoint', coordinates: points }]);
  if (lines.length) out.push(['line', { type: 'MultiLineString', coordinates: lines }]);
  if (polygons.length) out.push(['polygon', { type: 'MultiPolygon', coordinates: polygons }]);
  return out;
}

/** Calls `fn` with every position of a geometry. */
export function eachPosition(g: Geometry, fn: (p: Position) => void): void {
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') fn(c as Position);
    else if (Array.isArray(c)) c.forEach(walk);
  };
  if (g.type === 'GeometryCollection') g.geometries.forEach((x) => eachPosition(x, fn));
  else walk(g.coordinates);
}

/** A new geometry with every position mapped (2D: Z and M are dropped, the tables are 2D). */
export function mapPositions(g: Geometry, fn: (p: Position) => [number, number]): Geometry {
  const walk = (c: unknown): unknown =>
    Array.isArray(c) && typeof c[0] === 'number' ? fn(c as Position) : (c as unknown[]).map(walk);
  if (g.type === 'GeometryCollection')
    return { type: 'GeometryCollection', geometries: g.geometries.map((x) => mapPositions(x, fn)) };
  return { type: g.type, coordinates: walk(g.coordinates) } as Geometry;
}

/**
 * The geometry without parts PostGIS cannot even build (ST_GeomFromGeoJSON fails on them): lines with fewer than
 * 2 positions, rings with fewer than 4, polygons without an outer ring. Null when nothing is left.
 */
export function dropDegenerateParts(g: Geometry): Geometry | null {
  const line = (l: Position[]) => l.length >= 2;
  const polygon = (p: Position[][]) => p.length > 0 && p[0].length >= 4;
  const rings = (p: Position[][]) => p.filter((r) => r.length >= 4); // the outer ring passed polygon(), so it stays first
  switch (g.type) {
    case 'LineString':
      return line(g.coordinates) ? g : null;
    case 'MultiLineString': {
      const ls = g.coordinates.filter(line);
      return ls.length ? { type: 'MultiLineString', coordinates: ls } : null;
    }
    case 'Polygon':
      return polygon(g.coordinates) ? { type: 'Polygon', coordinates: rings(g.coordinates) } : null;
    case 'MultiPolygon': {
      const ps = g.coordinates.filter(polygon).map(rings);
      return ps.length ? { type: 'MultiPolygon', coordinates: ps } : null;
    }
    case 'GeometryCollection': {
      const parts = g.geometries.map(dropDegenerateParts).filter((x): x is Geometry => x !== null);
      return parts.length ? { type: 'GeometryCollection', geometries: parts } : null;
    }
    default:
      return g;
  }
}
