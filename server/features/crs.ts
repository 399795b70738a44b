/**
 * The CRSs of OGC API Features Part 2 (`crs`, `bbox-crs`, `filter-crs`) we offer, and the coordinate precision we
 * write in each kind of CRS. The HTTP edge resolves the parameters (`server/http/params/crs.ts`).
 */
import { CRS84, SUPPORTED_CRS, type CrsDefinition } from '../crs/registry.ts';

/** Every CRS a client may ask for in `crs`, `bbox-crs` and `filter-crs` (URIs, CRS84 first). */
export const supportedCrsUris: readonly string[] = SUPPORTED_CRS.map((c) => c.uri);

/** The storage CRS of every layer table: geometry(…, 4326), longitude first. */
export const storageCrs: CrsDefinition = CRS84;

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
