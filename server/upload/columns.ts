/**
 * Attribute columns of an uploaded table: safe SQL names (lower-case ASCII, Vietnamese diacritics folded, unique,
 * never `id` or `geom`), with the original name kept as the label, and a type inferred from every value.
 */
import type { ColumnType } from '../catalog/definition.ts';
import { RawText, type DeclaredColumn, type SourceValue } from './types.ts';
import type { ColumnPlan } from '../wire/upload.ts';
import { tileGeometryColumn } from '../sql/tile-geometry.ts';

/** The kind of one value, as far as typing goes. */
export type ValueKind = 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'string';

/** What we know about one source property after reading all values. */
export interface ColumnStats {
  source: string;
  kinds: Set<ValueKind>;
  /** Longest integer magnitude seen, to choose integer vs bigint-safe number. */
  maxAbs: number;
  nonNull: number;
  /** What the format says of the column (a guaranteed type, a coordinate role). */
  declared?: DeclaredColumn;
}

// The plan's shape is the job report's (server/wire/upload.ts).
export type { ColumnPlan } from '../wire/upload.ts';

// The columns every layer table (or its staging table) has besides the file's: a field of the same name is renamed.
const RESERVED = new Set(['id', 'geom', tileGeometryColumn, 'src_row', 'valid']);

/** A safe SQL identifier for a source name: 'Tên xã' -> 'ten_xa', '2020 Dân số' -> 'c_2020_dan_so'. */
export function safeColumnName(source: string): string {
  let s = source
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (s === '' || /^[0-9]/.test(s)) s = `c_${s}`.replace(/_$/, '');
  if (s === 'c') s = 'column';
  if (RESERVED.has(s)) s = `src_${s}`;
  return s.slice(0, 55);
}

/** Safe, unique names for a list of source names (duplicates get _2, _3...). Keeps the order. */
export function safeColumnNames(sources: readonly string[]): string[] {
  const used = new Set<string>();
  return sources.map((src) => {
    const base = safeColumnName(src);
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  });
}

const INT = /^[+-]?\d{1,15}$/;
const NUM = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** The kind of one value. Text is typed by its content only when `typedText` (CSV cells are all text). */
export function kindOf(value: SourceValue, typedText: boolean): ValueKind | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (value instanceof Date) {
    return value.getUTCHours() === 0 && value.getUTCMinutes() === 0 && value.getUTCSeconds() === 0 ? 'date' : 'datetime';
  }
  if (!typedText) return 'string';
  const text = value instanceof RawText ? Buffer.from(value.bytes).toString('latin1') : value;
  const t = text.trim();
  if (t === '') return null; // an empty cell says nothing of the column's type (a text column keeps it as '')
  if (INT.test(t) && !/^[+-]?0\d/.test(t)) return 'integer'; // leading zeros are codes ("0123"), not numbers
  if (NUM.test(t) && !/^[+-]?0\d/.test(t)) return 'number';
  if (/^(true|false)$/i.test(t)) return 'boolean';
  if (DATE.test(t)) return 'date';
  if (DATETIME.test(t)) return 'datetime';
  return 'string';
}

/** Adds one value to the stats of its column; `declared` is what the format says of the column, if anything. */
export function observe(
  stats: Map<string, ColumnStats>,
  key: string,
  value: SourceValue,
  typedText: boolean,
  declared?: DeclaredColumn,
): void {
  let s = stats.get(key);
  if (!s) {
    s = { source: key, kinds: new Set(), maxAbs: 0, nonNull: 0, ...(declared ? { declared } : {}) };
    stats.set(key, s);
  }
  const kind = kindOf(value, typedText);
  if (kind === null) return;
  s.nonNull++;
  s.kinds.add(kind);
  if (kind === 'integer') {
    const n =
      typeof value === 'number' ? value : Number(value instanceof RawText ? Buffer.from(value.bytes).toString('latin1') : value);
    s.maxAbs = Math.max(s.maxAbs, Math.abs(n));
  }
}

/**
 * The column type of the stats: a date type the format declares (GeoPackage DATE/DATETIME, DBF D) when every
 * value is a date, else the narrowest type that holds every value; mixed kinds become text.
 */
export function inferType(s: ColumnStats): ColumnType {
  const k = s.kinds;
  const declared = s.declared?.type;
  if (declared && [...k].every((x) => x === 'date' || x === 'datetime'))
    return declared === 'date' && k.has('datetime') ? 'datetime' : declared;
  if (k.size === 0) return 'string';
  if (k.size === 1) {
    const only = [...k][0];
    if (only === 'integer') return s.maxAbs > 2_147_483_647 ? 'number' : 'integer';
    return only;
  }
  if ([...k].every((x) => x === 'integer' || x === 'number')) return 'number';
  if ([...k].every((x) => x === 'date' || x === 'datetime')) return 'datetime';
  return 'string';
}

/** The SQL type of a column type. */
export function sqlType(type: ColumnType): string {
  return {
    string: 'text',
    integer: 'integer',
    number: 'double precision',
    boolean: 'boolean',
    date: 'date',
    datetime: 'timestamptz',
  }[type];
}

/**
 * Plans the columns of a table from the stats, in first-seen order. `decodeName` turns a source name into its
 * label (DBF names are bytes in the table's code page); the safe name is made from the label.
 */
export function planColumns(stats: Map<string, ColumnStats>, decodeName: (source: string) => string = (s) => s): ColumnPlan[] {
  const sources = [...stats.keys()];
  const labels = sources.map(decodeName);
  const names = safeColumnNames(labels);
  return sources.map((source, i) => {
    const plan: ColumnPlan = { source, name: names[i], type: inferType(stats.get(source)!), label: labels[i] };
    const role = stats.get(source)!.declared?.role;
    if (role) {
      plan.role = role;
      plan.description = `Coordinate ${role.toUpperCase()} as recorded in the file (the layer's geometry was read from it)`;
    }
    return plan;
  });
}

/**
 * Converts a decoded value to what the column stores; values that do not fit become null (counted by the caller).
 * An empty string stays empty in a text column and is null in any other (a number or a date cannot be empty).
 */
export function coerce(value: string | number | boolean | Date | null, type: ColumnType): string | number | boolean | null {
  if (value === null) return null;
  if (type !== 'string' && typeof value === 'string' && value.trim() === '') return null;
  switch (type) {
    case 'string':
      return value instanceof Date ? value.toISOString() : String(value);
    case 'integer':
    case 'number': {
      const n = typeof value === 'number' ? value : Number(String(value).trim());
      return Number.isFinite(n) ? n : null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : /^true$/i.test(String(value).trim());
    case 'date':
      // A date is a calendar day: never let a time zone move it (a DBF or GeoPackage date arrives as UTC midnight).
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).trim();
    case 'datetime':
      return value instanceof Date ? value.toISOString() : String(value).trim();
  }
}
