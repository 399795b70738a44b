/**
 * Reading single values out of a parsed query string (express's `req.query`): one value per name, numbers, lists,
 * points. Every failure is an InvalidParameterError naming the parameter and the value.
 */
import { InvalidParameterError } from '../../errors.ts';

/** A parsed query string: each name maps to a string, a list of strings, or (from `a[b]=`) an object. */
export type QueryParams = Record<string, unknown>;

/**
 * The one value of a parameter, or undefined when absent. Repeated parameters and nested objects are rejected, and
 * so is a NUL character: PostgreSQL text cannot hold one, so it would fail in the database instead of here.
 */
export function queryValue(query: QueryParams, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new InvalidParameterError(`parameter "${name}" must be given once, as a plain value`, name);
  if (v.includes('\u0000')) throw new InvalidParameterError(`parameter "${name}" holds a NUL character (%00)`, name);
  return v;
}

/** Rejects query parameters other than `allowed`. */
export function allowOnlyParams(query: QueryParams, allowed: readonly string[], path: string): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) throw new InvalidParameterError(`parameter "${name.slice(0, 64)}" is unknown for ${path}`, name);
  }
}

/** Parses a whole number within [min, max]; `fallback` when absent. A parameter given with no value is a 400. */
export function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,16}$/.test(value.trim())) {
    const what = value === '' ? 'is empty' : `${JSON.stringify(value.slice(0, 40))} is not a whole number`;
    throw new InvalidParameterError(`parameter "${name}": ${what}; give a whole number from ${min} to ${max}`, name);
  }
  const n = Number(value.trim());
  if (n < min || n > max) throw new InvalidParameterError(`parameter "${name}": ${n} is out of range ${min} to ${max}`, name);
  return n;
}

const numberPattern = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** A finite number within [min, max]; `fallback` when absent (undefined fallback = required). */
export function parseNumber(query: QueryParams, name: string, min: number, max: number, fallback?: number): number {
  const raw = queryValue(query, name);
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new InvalidParameterError(`parameter "${name}" is required`, name);
    if (raw === '')
      throw new InvalidParameterError(`parameter "${name}" is empty; give a number from ${min} to ${max} or leave it out`, name);
    return fallback;
  }
  const n = numberPattern.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n))
    throw new InvalidParameterError(`parameter "${name}": ${JSON.stringify(raw.slice(0, 40))} is not a number`, name);
  if (n < min || n > max) throw new InvalidParameterError(`parameter "${name}": ${n} is out of range ${min} to ${max}`, name);
  return n;
}

/** A point in EPSG:4326 from `lon` (-180..180) and `lat` (-90..90), both required. */
export function parseLonLat(query: QueryParams): { lon: number; lat: number } {
  return { lon: parseNumber(query, 'lon', -180, 180), lat: parseNumber(query, 'lat', -90, 90) };
}

/** A comma list of ids (`layers=a,b`), or null when absent. */
export function parseList(query: QueryParams, name: string, max: number): string[] | null {
  const raw = queryValue(query, name);
  if (raw === undefined) return null;
  const list = [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (!list.length) throw new InvalidParameterError(`parameter "${name}" is empty`, name);
  if (list.length > max) throw new InvalidParameterError(`parameter "${name}": at most ${max} entries`, name);
  return list;
}
