/**
 * Recognising the CRS of an uploaded .prj (ESRI WKT, OGC WKT1 or WKT2). VN-2000 is recognised by its datum name
 * (VN_2000, VN-2000, Vietnam 2000, D_Vietnam_2000) or by a TOWGS84 with its parameters in either sign convention;
 * the answer always carries the official EPSG:6960 shift, whatever (or whether) the .prj had.
 */
import { EPSG_CRS, VN2000_TOWGS84, crsBySrid } from './registry.ts';
import { WktSyntaxError, children, findDeep, nameOf, numbersOf, parseWkt, type WktNode } from './wkt.ts';

/** How the TOWGS84 of a .prj compared with the official VN-2000 shift. */
export type Towgs84InPrj = 'none' | 'official' | 'decision-signs' | 'other';

/** A CRS recognised from a .prj. */
export interface PrjCrs {
  /** A supported EPSG code when the .prj matches one (e.g. 9214); absent for other VN-2000 or WGS 84 definitions. */
  readonly srid?: number;
  /** proj4 definition to transform with; for VN-2000 always with the official +towgs84. */
  readonly proj4: string;
  /** The name in the .prj (PROJCS/GEOGCS name). */
  readonly name: string;
  readonly datum: 'VN-2000' | 'WGS 84';
  /** What the .prj's own TOWGS84 was; anything but 'official' and 'none' was replaced by the official one. */
  readonly towgs84InPrj: Towgs84InPrj;
  /** For a TM-3 zone declared on WGS 84: the VN-2000 zone with the same parameters, which the data most likely is. */
  readonly vn2000Lookalike?: number;
  /** What was recognised or corrected, for the job report. */
  readonly notes: readonly string[];
}

const OFFICIAL = VN2000_TOWGS84.split(',').map(Number);
// The decision's (coordinate-frame) rotation signs pasted into a position-vector TOWGS84: the classic mistake.
const DECISION_SIGNS = OFFICIAL.map((v, i) => (i >= 3 && i <= 5 ? -v : v));
const WGS84_A = 6378137;
const WGS84_RF = 298.257223563;

const fold = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
const near = (a: readonly number[], b: readonly number[], tol = 1e-6) =>
  a.length >= 7 && b.every((v, i) => Math.abs(v - a[i]) <= tol);

function classifyTowgs84(values: number[] | undefined): Towgs84InPrj {
  if (!values || values.every((v) => v === 0)) return 'none';
  if (near(values, OFFICIAL)) return 'official';
  if (near(values, DECISION_SIGNS)) return 'decision-signs';
  return 'other';
}

function isVn2000Name(...names: string[]): boolean {
  return names.some((n) => /vn2000|vietnam2000/.test(fold(n)));
}

function isWgs84Name(...names: string[]): boolean {
  return names.some((n) => /wgs84|wgs1984|worldgeodeticsystem1984/.test(fold(n)));
}

/** Projection parameters of a WKT1 PARAMETER list or a WKT2 CONVERSION, keyed by folded name. */
function projectionParameters(node: WktNode): Map<string, number> {
  const holder = findDeep(node, 'CONVERSION') ?? node;
  const params = new Map<string, number>();
  for (const p of children(holder, 'PARAMETER')) {
    const v = numbersOf(p)[0];
    if (v !== undefined) params.set(fold(nameOf(p)), v);
  }
  return params;
}

function param(params: Map<string, number>, fallback: number, ...names: string[]): number {
  for (const n of names) {
    const v = params.get(n);
    if (v !== undefined) return v;
  }
  return fallback;
}

/** Metres per unit of the projected CRS's axes (1 when the .prj names none). */
function linearUnit(root: WktNode): number {
  // WKT1 puts UNIT directly under PROJCS; WKT2 puts LENGTHUNIT under PROJCRS or inside each AXIS.
  const unit =
    children(root, 'UNIT', 'LENGTHUNIT')[0] ??
    children(root, 'AXIS')
      .map((a) => children(a, 'LENGTHUNIT')[0])
      .find(Boolean);
  return numbersOf(unit)[0] ?? 1;
}

/**
 * Recognises VN-2000 (geographic 4756, UTM 48N/49N, TM-3 zones) and WGS 84 (4326, 3857, other transverse Mercator)
 * in a .prj. Returns null when the text is not WKT, the ellipsoid is not WGS 84 (e.g. Hà Nội-72), or the
 * projection is not one we handle: the uploader must then name the CRS.
 */
export function crsFromPrj(wktText: string): PrjCrs | null {
  let root: WktNode;
  try {
    root = parseWkt(wktText.replace(/^\uFEFF/, ''));
  } catch (err) {
    if (err instanceof WktSyntaxError) return null;
    throw err;
  }
  return recognise(root);
}

function recognise(root: WktNode): PrjCrs | null {
  const rootKind = root.keyword.toUpperCase();
  if (rootKind === 'COMPD_CS' || rootKind === 'COMPOUNDCRS') {
    const horizontal = root.args.find((a): a is WktNode => typeof a === 'object');
    return horizontal ? recognise(horizontal) : null;
  }
  if (rootKind === 'BOUNDCRS') {
    // WKT2 BOUNDCRS[SOURCECRS[...], TARGETCRS[...], ABRIDGEDTRANSFORMATION[...]]: the source CRS is the data's CRS;
    // its transformation is replaced by the official one anyway.
    const source = children(root, 'SOURCECRS')[0]?.args.find((a): a is WktNode => typeof a === 'object');
    return source ? recognise(source) : null;
  }
  if (!['PROJCS', 'PROJCRS', 'PROJECTEDCRS', 'GEOGCS', 'GEOGCRS', 'GEOGRAPHICCRS', 'GEODCRS'].includes(rootKind)) return null;
  const datum = datumOf(root);
  if (!datum) return null;
  const base = {
    name: nameOf(root),
    datum: datum.vn2000 ? ('VN-2000' as const) : ('WGS 84' as const),
    towgs84InPrj: datum.towgs84InPrj,
  };
  if (!['PROJCS', 'PROJCRS', 'PROJECTEDCRS'].includes(rootKind)) {
    const srid = datum.vn2000 ? 4756 : 4326;
    return { ...base, srid, proj4: crsBySrid(srid).proj4, notes: [...datum.notes, `geographic ${base.datum}: EPSG:${srid}`] };
  }
  const projected = projectionOf(root, datum.vn2000);
  return projected && { ...base, ...projected, notes: [...datum.notes, ...projected.notes] };
}

interface DatumReading {
  readonly vn2000: boolean;
  readonly towgs84InPrj: Towgs84InPrj;
  readonly notes: string[];
}

/** VN-2000 or WGS 84 from the datum and ellipsoid of a CRS element; null for any other datum. */
function datumOf(root: WktNode): DatumReading | null {
  const spheroid = numbersOf(findDeep(root, 'SPHEROID', 'ELLIPSOID'));
  if (spheroid.length >= 2 && (Math.abs(spheroid[0] - WGS84_A) > 0.001 || Math.abs(spheroid[1] - WGS84_RF) > 1e-6)) return null;
  const towgs = numbersOf(findDeep(root, 'TOWGS84'));
  const towgs84InPrj = classifyTowgs84(towgs.length ? towgs : undefined);
  const authority = children(root, 'AUTHORITY', 'ID')[0];
  const authCode = authority && fold(nameOf(authority)) === 'epsg' ? Number(authority.args[1]) : NaN;
  const names = [
    nameOf(root),
    nameOf(findDeep(root, 'DATUM', 'GEODETICDATUM', 'TRF')),
    nameOf(findDeep(root, 'GEOGCS', 'GEOGCRS', 'BASEGEOGCRS', 'BASEGEODCRS', 'GEODCRS')),
  ];
  const vn2000 =
    isVn2000Name(...names) ||
    towgs84InPrj === 'official' ||
    towgs84InPrj === 'decision-signs' ||
    EPSG_CRS.some((c) => c.srid === authCode && c.datum === 'VN-2000');
  if (!vn2000 && ((!isWgs84Name(...names) && spheroid.length === 0) || towgs84InPrj === 'other')) return null;
  const notes: string[] = [];
  if (vn2000 && towgs84InPrj === 'none') notes.push('the .prj has no TOWGS84: the official VN-2000 shift (EPSG:6960) is applied');
  if (vn2000 && towgs84InPrj === 'decision-signs')
    notes.push("the .prj's TOWGS84 has the decision's rotation signs (~0.76 m off): replaced by the official shift");
  if (vn2000 && towgs84InPrj === 'other')
    notes.push(`the .prj's TOWGS84 (${towgs.join(',')}) is not the official one: replaced by EPSG:6960`);
  return { vn2000, towgs84InPrj, notes };
}

/** The projection of a projected CRS element: a listed EPSG code, or a proj4 string of its transverse Mercator. */
function projectionOf(
  root: WktNode,
  vn2000: boolean,
): { srid?: number; proj4: string; vn2000Lookalike?: number; notes: string[] } | null {
  const method = fold(nameOf(findDeep(root, 'PROJECTION', 'METHOD')));
  if (!vn2000 && /pseudomercator|popularvisualisation|mercatorauxiliarysphere/.test(method)) {
    return { srid: 3857, proj4: crsBySrid(3857).proj4, notes: ['WGS 84 / Pseudo-Mercator: EPSG:3857'] };
  }
  if (!/transversemercator|gausskruger/.test(method)) return null;
  const params = projectionParameters(root);
  const toMetre = linearUnit(root);
  const cm = param(params, NaN, 'centralmeridian', 'longitudeofnaturalorigin', 'longitudeofcenter', 'longitudeoforigin');
  const k = param(params, 1, 'scalefactor', 'scalefactoratnaturalorigin');
  const fe = param(params, 0, 'falseeasting') * toMetre;
  const fn = param(params, 0, 'falsenorthing') * toMetre;
  const lat0 = param(params, 0, 'latitudeoforigin', 'latitudeofnaturalorigin');
  if (!Number.isFinite(cm)) return null;
  // The EPSG zone with exactly these parameters, had the datum been VN-2000.
  const match =
    toMetre === 1 && lat0 === 0 && fn === 0 && fe === 500000
      ? EPSG_CRS.find((c) => c.datum === 'VN-2000' && c.kind === 'projected' && c.centralMeridian === cm && c.scaleFactor === k)
      : undefined;
  if (vn2000 && match)
    return {
      srid: match.srid,
      proj4: match.proj4,
      notes: [`${match.title}: EPSG:${match.srid} (central meridian ${cm}°, k ${k})`],
    };
  const datumProj4 = vn2000 ? `+ellps=WGS84 +towgs84=${VN2000_TOWGS84}` : '+datum=WGS84';
  const units = toMetre === 1 ? '+units=m' : `+to_meter=${toMetre}`;
  const proj4 = `+proj=tmerc +lat_0=${lat0} +lon_0=${cm} +k=${k} +x_0=${fe} +y_0=${fn} ${datumProj4} ${units} +no_defs`;
  const notes = [
    `transverse Mercator on ${vn2000 ? 'VN-2000' : 'WGS 84'} (central meridian ${cm}°, k ${k}, false easting ${fe} m, ` +
      `false northing ${fn} m): no EPSG code we list, its own parameters are used`,
  ];
  if (!vn2000 && match && k === 0.9999) {
    // A TM-3 zone declared on WGS 84 is the usual way VN-2000 data loses its datum shift (~220 m): ask.
    notes.push(
      `these are the parameters of ${match.title} (EPSG:${match.srid}) on a WGS 84 datum: if the data is VN-2000, choose EPSG:${match.srid}`,
    );
    return { proj4, vn2000Lookalike: match.srid, notes };
  }
  return { proj4, notes };
}
