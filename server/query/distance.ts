/** Points and distances of the spatial queries: EPSG:4326 degrees, metres on the WGS 84 ellipsoid. Pure. */

/** A point in EPSG:4326. */
export interface LonLat {
  lon: number;
  lat: number;
}

/**
 * Degrees of longitude/latitude that surely cover `metres` around latitude `lat`: an index pre-filter in EPSG:4326
 * before the exact test on the ellipsoid. 110,574 m is the shortest degree of latitude; a degree of longitude is
 * 111,320·cos(lat) m; 5 % slack covers the ellipsoid's flattening.
 */
export function degreesCovering(metres: number, lat: number): number {
  const cos = Math.max(Math.cos((Math.min(Math.abs(lat), 89) * Math.PI) / 180), 0.01);
  return (metres * 1.05) / (110_574 * cos);
}
