/**
 * Coordinate transformation between supported CRSs with proj4js. VN-2000 definitions carry the official
 * EPSG:6960 shift (see registry.ts), so results agree with PROJ's EPSG:6960 pipeline to well under a millimetre.
 */
import proj4 from 'proj4';
import { crsBySrid, parseCrsUri, type CrsDefinition } from './registry.ts';

/** A coordinate pair in proj4 order: longitude/latitude in degrees or easting/northing in metres. */
export type Position = readonly [number, number];

/** A CRS given as an SRID, a supported definition, a URI/code ('EPSG:9214'), or a proj4 string ('+proj=...'). */
export type CrsInput = number | CrsDefinition | string;

/** Converts positions between two CRSs, always in proj4 order (lon/lat, east/north), never axis-swapped. */
export interface CrsTransformer {
  /** proj4 definition of the source CRS. */
  readonly from: string;
  /** proj4 definition of the target CRS. */
  readonly to: string;
  /** Source -> target; throws RangeError when the position cannot be transformed. */
  forward(p: Position): [number, number];
  /** Target -> source; throws RangeError when the position cannot be transformed. */
  inverse(p: Position): [number, number];
}

/** The proj4 definition of a CRS input; throws UnknownCrsError for unsupported SRIDs and URIs. */
export function proj4Definition(crs: CrsInput): string {
  if (typeof crs === 'number') return crsBySrid(crs).proj4;
  if (typeof crs !== 'string') return crs.proj4;
  return crs.trim().startsWith('+') ? crs.trim() : parseCrsUri(crs).proj4;
}

const CACHE_LIMIT = 256;
const cache = new Map<string, CrsTransformer>();

/**
 * A (cached) transformer between two CRSs, e.g. proj4Transformer(4326, 9214).forward([106.2, 21.28]) -> [E, N] in metres.
 * Positions are in proj4 order whatever the CRS's authority axis order; use needsAxisSwap() at the API edge.
 */
export function proj4Transformer(from: CrsInput, to: CrsInput): CrsTransformer {
  const fromDef = proj4Definition(from);
  const toDef = proj4Definition(to);
  const key = `${fromDef}|${toDef}`;
  let t = cache.get(key);
  if (!t) {
    const converter = proj4(fromDef, toDef);
    // proj4js throws TypeError on non-finite input and returns Infinity/NaN outside a projection's domain.
    const run = (op: (p: number[]) => number[], input: Position, src: string, dst: string): [number, number] => {
      let out: number[] = [Number.NaN, Number.NaN];
      try {
        out = op([input[0], input[1]]);
      } catch {
        // reported below with the position and both CRSs
      }
      if (!Number.isFinite(out[0]) || !Number.isFinite(out[1])) {
        throw new RangeError(`cannot transform (${input[0]}, ${input[1]}) from "${src}" to "${dst}"`);
      }
      return [out[0], out[1]];
    };
    t = {
      from: fromDef,
      to: toDef,
      forward: (p) => run((q) => converter.forward(q), p, fromDef, toDef),
      inverse: (p) => run((q) => converter.inverse(q), p, toDef, fromDef),
    };
    // Definitions from uploaded .prj files are open-ended: keep the cache bounded (oldest entry out first).
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, t);
  }
  return t;
}
