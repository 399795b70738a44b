/**
 * The coordinate reference systems this server reads and writes: WGS 84 (CRS84 and EPSG:4326), Web Mercator
 * and VN-2000 (geographic, UTM 48N/49N and every provincial TM-3 zone). One entry per CRS carries its OGC URI,
 * its proj4 definition and its axis order, so OGC API parameters, uploads and PostGIS all agree.
 */

import { TM3_SCALE_FACTOR, VN2000_TOWGS84, vn2000TmercProj4 } from '../wire/vn2000.ts';

// The VN-2000 shift lives in server/wire/vn2000.ts, which the viewer's cursor read-out shares.
export { VN2000_TOWGS84 };

/** OGC URI of WGS 84 longitude/latitude (the GeoJSON and OGC API default). */
export const CRS84_URI = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';

/** The OGC URI prefix of EPSG codes. */
const EPSG_URI_PREFIX = 'http://www.opengis.net/def/crs/EPSG/0/';

/** How coordinates are ordered in a CRS's authority definition. */
export type AxisOrder = 'lon-lat' | 'lat-lon' | 'east-north';

/** One supported CRS. */
export interface CrsDefinition {
  /** The PostGIS SRID (the EPSG code; CRS84 shares 4326 with EPSG:4326). */
  readonly srid: number;
  /** The OGC URI clients name it by, e.g. http://www.opengis.net/def/crs/EPSG/0/9214. */
  readonly uri: string;
  /** Short code, e.g. 'EPSG:9214' or 'OGC:CRS84'. */
  readonly code: string;
  /** Human-readable name (the EPSG name). */
  readonly title: string;
  /** proj4 definition (proj4js and PROJ both accept it); VN-2000 entries carry VN2000_TOWGS84. */
  readonly proj4: string;
  /** Axis order of the authority definition; proj4 itself always works east/lon first. */
  readonly axisOrder: AxisOrder;
  /** 'geographic' (degrees) or 'projected' (metres). */
  readonly kind: 'geographic' | 'projected';
  /** Geodetic datum: WGS 84 or VN-2000. */
  readonly datum: 'WGS 84' | 'VN-2000';
  /** Central meridian in degrees east for transverse Mercator zones. */
  readonly centralMeridian?: number;
  /** Scale factor on the central meridian for transverse Mercator zones (TM-3 0.9999, UTM 0.9996). */
  readonly scaleFactor?: number;
  /** Provinces (pre-2025 names, as in the EPSG area of use) that use this TM-3 zone for cadastre. */
  readonly provinces?: readonly string[];
}

function formatMeridian(deg: number): string {
  const d = Math.floor(deg);
  const m = Math.round((deg - d) * 60);
  return `${d}-${String(m).padStart(2, '0')}`;
}

/** TM-3 zones of VN-2000 (k = 0.9999, false easting 500 000 m), EPSG v10.076, with the provinces of their area of use. */
const TM3_ZONES: ReadonlyArray<{ srid: number; cm: number; name?: string; provinces: string[] }> = [
  { srid: 5896, cm: 102, name: 'zone 481', provinces: [] },
  {
    srid: 5897,
    cm: 105,
    name: 'zone 482',
    provinces: [
      'Hà Nội',
      'Hà Nam',
      'Hà Tây',
      'Ninh Bình',
      'Thanh Hóa',
      'Vĩnh Phúc',
      'Cần Thơ',
      'Bạc Liêu',
      'Đồng Tháp',
      'Hậu Giang',
    ],
  },
  { srid: 5898, cm: 108, name: 'zone 491', provinces: ['Quảng Ngãi'] },
  { srid: 5899, cm: 107.75, provinces: ['Quảng Ninh', 'Đà Nẵng', 'Quảng Nam', 'Bà Rịa-Vũng Tàu', 'Đồng Nai', 'Lâm Đồng'] },
  { srid: 9205, cm: 103, provinces: ['Điện Biên', 'Lai Châu'] },
  { srid: 9206, cm: 104, provinces: ['Sơn La'] },
  { srid: 9207, cm: 104.5, provinces: ['Cà Mau', 'Kiên Giang'] },
  { srid: 9208, cm: 104.75, provinces: ['An Giang', 'Lào Cai', 'Nghệ An', 'Phú Thọ', 'Yên Bái'] },
  {
    srid: 9209,
    cm: 105.5,
    provinces: [
      'Bắc Ninh',
      'Hà Giang',
      'Hà Tĩnh',
      'Hải Dương',
      'Hưng Yên',
      'Nam Định',
      'Sóc Trăng',
      'Tây Ninh',
      'Thái Bình',
      'Trà Vinh',
      'Vĩnh Long',
    ],
  },
  {
    srid: 9210,
    cm: 105.75,
    provinces: ['Hải Phòng', 'Hồ Chí Minh', 'Bến Tre', 'Bình Dương', 'Cao Bằng', 'Long An', 'Tiền Giang'],
  },
  { srid: 9211, cm: 106, provinces: ['Hòa Bình', 'Quảng Bình', 'Tuyên Quang'] },
  { srid: 9212, cm: 106.25, provinces: ['Bình Phước', 'Quảng Trị'] },
  { srid: 9213, cm: 106.5, provinces: ['Bắc Kạn', 'Thái Nguyên'] },
  { srid: 9214, cm: 107, provinces: ['Bắc Giang', 'Thừa Thiên-Huế'] },
  { srid: 9215, cm: 107.25, provinces: ['Lạng Sơn'] },
  { srid: 9216, cm: 107.5, provinces: ['Kon Tum'] },
  { srid: 9217, cm: 108.25, provinces: ['Bình Định', 'Khánh Hòa', 'Ninh Thuận'] },
  { srid: 9218, cm: 108.5, provinces: ['Bình Thuận', 'Đắk Lắk', 'Đắk Nông', 'Gia Lai', 'Phú Yên'] },
];

function epsg(srid: number, rest: Omit<CrsDefinition, 'srid' | 'uri' | 'code'>): CrsDefinition {
  return { srid, uri: `${EPSG_URI_PREFIX}${srid}`, code: `EPSG:${srid}`, ...rest };
}

/** CRS84: WGS 84 with longitude first, the default of GeoJSON and OGC API Features. */
export const CRS84: CrsDefinition = {
  srid: 4326,
  uri: CRS84_URI,
  code: 'OGC:CRS84',
  title: 'WGS 84 (CRS84, longitude/latitude)',
  proj4: '+proj=longlat +datum=WGS84 +no_defs',
  axisOrder: 'lon-lat',
  kind: 'geographic',
  datum: 'WGS 84',
};

/** Every CRS with an EPSG code that we support, in the order OGC API lists them. */
export const EPSG_CRS: readonly CrsDefinition[] = [
  epsg(4326, {
    title: 'WGS 84',
    proj4: '+proj=longlat +datum=WGS84 +no_defs',
    axisOrder: 'lat-lon',
    kind: 'geographic',
    datum: 'WGS 84',
  }),
  epsg(3857, {
    title: 'WGS 84 / Pseudo-Mercator',
    proj4: '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs',
    axisOrder: 'east-north',
    kind: 'projected',
    datum: 'WGS 84',
  }),
  epsg(4756, {
    title: 'VN-2000',
    proj4: `+proj=longlat +ellps=WGS84 +towgs84=${VN2000_TOWGS84} +no_defs`,
    axisOrder: 'lat-lon',
    kind: 'geographic',
    datum: 'VN-2000',
  }),
  epsg(3405, {
    title: 'VN-2000 / UTM zone 48N',
    proj4: `+proj=utm +zone=48 +ellps=WGS84 +towgs84=${VN2000_TOWGS84} +units=m +no_defs`,
    axisOrder: 'east-north',
    kind: 'projected',
    datum: 'VN-2000',
    centralMeridian: 105,
    scaleFactor: 0.9996,
  }),
  epsg(3406, {
    title: 'VN-2000 / UTM zone 49N',
    proj4: `+proj=utm +zone=49 +ellps=WGS84 +towgs84=${VN2000_TOWGS84} +units=m +no_defs`,
    axisOrder: 'east-north',
    kind: 'projected',
    datum: 'VN-2000',
    centralMeridian: 111,
    scaleFactor: 0.9996,
  }),
  ...TM3_ZONES.map((z) =>
    epsg(z.srid, {
      title: `VN-2000 / TM-3 ${z.name ?? formatMeridian(z.cm)}`,
      proj4: vn2000TmercProj4(z.cm, TM3_SCALE_FACTOR),
      axisOrder: 'east-north',
      kind: 'projected',
      datum: 'VN-2000',
      centralMeridian: z.cm,
      scaleFactor: TM3_SCALE_FACTOR,
      provinces: z.provinces,
    }),
  ),
];

/** Every supported CRS: CRS84 first, then the EPSG ones. */
export const SUPPORTED_CRS: readonly CrsDefinition[] = [CRS84, ...EPSG_CRS];

/** The VN-2000 TM-3 zones (k = 0.9999). */
export const VN2000_TM3_CRS: readonly CrsDefinition[] = EPSG_CRS.filter(
  (c) => c.datum === 'VN-2000' && c.scaleFactor === TM3_SCALE_FACTOR,
);

/** Every VN-2000 CRS (geographic, UTM and TM-3): the rows the PostGIS migration keeps right. */
export const VN2000_CRS: readonly CrsDefinition[] = EPSG_CRS.filter((c) => c.datum === 'VN-2000');

const bySrid = new Map(EPSG_CRS.map((c) => [c.srid, c]));

/** EPSG codes withdrawn by EPSG (false easting/northing defect) and the codes that replace them. */
const DEPRECATED: ReadonlyMap<number, number> = new Map([
  [6956, 5896],
  [6957, 5897],
  [6958, 5898],
  [6959, 5899],
]);

/** A CRS value (URI, code or SRID) that is malformed or not one we support; `value` is what was given. */
export class UnknownCrsError extends Error {
  constructor(
    readonly value: string,
    detail = 'not a supported CRS',
  ) {
    super(`unknown or unsupported CRS "${value}": ${detail}; supported: OGC:CRS84, ${EPSG_CRS.map((c) => c.code).join(', ')}`);
    this.name = 'UnknownCrsError';
  }
}

/** The supported EPSG CRS of an SRID, or throws UnknownCrsError. */
export function crsBySrid(srid: number): CrsDefinition {
  const found = bySrid.get(srid);
  if (found) return found;
  throw new UnknownCrsError(String(srid), unsupportedReason(srid));
}

function unsupportedReason(srid: number): string {
  const replacement = DEPRECATED.get(srid);
  return replacement ? `deprecated by EPSG, use EPSG:${replacement}` : `EPSG:${srid} is not supported`;
}

/** The OGC URI of an SRID (http://www.opengis.net/def/crs/EPSG/0/<srid>); throws UnknownCrsError for unsupported ones. */
export function crsUri(srid: number): string {
  return crsBySrid(srid).uri;
}

// CRS84 in every spelling clients send: OGC URI (http or https, any version), URN, CURIE, safe CURIE.
const CRS84_FORMS =
  /^(?:https?:\/\/www\.opengis\.net\/def\/crs\/OGC\/(?:1\.3|0)\/CRS84|urn:ogc:def:crs:OGC:(?:1\.3)?:CRS84|(?:OGC:)?CRS84)$/i;
// EPSG codes: OGC URI (any version), URN (with or without a version), CURIE, GML's legacy srs URL.
const EPSG_FORMS = [
  /^https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/[0-9.]+\/(\d+)$/i,
  /^urn:ogc:def:crs:EPSG:[0-9.]*:(\d+)$/i,
  /^EPSG:(\d+)$/i,
];

/**
 * Resolves a CRS named by URI ('http://www.opengis.net/def/crs/EPSG/0/9214'), URN, code ('EPSG:9214') or CRS84 form
 * to its definition. The axis order follows the form: EPSG:4326 and EPSG:4756 are latitude first, CRS84 longitude first.
 * Throws UnknownCrsError naming the value when it is malformed or unsupported.
 */
export function parseCrsUri(value: string): CrsDefinition {
  const s = value.trim().replace(/^\[(.*)\]$/, '$1');
  if (CRS84_FORMS.test(s)) return CRS84;
  for (const form of EPSG_FORMS) {
    const m = form.exec(s);
    if (!m) continue;
    const srid = Number(m[1]);
    const found = bySrid.get(srid);
    if (found) return found;
    throw new UnknownCrsError(value, unsupportedReason(srid));
  }
  throw new UnknownCrsError(value, 'not a CRS URI, URN or EPSG code');
}

/**
 * True when coordinates in this CRS are written latitude (or northing) first, so GeoJSON's lon/lat order must be
 * swapped on output and input (EPSG:4326 and EPSG:4756 asked for by URI). False for CRS84 and the projected CRSs.
 */
export function needsAxisSwap(crs: CrsDefinition | string): boolean {
  const def = typeof crs === 'string' ? parseCrsUri(crs) : crs;
  return def.axisOrder === 'lat-lon';
}
