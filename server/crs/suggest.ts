/**
 * Proposing a CRS when an upload has none: from coordinate ranges alone a VN-2000 TM-3 zone can be recognised but
 * not told apart from its neighbours, so candidates are ranked by what can be checked (do the points land in
 * Vietnam, in the hinted province, in a province that uses that zone) and the uploader confirms one.
 */
import { EPSG_CRS, crsBySrid, type CrsDefinition } from './registry.ts';
import { proj4Transformer, type Position } from './transform.ts';
import { PROVINCE_BOUNDS, inBbox, isInsideVietnam, type LonLatBbox } from './vietnam.ts';
import type { AxisOrderDetection } from '../wire/upload.ts';

// The detection is part of the upload job report (server/wire/upload.ts).
export type { AxisOrderDetection } from '../wire/upload.ts';

// Plausible ranges in Vietnam: degrees of the onshore area (with a margin), and metres of TM-3 / UTM 48N-49N
// eastings and northings (8.3° N is about 918 km north of the equator, 23.4° N about 2 590 km).
const LON = [101.5, 110] as const;
const LAT = [7.5, 24] as const;
const EASTING = [100_000, 900_000] as const;
const NORTHING = [900_000, 2_650_000] as const;
const within = (v: number, r: readonly [number, number]) => v >= r[0] && v <= r[1];

/** Detects lat/lon or northing/easting order of coordinate pairs from Vietnam's value ranges. */
export function detectSwappedAxes(coords: readonly Position[]): AxisOrderDetection {
  const geo = { eastFirst: 0, northFirst: 0 };
  const proj = { eastFirst: 0, northFirst: 0 };
  let neither = 0;
  for (const [a, b] of coords) {
    if (within(a, LON) && within(b, LAT)) geo.eastFirst++;
    else if (within(a, LAT) && within(b, LON)) geo.northFirst++;
    else if (within(a, EASTING) && within(b, NORTHING)) proj.eastFirst++;
    else if (within(a, NORTHING) && within(b, EASTING)) proj.northFirst++;
    else neither++;
  }
  const geoVotes = geo.eastFirst + geo.northFirst;
  const projVotes = proj.eastFirst + proj.northFirst;
  if (geoVotes === 0 && projVotes === 0)
    return { swapped: false, kind: 'unknown', votes: { eastFirst: 0, northFirst: 0, neither } };
  const [kind, v] = geoVotes >= projVotes ? (['geographic', geo] as const) : (['projected', proj] as const);
  return { swapped: v.northFirst > v.eastFirst, kind, votes: { ...v, neither } };
}

/** One proposed CRS for coordinates without one. */
export interface CrsSuggestion {
  readonly srid: number;
  readonly uri: string;
  readonly title: string;
  /** Rank score in [0, 1]; higher is more plausible. A ranking, not a probability. */
  readonly score: number;
  /** True when every sample point lands in Vietnam when read in this CRS. */
  readonly insideVietnam: boolean;
  /** Share of sample points that land in Vietnam. */
  readonly fractionInside: number;
  /** Where the samples land in WGS 84 [minLon, minLat, maxLon, maxLat] when read in this CRS. */
  readonly wgs84Bbox: LonLatBbox;
  /** True when the samples were read with their two values swapped (northing/latitude first). */
  readonly axesSwapped: boolean;
  /** Why it ranks where it does, for the job report. */
  readonly reasons: readonly string[];
}

/** Options of suggestVn2000Crs. */
export interface SuggestOptions {
  /** A province (pre-2025 name, any case, with or without diacritics, e.g. 'Bắc Giang', 'bac ninh'). */
  readonly province?: string;
  /** SRIDs to rank up on ties; default: the two zones of today's Bắc Ninh (9214 former Bắc Giang, 9209 former Bắc Ninh). */
  readonly preferSrids?: readonly number[];
  /** The area this server's data is expected in (WGS 84); default BAC_NINH_2025_BOUNDS. */
  readonly regionBounds?: LonLatBbox;
  /** At most this many sample points are transformed (evenly picked); default 500. */
  readonly maxSamples?: number;
}

/** The TM-3 zones of the merged (2025) Bắc Ninh province: 107°00' for the former Bắc Giang, 105°30' for the former Bắc Ninh. */
export const BAC_NINH_ZONES: readonly number[] = [9214, 9209];

/** Today's Bắc Ninh (former Bắc Giang and Bắc Ninh together) as a WGS 84 box. */
export const BAC_NINH_2025_BOUNDS: LonLatBbox = [105.87, 20.96, 107.04, 21.64];

/** Folds a Vietnamese place name to bare lower-case ASCII letters ('Thừa Thiên-Huế' -> 'thuathienhue'). */
export function foldPlaceName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .replace(/^(tinh|thanhpho|tp)(?=.)/, '');
}

/** The TM-3 zone EPSG assigns to a (pre-2025) province, or undefined when the name is not known. */
export function tm3ZoneOfProvince(province: string): CrsDefinition | undefined {
  const key = foldPlaceName(province);
  return EPSG_CRS.find((c) => c.provinces?.some((p) => foldPlaceName(p) === key));
}

function samplePoints(input: readonly Position[] | LonLatBbox, max: number): Position[] {
  if (input.length === 4 && typeof input[0] === 'number') {
    const [x0, y0, x1, y1] = input as LonLatBbox;
    return [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
      [(x0 + x1) / 2, (y0 + y1) / 2],
    ];
  }
  const pts = input as readonly Position[];
  if (pts.length <= max) return [...pts];
  return Array.from({ length: max }, (_, i) => pts[Math.floor((i * pts.length) / max)]);
}

/**
 * Proposes CRSs for coordinates that came without one: a bbox [minX, minY, maxX, maxY] or sample positions,
 * in either axis order. Projected values (x ~ 500 000, y ~ 2 300 000 m) yield every VN-2000 TM-3 zone and UTM
 * 48N/49N whose reading lands in Vietnam; degrees yield EPSG:4326 and EPSG:4756. Best first; never empty when
 * any reading lands in Vietnam. The caller must let the uploader confirm: neighbouring zones all fit the ranges.
 */
export function suggestVn2000Crs(input: readonly Position[] | LonLatBbox, options: SuggestOptions = {}): CrsSuggestion[] {
  const raw = samplePoints(input, options.maxSamples ?? 500);
  const axes = detectSwappedAxes(raw);
  const points = axes.swapped ? raw.map(([a, b]) => [b, a] as Position) : raw;
  const context: RankingContext = {
    province: options.province,
    hinted: options.province ? tm3ZoneOfProvince(options.province) : undefined,
    hintedBounds: options.province ? boundsOfProvince(options.province) : undefined,
    prefer: options.preferSrids ?? BAC_NINH_ZONES,
    region: options.regionBounds ?? BAC_NINH_2025_BOUNDS,
  };
  const candidates =
    axes.kind === 'geographic'
      ? [crsBySrid(4326), crsBySrid(4756)]
      : EPSG_CRS.filter((c) => c.datum === 'VN-2000' && c.kind === 'projected');
  const out: CrsSuggestion[] = [];
  for (const crs of candidates) {
    const landed = landing(crs, points);
    if (landed.inside === 0) continue;
    const fraction = landed.inside / points.length;
    const { score, reasons } = rank(crs, fraction, landed.points, context);
    if (axes.swapped) reasons.push('read with the two values swapped: the first looks like the northing/latitude');
    out.push({
      srid: crs.srid,
      uri: crs.uri,
      title: crs.title,
      score: Math.max(0, Math.min(1, Math.round(score * 1000) / 1000)),
      insideVietnam: landed.inside === points.length,
      fractionInside: fraction,
      wgs84Bbox: landed.bbox,
      axesSwapped: axes.swapped,
      reasons,
    });
  }
  return out.sort((a, b) => b.score - a.score || a.srid - b.srid);
}

interface RankingContext {
  readonly province?: string;
  readonly hinted?: CrsDefinition;
  readonly hintedBounds?: LonLatBbox;
  readonly prefer: readonly number[];
  readonly region: LonLatBbox;
}

/**
 * Weights: landing in Vietnam 0.4, in this server's region 0.15, in a known province that uses the zone 0.25,
 * the uploader's province hint 0.15, this province's own zones and TM-3 over UTM 0.05 together.
 */
function rank(
  crs: CrsDefinition,
  fractionInVietnam: number,
  landed: readonly Position[],
  ctx: RankingContext,
): { score: number; reasons: string[] } {
  const reasons = [`${percent(fractionInVietnam)} of the sample points land in Vietnam`];
  let score = 0.4 * fractionInVietnam;
  const inRegion = share(landed, (lon, lat) => inBbox(ctx.region, lon, lat));
  score += 0.15 * inRegion;
  if (inRegion > 0) reasons.push(`${percent(inRegion)} land in this server's region`);
  if (crs.kind === 'geographic') {
    reasons.push('WGS 84 and VN-2000 degrees differ by only ~200 m: the ranges cannot tell them apart');
    return { score: score + (crs.srid === 4326 ? 0.05 : 0.03), reasons };
  }
  const homes = Object.entries(PROVINCE_BOUNDS).filter(([name]) => crs.provinces?.includes(name));
  const atHome = share(landed, (lon, lat) => homes.some(([, b]) => inBbox(b, lon, lat)));
  score += 0.25 * atHome;
  if (atHome > 0) reasons.push(`${percent(atHome)} land in ${homes.map(([n]) => n).join(', ')}, which uses this zone`);
  if (ctx.hinted?.srid === crs.srid) {
    score += 0.15;
    reasons.push(`the central meridian of ${ctx.province}`);
    // The hint names a zone; when the points read in that zone miss the province, the hint is doubtful.
    const hintedBounds = ctx.hintedBounds;
    if (hintedBounds && share(landed, (lon, lat) => inBbox(hintedBounds, lon, lat)) < 0.5) {
      score -= 0.15;
      reasons.push(`read in this zone the points fall outside ${ctx.province}`);
    }
  }
  if (ctx.prefer.includes(crs.srid)) score += 0.03;
  if (crs.scaleFactor === 0.9999) score += 0.02;
  return { score, reasons };
}

function landing(crs: CrsDefinition, points: readonly Position[]): { inside: number; points: Position[]; bbox: LonLatBbox } {
  const t = proj4Transformer(crs, 4326);
  const landed: Position[] = [];
  let inside = 0;
  const bbox = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of points) {
    let lonLat: Position;
    try {
      lonLat = t.forward(p);
    } catch {
      continue;
    }
    landed.push(lonLat);
    if (isInsideVietnam(lonLat[0], lonLat[1])) inside++;
    bbox[0] = Math.min(bbox[0], lonLat[0]);
    bbox[1] = Math.min(bbox[1], lonLat[1]);
    bbox[2] = Math.max(bbox[2], lonLat[0]);
    bbox[3] = Math.max(bbox[3], lonLat[1]);
  }
  return { inside, points: landed, bbox: bbox as unknown as LonLatBbox };
}

function boundsOfProvince(province: string): LonLatBbox | undefined {
  const key = foldPlaceName(province);
  const name = Object.keys(PROVINCE_BOUNDS).find((p) => foldPlaceName(p) === key);
  return name ? PROVINCE_BOUNDS[name] : undefined;
}

function share(points: readonly Position[], test: (lon: number, lat: number) => boolean): number {
  return points.length ? points.filter(([lon, lat]) => test(lon, lat)).length / points.length : 0;
}

function percent(f: number): string {
  return `${Math.round(f * 100)} %`;
}
