/**
 * WGS 84 -> VN-2000 TM-3 for the cursor read-out, with proj4 and the official 7-parameter shift of
 * QĐ 05/2007/QĐ-BTNMT (EPSG:6960), as the server defines it in server/wire/vn2000.ts.
 *
 * The merged province spans two TM-3 zones: former Bắc Ninh uses 105°30′ (EPSG:9209), former Bắc Giang 107°00′
 * (EPSG:9214). "auto" picks the zone by which former province the point lies in (2009 boundary, simplified).
 */
import proj4 from 'proj4';
// The server's own VN-2000 parameters (a pure data module the bundle may include), so both read the same shift.
import { vn2000TmercProj4 as tm3 } from '../../server/wire/vn2000.ts';
import formerBacNinh from './former-bac-ninh.json' with { type: 'json' };

/** The TM-3 zones of the province. */
export const zones = {
  'EPSG:9209': { name: 'VN-2000 / TM-3 105-30', def: tm3(105.5) },
  'EPSG:9214': { name: 'VN-2000 / TM-3 107-00', def: tm3(107) },
} as const;

/** A zone code of the province. */
export type ZoneCode = keyof typeof zones;

const converters = Object.fromEntries(Object.entries(zones).map(([code, z]) => [code, proj4('WGS84', z.def)])) as Record<
  ZoneCode,
  proj4.Converter
>;

const ring = (formerBacNinh.geometry.coordinates[0] as number[][]).map(([x, y]) => [x, y] as const);

/** True when (lon, lat) lies inside the simplified 2009 outline of former Bắc Ninh (ray casting). */
export function inFormerBacNinh(lon: number, lat: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The TM-3 zone of a point: 105°30′ inside former Bắc Ninh, 107°00′ elsewhere (former Bắc Giang). */
export function zoneFor(lon: number, lat: number): ZoneCode {
  return inFormerBacNinh(lon, lat) ? 'EPSG:9209' : 'EPSG:9214';
}

/** Easting and northing (metres) of a WGS 84 point in a VN-2000 TM-3 zone. */
export function toVn2000(lon: number, lat: number, zone: ZoneCode): { easting: number; northing: number } {
  const [easting, northing] = converters[zone].forward([lon, lat]);
  return { easting, northing };
}
