/**
 * WGS 84 -> VN-2000 TM-3 for the cursor read-out, with proj4 and the official 7-parameter shift of
 * QĐ 05/2007/QĐ-BTNMT (EPSG:6960). proj4's `+towgs84` takes position-vector rotations, so the decision's rotation
 * signs are flipped here (as PROJ emits it for EPSG:4756).
 *
 * The merged province spans two TM-3 zones: former Bắc Ninh uses 105°30′ (EPSG:9209), former Bắc Giang 107°00′
 * (EPSG:9214). "auto" picks the zone by which former province the point lies in (2009 boundary, simplified).
 */
import proj4 from 'proj4';
import formerBacNinh from './former-bac-ninh.json' with { type: 'json' };

const towgs84 = '+towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278';
const tm3 = (lon0: number) =>
  `+proj=tmerc +lat_0=0 +lon_0=${lon0} +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 ${towgs84} +units=m +no_defs`;

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
