/**
 * The VN-2000 parameters the server and the viewer both use (the server to read uploads and write downloads, the
 * viewer for its cursor read-out). Pure data: this module imports nothing, so the viewer's bundle may include it.
 */

/**
 * The official VN-2000 -> WGS 84 shift of Decision 05/2007/QĐ-BTNMT (EPSG:6960) as proj4/PROJ `+towgs84`:
 * metres, arc-seconds, ppm. PROJ and proj4js take position-vector rotations, so the decision's (coordinate-frame)
 * rotation signs are flipped here; pasting the decision's signs costs ~0.76 m in Bắc Giang.
 */
export const VN2000_TOWGS84 = '-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278';

/** The scale factor on the central meridian of the VN-2000 TM-3 zones (UTM zones use 0.9996). */
export const TM3_SCALE_FACTOR = 0.9999;

/**
 * The proj4 definition of a VN-2000 transverse Mercator zone: central meridian in degrees east, false easting
 * 500 000 m, with the official shift. TM-3 zones take `TM3_SCALE_FACTOR`.
 */
export function vn2000TmercProj4(centralMeridian: number, scale: number = TM3_SCALE_FACTOR): string {
  return (
    `+proj=tmerc +lat_0=0 +lon_0=${centralMeridian} +k=${scale} +x_0=500000 +y_0=0 +ellps=WGS84 ` +
    `+towgs84=${VN2000_TOWGS84} +units=m +no_defs`
  );
}
