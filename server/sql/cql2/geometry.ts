/**
 * Geometry literals of CQL2 filters, held as GeoJSON whichever encoding they came in (WKT or GeoJSON).
 * Shapes are checked here (closed rings, enough points, finite numbers, a vertex budget) so that a bad literal
 * is a 400 naming its place, not a PostGIS error.
 */
import type { Geometry, Position } from 'geojson';
import { CqlBudget, CqlError } from './ast.ts';
import { checkNumber } from './literals.ts';

/** A line needs two positions. */
export function checkLineString(coords: Position[], where: string): Position[] {
  if (coords.length < 2) throw new CqlError(`a line string needs at least 2 positions, got ${coords.length}`, where);
  return coords;
}

/** A polygon ring needs four positions and must end where it starts. */
export function checkRing(coords: Position[], where: string): Position[] {
  if (coords.length < 4) throw new CqlError(`a polygon ring needs at least 4 positions, got ${coords.length}`, where);
  const first = coords[0];
  const last = coords[coords.length - 1];
  if (first.length !== last.length || first.some((v, i) => v !== last[i])) {
    throw new CqlError('a polygon ring must end at its first position', where);
  }
  return coords;
}

/** A bounding box: 4 or 6 finite numbers, south not above north (west > east crosses the antimeridian). */
export function checkBbox(values: unknown, where: string): number[] {
  if (!Array.isArray(values) || (values.length !== 4 && values.length !== 6)) {
    throw new CqlError('a bbox needs 4 numbers (minx, miny, maxx, maxy) or 6 (with minz and maxz)', where);
  }
  const bbox = values.map((v, i) => checkNumber(v, `${where}[${i}]`));
  const [miny, maxy] = bbox.length === 4 ? [bbox[1], bbox[3]] : [bbox[1], bbox[4]];
  if (miny > maxy) throw new CqlError(`the bbox has miny ${miny} above maxy ${maxy}`, where);
  return bbox;
}

/** Reads GeoJSON geometry objects of a CQL2-JSON filter, counting vertices against the budget. */
export class GeoJsonReader {
  constructor(private readonly budget: CqlBudget) {}

  /** A GeoJSON geometry (no nested GeometryCollection), or a CqlError naming the JSON path. */
  geometry(value: Record<string, unknown>, path: string, nested = false): Geometry {
    const type = value.type;
    const c = value.coordinates;
    const at = `${path}.coordinates`;
    switch (type) {
      case 'Point':
        return { type, coordinates: this.position(c, at) };
      case 'LineString':
        return { type, coordinates: checkLineString(this.positions(c, at), at) };
      case 'Polygon':
        return { type, coordinates: this.polygon(c, at) };
      case 'MultiPoint':
        return { type, coordinates: this.members(c, at, (v, p) => this.position(v, p)) };
      case 'MultiLineString':
        return { type, coordinates: this.members(c, at, (v, p) => checkLineString(this.positions(v, p), p)) };
      case 'MultiPolygon':
        return { type, coordinates: this.members(c, at, (v, p) => this.polygon(v, p)) };
      case 'GeometryCollection': {
        if (nested) throw new CqlError('a GeometryCollection must not contain another GeometryCollection', path);
        const geometries = this.members(value.geometries, `${path}.geometries`, (v, p) => {
          if (!isObject(v)) throw new CqlError('expected a GeoJSON geometry object', p);
          return this.geometry(v, p, true);
        });
        return { type, geometries };
      }
      default:
        throw new CqlError(`unknown GeoJSON geometry type ${JSON.stringify(type)}`, `${path}.type`);
    }
  }

  private position(value: unknown, path: string): Position {
    if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
      throw new CqlError('a position needs 2 or 3 numbers', path);
    }
    this.budget.vertex(path);
    return value.map((v, i) => checkNumber(v, `${path}[${i}]`));
  }

  private positions(value: unknown, path: string): Position[] {
    return this.members(value, path, (v, p) => this.position(v, p), 0);
  }

  private polygon(value: unknown, path: string): Position[][] {
    return this.members(value, path, (v, p) => checkRing(this.positions(v, p), p));
  }

  private members<T>(value: unknown, path: string, read: (v: unknown, p: string) => T, min = 1): T[] {
    if (!Array.isArray(value)) throw new CqlError('expected an array', path);
    if (value.length < min) throw new CqlError('empty geometries are not supported', path);
    const out: T[] = [];
    for (let i = 0; i < value.length; i++) out.push(read(value[i], `${path}[${i}]`));
    return out;
  }
}

/** A plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
