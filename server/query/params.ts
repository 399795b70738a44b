/** Parameters of the spatial queries (`/query/...`): points, distances, counts, layer lists. Pure; 400 naming the parameter. */
import { InvalidParameterError } from '../errors.ts';
import { single } from '../features/params.ts';

const numberPattern = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** A finite number within [min, max]; `fallback` when absent (undefined fallback = required). */
export function parseNumber(query: Record<string, unknown>, name: string, min: number, max: number, fallback?: number): number {
  const raw = single(query, name);
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new InvalidParameterError(`parameter "${name}" is required`);
    return fallback;
  }
  const n = numberPattern.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new InvalidParameterError(`parameter "${name}": ${JSON.stringify(raw.slice(0, 40))} is not a number`);
  if (n < min || n > max) throw new InvalidParameterError(`parameter "${name}": ${n} is out of range ${min} to ${max}`);
  return n;
}

/** A point in EPSG:4326 from `lon` and `lat`. */
export interface LonLat {
  lon: number;
  lat: number;
}

/** Reads `lon` (-180..180) and `lat` (-90..90), both required. */
export function parseLonLat(query: Record<string, unknown>): LonLat {
  return { lon: parseNumber(query, 'lon', -180, 180), lat: parseNumber(query, 'lat', -90, 90) };
}

/** A comma list of ids (`layers=a,b`), or null when absent. */
export function parseList(query: Record<string, unknown>, name: string, max: number): string[] | null {
  const raw = single(query, name);
  if (raw === undefined) return null;
  const list = [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))];
  if (!list.length) throw new InvalidParameterError(`parameter "${name}" is empty`);
  if (list.length > max) throw new InvalidParameterError(`parameter "${name}": at most ${max} entries`);
  return list;
}

/** Rejects query parameters other than `allowed`. */
export function allowOnlyParams(query: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) throw new InvalidParameterError(`parameter "${name.slice(0, 64)}" is unknown for ${path}`);
  }
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
