/** Where Vietnam is: bounds used to catch wrong zones and swapped axes after a transformation to WGS 84. */

/** A bounding box [minLon, minLat, maxLon, maxLat] in WGS 84 degrees. */
export type LonLatBbox = readonly [number, number, number, number];

/**
 * Vietnam onshore, the EPSG area of use of VN-2000 (8.33–23.4° N, 102.14–109.53° E), widened by 0.05° so
 * border and coastal features are not rejected for rounding. A box, not the border: it also covers parts of
 * Laos, Cambodia, China and the sea, so "inside" means plausible, not proven.
 */
export const VIETNAM_BOUNDS: LonLatBbox = [102.09, 8.28, 109.58, 23.45];

/** Provinces (pre-2025) whose outline we know, as WGS 84 boxes from the 2009 commune boundaries, rounded outwards. */
export const PROVINCE_BOUNDS: Readonly<Record<string, LonLatBbox>> = {
  'Bắc Giang': [105.87, 21.11, 107.04, 21.64],
  'Bắc Ninh': [105.89, 20.96, 106.32, 21.28],
};

/** True when WGS 84 lon/lat (degrees) lies in VIETNAM_BOUNDS. */
export function isInsideVietnam(lon: number, lat: number): boolean {
  return inBbox(VIETNAM_BOUNDS, lon, lat);
}

/** True when lon/lat (degrees) lies in the box (edges included). */
export function inBbox(b: LonLatBbox, lon: number, lat: number): boolean {
  return lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3];
}
