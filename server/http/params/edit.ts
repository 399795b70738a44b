/**
 * The request parts of feature edits (OGC API Features Part 4): the GeoJSON Feature of POST/PUT, the JSON merge patch
 * of PATCH, `If-Match`, `Content-Crs` and `repair`. Geometry is checked here for structure only (type, nesting,
 * finite numbers, a vertex cap); its CRS, validity, type and place are checked by the edit service in PostGIS.
 */
import { CRS84, UnknownCrsError, parseCrsUri, type CrsDefinition } from '../../crs/registry.ts';
import { InvalidParameterError, PayloadTooLargeError } from '../../errors.ts';
import type { EditGeometry } from '../../edit/geometry.ts';
import type { FeatureInput, FeaturePatch } from '../../edit/service.ts';
import { bodyGeometryTypes, maxGeometryVertices } from './geometry.ts';
import { queryValue, type QueryParams } from './query-string.ts';

const depthOf: Record<string, number> = {
  Point: 0,
  MultiPoint: 1,
  LineString: 1,
  MultiLineString: 2,
  Polygon: 2,
  MultiPolygon: 3,
};

function checkPositions(value: unknown, depth: number, where: string, count: { n: number }): void {
  if (depth === 0) {
    if (
      !Array.isArray(value) ||
      value.length < 2 ||
      value.length > 3 ||
      !value.every((n) => typeof n === 'number' && Number.isFinite(n))
    ) {
      throw new InvalidParameterError(`field "${where}": a position is an array of 2 or 3 finite numbers`, 'geometry');
    }
    if (++count.n > maxGeometryVertices)
      throw new PayloadTooLargeError(`field "geometry": more than ${maxGeometryVertices} vertices`);
    return;
  }
  if (!Array.isArray(value) || value.length === 0)
    throw new InvalidParameterError(`field "${where}": expected a non-empty array of coordinates`, 'geometry');
  value.forEach((v, i) => checkPositions(v, depth - 1, `${where}[${i}]`, count));
}

type Ring = number[][];

/** Lines of 2 positions or more, rings of 4 or more that end where they start (GEOS cannot even test them otherwise). */
function checkShape(type: string, coordinates: unknown): void {
  const where = 'geometry.coordinates';
  if (type === 'LineString' || type === 'MultiLineString') {
    const lines = (type === 'LineString' ? [coordinates] : coordinates) as Ring[];
    lines.forEach((l, i) => {
      if (l.length < 2) throw new InvalidParameterError(`field "${where}": line ${i} needs at least 2 positions`, 'geometry');
    });
  }
  if (type === 'Polygon' || type === 'MultiPolygon') {
    const polygons = (type === 'Polygon' ? [coordinates] : coordinates) as Ring[][];
    polygons.forEach((rings, i) =>
      rings.forEach((r, j) => {
        const [first, last] = [r[0], r[r.length - 1]];
        if (r.length < 4 || first[0] !== last[0] || first[1] !== last[1]) {
          throw new InvalidParameterError(
            `field "${where}": ring ${j} of polygon ${i} needs at least 4 positions and must end where it starts`,
            'geometry',
          );
        }
      }),
    );
  }
}

/** A GeoJSON geometry of a body in `crs` (structure only). */
export function parseEditGeometry(value: unknown, crs: CrsDefinition): EditGeometry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidParameterError('field "geometry" is required: a GeoJSON geometry object', 'geometry');
  }
  const g = value as Record<string, unknown>;
  if (typeof g.type !== 'string' || !(g.type in depthOf)) {
    throw new InvalidParameterError(
      `field "geometry.type": ${JSON.stringify(String(g.type).slice(0, 40))} is not one of ${bodyGeometryTypes.join(', ')}`,
      'geometry',
    );
  }
  checkPositions(g.coordinates, depthOf[g.type], 'geometry.coordinates', { n: 0 });
  checkShape(g.type, g.coordinates);
  return { geojson: { type: g.type, coordinates: g.coordinates }, crs };
}

function parseProperties(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new InvalidParameterError('field "properties" must be an object', 'properties');
  return value as Record<string, unknown>;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidParameterError('the body must be a JSON object (a GeoJSON Feature, or a merge patch for PATCH)', 'body');
  }
  return body as Record<string, unknown>;
}

/** The GeoJSON Feature of POST and PUT; for PUT its `id`, when given, must be the feature's id. */
export function parseFeatureBody(body: unknown, crs: CrsDefinition, fid?: number): FeatureInput {
  const f = bodyObject(body);
  if (f.type !== 'Feature')
    throw new InvalidParameterError('field "type": the body must be a GeoJSON Feature ("type": "Feature")', 'type');
  if (fid !== undefined && f.id !== undefined && f.id !== null && String(f.id) !== String(fid)) {
    throw new InvalidParameterError(`field "id": ${JSON.stringify(f.id)} is not the id of the feature replaced (${fid})`, 'id');
  }
  return { geometry: parseEditGeometry(f.geometry, crs), properties: parseProperties(f.properties) };
}

/** The JSON merge patch of PATCH (RFC 7396): `properties` and/or `geometry`; nothing else may change. */
export function parseFeaturePatch(body: unknown, crs: CrsDefinition): FeaturePatch {
  const p = bodyObject(body);
  for (const key of Object.keys(p)) {
    if (!['type', 'id', 'properties', 'geometry'].includes(key)) {
      throw new InvalidParameterError(
        `field "${key.slice(0, 40)}": a patch may change only "properties" and "geometry"`,
        key.slice(0, 40),
      );
    }
  }
  if (p.geometry === null)
    throw new InvalidParameterError('field "geometry": a feature of a layer cannot lose its geometry', 'geometry');
  const patch: FeaturePatch = {};
  if (p.properties !== undefined) patch.properties = parseProperties(p.properties);
  if (p.geometry !== undefined) patch.geometry = parseEditGeometry(p.geometry, crs);
  if (!patch.properties && !patch.geometry)
    throw new InvalidParameterError('the patch changes nothing: give "properties" and/or "geometry"', 'body');
  return patch;
}

/** The entity tags of If-Match (strong comparison: weak tags never match), `*`, or null when absent. */
export function parseIfMatch(header: string | undefined): string[] | null {
  if (header === undefined || header.trim() === '') return null;
  const tags = header
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of tags) {
    if (t !== '*' && !/^(W\/)?"[^"]*"$/.test(t))
      throw new InvalidParameterError(`header "If-Match": ${JSON.stringify(t.slice(0, 60))} is not an entity tag`, 'If-Match');
  }
  return tags;
}

/**
 * `If-None-Match: *` (true), absent (false). Only `*` is taken: it is how a restore says "the feature is deleted
 * as I read it" (RFC 9110 13.1.2); a list of ETags would mean nothing to an edit.
 */
export function parseIfNoneMatch(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return false;
  if (header.trim() === '*') return true;
  throw new InvalidParameterError(
    `header "If-None-Match": only * is accepted (restore of a deleted feature), not ${JSON.stringify(header.trim().slice(0, 60))}`,
    'If-None-Match',
  );
}

/** The CRS of the coordinates in the body (`Content-Crs: <uri>`, OGC API Features Part 2/4); CRS84 when absent. */
export function parseContentCrs(header: string | undefined): CrsDefinition {
  if (header === undefined || header.trim() === '') return CRS84;
  const value = header.trim().replace(/^<(.*)>$/, '$1');
  try {
    return parseCrsUri(value);
  } catch (err) {
    if (err instanceof UnknownCrsError) throw new InvalidParameterError(`header "Content-Crs": ${err.message}`, 'Content-Crs');
    throw err;
  }
}

/** `repair=true|false` (default false): repair an invalid geometry with ST_MakeValid instead of refusing it. */
export function parseRepair(query: QueryParams): boolean {
  const v = queryValue(query, 'repair');
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  throw new InvalidParameterError(`parameter "repair": ${JSON.stringify(v.slice(0, 20))} is not true or false`, 'repair');
}

/** A feature id or version number of a path: a positive whole number, else NotFound-worthy (null). */
export function parsePathNumber(value: string): number | null {
  return /^\d{1,9}$/.test(value) ? Number(value) : null;
}
