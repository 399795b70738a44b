/**
 * The geometry of an edit, checked in PostGIS: input in any supported CRS (`Content-Crs`) is transformed to EPSG:4326,
 * checked for validity (ST_IsValidReason; repaired with ST_MakeValid only when asked), against the layer's geometry
 * type (the Multi form of the layer's type is accepted) and against the bounds of Vietnam.
 */
import type { Knex } from 'knex';
import type { CrsDefinition } from '../crs/registry.ts';
import { needsAxisSwap } from '../crs/registry.ts';
import { VIETNAM_BOUNDS } from '../crs/vietnam.ts';
import { InvalidParameterError } from '../errors.ts';

/** A geometry from a request body: structurally valid GeoJSON, its coordinates in `crs`. */
export interface EditGeometry {
  /** The GeoJSON geometry object. */
  geojson: { type: string; coordinates: unknown };
  crs: CrsDefinition;
}

/** A geometry ready to store: hex EWKB in EPSG:4326, of the layer table's stored type. */
export interface PreparedGeometry {
  hexEwkb: string;
}

const dimensionOf: Record<string, number> = { Point: 1, LineString: 2, Polygon: 3 };

interface CheckRow {
  parsed: boolean;
  error: string | null;
  valid: boolean | null;
  reason: string | null;
  type: string | null;
  parts: number | null;
  empty: boolean | null;
  xmin: number | null;
  ymin: number | null;
  xmax: number | null;
  ymax: number | null;
  hex: string | null;
}

/**
 * Transforms, repairs (when `repair`) and checks a geometry for a layer of `baseType` whose table stores `storedType`
 * (`Polygon`, `MultiPolygon`, `Geometry`, ...). Throws InvalidParameterError naming `field` and the reason.
 */
export async function prepareGeometry(
  trx: Knex.Transaction,
  input: EditGeometry,
  baseType: string,
  storedType: string,
  repair: boolean,
  field = 'geometry',
): Promise<PreparedGeometry> {
  const dim = dimensionOf[baseType] ?? 0;
  let row: CheckRow;
  try {
    // Axis order of the CRS (EPSG:4326 and 4756 by URI are latitude first) is undone before ST_Transform; Z is dropped.
    const result = await trx.raw(
      `WITH src AS (
         SELECT ST_Transform(ST_SetSRID(CASE WHEN ?::boolean THEN ST_FlipCoordinates(g) ELSE g END, ?::int), 4326) AS g
           FROM (SELECT ST_Force2D(ST_GeomFromGeoJSON(?::text)) AS g) parsed),
       fixed AS (
         SELECT g AS original, CASE WHEN ?::boolean AND NOT ST_IsValid(g) THEN ST_CollectionExtract(ST_MakeValid(g), ?::int) ELSE g END AS g FROM src)
       SELECT true AS parsed, NULL AS error, ST_IsValid(g) AS valid, ST_IsValidReason(original) AS reason, ST_GeometryType(g) AS type,
              ST_NumGeometries(g) AS parts, ST_IsEmpty(g) AS empty,
              ST_XMin(g) AS xmin, ST_YMin(g) AS ymin, ST_XMax(g) AS xmax, ST_YMax(g) AS ymax, ST_AsHEXEWKB(g) AS hex
         FROM fixed`,
      [needsAxisSwap(input.crs), input.crs.srid, JSON.stringify(input.geojson), repair, dim],
    );
    row = (result.rows as CheckRow[])[0];
  } catch (err) {
    const message = (err as Error).message.replace(/^.*? - /, '').slice(0, 200);
    throw new InvalidParameterError(
      `field "${field}": PostGIS cannot read this geometry in ${input.crs.code}: ${message}`,
      field,
    );
  }
  if (!row.valid) {
    throw new InvalidParameterError(
      `field "${field}": the geometry is invalid (${row.reason}); fix it, or send ?repair=true to have it repaired with ST_MakeValid`,
      field,
    );
  }
  if (row.empty)
    throw new InvalidParameterError(`field "${field}": the geometry is empty${repair ? ' after repair' : ''}`, field);
  const type = (row.type ?? '').replace(/^ST_/, '');
  if (type !== baseType && type !== `Multi${baseType}`) {
    throw new InvalidParameterError(
      `field "${field}": a ${type} cannot be stored in a layer of ${baseType} features (${baseType} or Multi${baseType})`,
      field,
    );
  }
  const [w, s, e, n] = VIETNAM_BOUNDS;
  if (row.xmin! < w || row.ymin! < s || row.xmax! > e || row.ymax! > n) {
    const box = [row.xmin, row.ymin, row.xmax, row.ymax].map((v) => Number(v).toFixed(5)).join(', ');
    throw new InvalidParameterError(
      `field "${field}": the geometry (bbox ${box} in EPSG:4326, from ${input.crs.code}) lies outside Vietnam (${VIETNAM_BOUNDS.join(', ')})`,
      field,
    );
  }
  if (storedType === baseType && type === `Multi${baseType}` && row.parts !== 1) {
    throw new InvalidParameterError(
      `field "${field}": this layer stores single ${baseType} features; a ${type} of ${row.parts} parts does not fit`,
      field,
    );
  }
  return { hexEwkb: row.hex! };
}

/** SQL turning a prepared geometry (bound hex EWKB) into the table's stored type. */
export function storedGeometrySql(baseType: string, storedType: string): string {
  if (storedType === `Multi${baseType}`) return 'ST_Multi(?::geometry)';
  if (storedType === baseType)
    return `(CASE WHEN ST_NumGeometries(?::geometry) = 1 AND GeometryType(?::geometry) LIKE 'MULTI%'
    THEN ST_GeometryN(?::geometry, 1) ELSE ?::geometry END)`;
  return '?::geometry';
}

/** How many times storedGeometrySql binds the geometry. */
export function storedGeometryBindings(baseType: string, storedType: string, g: PreparedGeometry): string[] {
  const n = storedType === baseType ? 4 : 1;
  return Array.from({ length: n }, () => g.hexEwkb);
}
