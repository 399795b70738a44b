/**
 * GeoJSON geometry in request bodies (EPSG:4326 lon/lat). Checked in JS before it is bound: type, nesting, finite
 * coordinates in range, closed rings, and a vertex cap, so a hostile body is a 400/413 naming the field, never a
 * PostGIS error or a minute of GEOS time.
 */
import type { Geometry, Position } from 'geojson';
import { InvalidParameterError, PayloadTooLargeError } from '../../errors.ts';

/** The most vertices a drawn geometry may have (a detailed commune outline has a few thousand). */
export const maxGeometryVertices = 50_000;

/** Geometry types accepted in request bodies. */
export const bodyGeometryTypes = ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'] as const;

/** Depth of position arrays below `coordinates` for each type. */
const depthOf: Record<(typeof bodyGeometryTypes)[number], number> = {
  Point: 0,
  MultiPoint: 1,
  LineString: 1,
  MultiLineString: 2,
  Polygon: 2,
  MultiPolygon: 3,
};

class VertexBudget {
  count = 0;
  constructor(
    readonly field: string,
    readonly max: number,
  ) {}
  add(): void {
    if (++this.count > this.max) {
      throw new PayloadTooLargeError(
        `field "${this.field}": the geometry has more than ${this.max} vertices (LIMIT_QUERY_GEOMETRY_VERTICES)`,
      );
    }
  }
}

function position(value: unknown, where: string, budget: VertexBudget): Position {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
    throw new InvalidParameterError(`field "${where}": a position is an array of 2 or 3 numbers`);
  }
  if (!value.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new InvalidParameterError(`field "${where}": coordinates must be finite numbers`);
  }
  const [lon, lat] = value as number[];
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
    throw new InvalidParameterError(
      `field "${where}": [${lon}, ${lat}] is outside longitude -180..180 / latitude -90..90 (EPSG:4326)`,
    );
  }
  budget.add();
  return value as Position;
}

function positions(value: unknown, depth: number, where: string, budget: VertexBudget): unknown {
  if (depth === 0) return position(value, where, budget);
  if (!Array.isArray(value)) throw new InvalidParameterError(`field "${where}": expected an array of coordinates`);
  return value.map((v, i) => positions(v, depth - 1, `${where}[${i}]`, budget));
}

function checkLine(line: Position[], where: string): void {
  if (line.length < 2) throw new InvalidParameterError(`field "${where}": a line needs at least 2 positions`);
}

function checkRing(ring: Position[], where: string): void {
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (ring.length < 4 || first[0] !== last[0] || first[1] !== last[1]) {
    throw new InvalidParameterError(`field "${where}": a polygon ring needs at least 4 positions and must end where it starts`);
  }
}

/**
 * Validates a GeoJSON geometry (or a Feature, whose geometry is taken) from a request body and returns it.
 * `field` names it in messages.
 */
export function parseBodyGeometry(value: unknown, field = 'geometry', maxVertices = maxGeometryVertices): Geometry {
  if (value === undefined || value === null)
    throw new InvalidParameterError(`field "${field}" is required: a GeoJSON geometry in EPSG:4326`);
  if (typeof value !== 'object' || Array.isArray(value))
    throw new InvalidParameterError(`field "${field}" must be a GeoJSON geometry object`);
  const obj = value as Record<string, unknown>;
  if (obj.type === 'Feature') return parseBodyGeometry(obj.geometry, `${field}.geometry`, maxVertices);
  const type = obj.type;
  if (typeof type !== 'string' || !(bodyGeometryTypes as readonly string[]).includes(type)) {
    throw new InvalidParameterError(
      `field "${field}.type": ${JSON.stringify(String(type).slice(0, 40))} is not one of ${bodyGeometryTypes.join(', ')}`,
    );
  }
  const t = type as (typeof bodyGeometryTypes)[number];
  const budget = new VertexBudget(field, maxVertices);
  const coords = positions(obj.coordinates, depthOf[t], `${field}.coordinates`, budget);
  const where = `${field}.coordinates`;
  if (t === 'LineString') checkLine(coords as Position[], where);
  if (t === 'MultiLineString') (coords as Position[][]).forEach((l, i) => checkLine(l, `${where}[${i}]`));
  if (t === 'Polygon' || t === 'MultiPolygon') {
    const polygons = (t === 'Polygon' ? [coords] : coords) as Position[][][];
    polygons.forEach((p, i) => {
      if (!p.length) throw new InvalidParameterError(`field "${where}": a polygon needs an outer ring`);
      p.forEach((r, j) => checkRing(r, t === 'Polygon' ? `${where}[${j}]` : `${where}[${i}][${j}]`));
    });
  }
  if (t !== 'Point' && (coords as unknown[]).length === 0)
    throw new InvalidParameterError(`field "${where}": the geometry is empty`);
  return { type: t, coordinates: coords } as Geometry;
}
