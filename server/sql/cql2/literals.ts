/** Checks shared by both CQL2 encodings: instants, distances and the names we know but do not evaluate. */
import { CqlError } from './ast.ts';

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const timestampPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function checkCalendarDate(year: string, month: string, day: string): boolean {
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const d = new Date(0);
  d.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  return d.getUTCFullYear() === Number(year) && d.getUTCMonth() === Number(month) - 1 && d.getUTCDate() === Number(day);
}

/** A DATE literal: `YYYY-MM-DD`, a real calendar day. */
export function checkDate(value: unknown, where: string): string {
  const m = typeof value === 'string' ? datePattern.exec(value) : null;
  if (!m || !checkCalendarDate(m[1], m[2], m[3])) {
    throw new CqlError(`${JSON.stringify(value)} is not a date (expected YYYY-MM-DD)`, where);
  }
  return value as string;
}

/** A TIMESTAMP literal: RFC 3339 `YYYY-MM-DDThh:mm:ss[.fff]Z` (CQL2 asks for UTC; an offset is accepted too). */
export function checkTimestamp(value: unknown, where: string): string {
  const m = typeof value === 'string' ? timestampPattern.exec(value) : null;
  const valid = m && checkCalendarDate(m[1], m[2], m[3]) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 61;
  if (!valid) throw new CqlError(`${JSON.stringify(value)} is not a timestamp (expected YYYY-MM-DDThh:mm:ssZ)`, where);
  return value as string;
}

/** A numeric literal must be a finite number (no NaN, no Infinity, no overflow such as 1e999 in `source`). */
export function checkNumber(value: unknown, where: string, source?: string): number {
  if (typeof value === 'number' && !Number.isFinite(value) && source !== undefined) {
    throw new CqlError(`the number ${source.slice(0, 40)} is out of range`, where);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const shown = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value)).slice(0, 40);
    throw new CqlError(`${shown} is not a finite number`, where);
  }
  return value;
}

/** Metres per unit of the distance units S_DWITHIN accepts (lower-case names). */
const metresPerUnit: Record<string, number> = {
  m: 1,
  meter: 1,
  meters: 1,
  metre: 1,
  metres: 1,
  km: 1000,
  kilometer: 1000,
  kilometers: 1000,
  kilometre: 1000,
  kilometres: 1000,
  ft: 0.3048,
  feet: 0.3048,
  mi: 1609.344,
  miles: 1609.344,
  nmi: 1852,
  'nautical miles': 1852,
};

/** Converts an S_DWITHIN distance to metres; the distance must be finite and not negative. */
export function distanceInMetres(distance: unknown, units: unknown, where: string): number {
  const d = checkNumber(distance, where);
  if (d < 0) throw new CqlError(`the distance of S_DWITHIN must not be negative, got ${d}`, where);
  const factor = typeof units === 'string' ? metresPerUnit[units.trim().toLowerCase()] : undefined;
  if (factor === undefined) {
    throw new CqlError(
      `unknown distance units ${JSON.stringify(units)} (use meters, kilometers, feet, miles or nautical miles)`,
      where,
    );
  }
  return d * factor;
}

/** Temporal and array operators are part of CQL2 but not of what this server evaluates. */
export function unsupportedFunctionMessage(name: string): string | undefined {
  const n = name.toLowerCase();
  const temporal =
    /^t_(after|before|contains|disjoint|during|equals|finishedby|finishes|intersects|meets|metby|overlappedby|overlaps|startedby|starts)$/;
  if (temporal.test(n)) {
    return `temporal operator ${name.toUpperCase()} is not supported (compare dates with =, <, > or BETWEEN)`;
  }
  if (/^a_(containedby|contains|equals|overlaps)$/.test(n)) return `array operator ${name.toUpperCase()} is not supported`;
  if (n === 'interval') return 'INTERVAL literals are not supported';
  return undefined;
}
