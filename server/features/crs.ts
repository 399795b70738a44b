/**
 * CRS parameters of OGC API Features Part 2 (`crs`, `bbox-crs`, `filter-crs`) resolved through the CRS registry,
 * and the coordinate precision we write in each kind of CRS.
 */
import { CRS84, SUPPORTED_CRS, UnknownCrsError, parseCrsUri, type CrsDefinition } from '../crs/registry.ts';
import { InvalidParameterError } from '../errors.ts';

/** Every CRS a client may ask for in `crs`, `bbox-crs` and `filter-crs` (URIs, CRS84 first). */
export const supportedCrsUris: readonly string[] = SUPPORTED_CRS.map((c) => c.uri);

/** The storage CRS of every layer table: geometry(…, 4326), longitude first. */
export const storageCrs: CrsDefinition = CRS84;

/** Resolves a CRS parameter (URI, URN or EPSG:n); an unknown one is a 400 naming the parameter. */
export function parseCrsParam(param: string, value: string | undefined): CrsDefinition {
  if (value === undefined || value === '') return CRS84;
  try {
    return parseCrsUri(value);
  } catch (err) {
    if (err instanceof UnknownCrsError) throw new InvalidParameterError(`parameter "${param}": ${err.message}`);
    throw err;
  }
}

/**
 * Decimal digits written for coordinates: 7 in degrees (~1 cm at 21°N), 3 in metres (1 mm).
 * Enough for cadastral VN-2000 coordinates without bloating responses.
 */
export function coordinatePrecision(crs: CrsDefinition): number {
  return crs.kind === 'geographic' ? 7 : 3;
}

/** True when GeoJSON coordinates must be written latitude first (EPSG:4326 and EPSG:4756 asked for by URI). */
export function isLatitudeFirst(crs: CrsDefinition): boolean {
  return crs.axisOrder === 'lat-lon';
}

/** The `Content-Crs` header value: the URI in angle brackets (OGC API Features Part 2). */
export function contentCrsHeader(crs: CrsDefinition): string {
  return `<${crs.uri}>`;
}
