/**
 * Parses the query string of `/collections/{layer}/items` into the typed ItemsQuery the feature service takes. Every
 * name is checked against the layer's columns here, so nothing unknown goes further; each failure is a 400 naming
 * the parameter and value. The CQL2 filter is parsed and compiled here, once per request.
 */
import type { Layer } from '../../catalog/catalog.ts';
import type { LayerColumn } from '../../catalog/definition.ts';
import { InvalidParameterError } from '../../errors.ts';
import type { DayInterval, EqualityFilter, ItemsQuery, SortKey, Validity } from '../../features/items-query.ts';
import { parseBbox } from './bbox.ts';
import { parseCrsParam } from './crs.ts';
import { parseFilter } from './filter.ts';
import { parseInteger, queryValue, type QueryParams } from './query-string.ts';

/** Parameters of the items endpoint other than property names. */
export const itemsParameters = [
  'f',
  'limit',
  'offset',
  'bbox',
  'bbox-crs',
  'crs',
  'datetime',
  'properties',
  'sortby',
  'filter',
  'filter-lang',
  'filter-crs',
] as const;

/** The default page size (OGC API Features examples and pg_featureserv use 10; 100 suits map clients). */
export const defaultLimit = 100;

/** The largest offset we accept: deeper pages should use filters (OFFSET scans every skipped row). */
export const maxOffset = 10_000_000;

function parseProperties(layer: Layer, value: string | undefined): LayerColumn[] {
  if (value === undefined) return [...layer.columns];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!layer.column(name)) {
      throw new InvalidParameterError(
        `parameter "properties": layer "${layer.id}" has no property ${JSON.stringify(name.slice(0, 64))}`,
      );
    }
  }
  return layer.columns.filter((c) => names.includes(c.name));
}

/** Parses `sortby=name,-height` (`+`/`-` prefix; a `+` arrives as a space when not URL-encoded). */
export function parseSortby(layer: Layer, value: string | undefined): SortKey[] {
  if (value === undefined || value.trim() === '') return [];
  const keys = value.split(',').map((raw) => {
    const s = raw.trim();
    const descending = s.startsWith('-');
    const name = s.replace(/^[+-]/, '').trim();
    if (name !== 'id' && !layer.column(name)) {
      throw new InvalidParameterError(
        `parameter "sortby": layer "${layer.id}" has no property ${JSON.stringify(name.slice(0, 64))} to sort by`,
      );
    }
    return { column: name, descending };
  });
  if (keys.length > 8) throw new InvalidParameterError('parameter "sortby": at most 8 sort keys');
  return keys;
}

const valuePatterns: Record<string, RegExp> = {
  integer: /^[-+]?\d{1,18}$/,
  number: /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/,
  boolean: /^(true|false)$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  datetime: /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/,
};

/** Checks a property=value filter against its column type (the value is bound; this gives a 400, not an SQL error). */
export function parseEquality(column: LayerColumn, value: string): EqualityFilter {
  const pattern = valuePatterns[column.type];
  if (pattern && !pattern.test(value)) {
    throw new InvalidParameterError(
      `parameter "${column.name}": ${JSON.stringify(value.slice(0, 64))} is not a valid ${column.type}`,
    );
  }
  if (column.type === 'date' && Number.isNaN(Date.parse(value))) {
    throw new InvalidParameterError(`parameter "${column.name}": ${JSON.stringify(value)} is not a calendar date`);
  }
  return { column, value };
}

const instant = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/i;

/**
 * Validity dates are the calendar days of Vietnam (UTC+7 all year, no daylight saving since 1975): the units of
 * 1 July 2025 took effect at midnight in Hà Nội, so 2025-06-30T18:00:00Z (01:00 on 1 July there) is already "after".
 */
export const validityUtcOffsetHours = 7;

/** The calendar day (YYYY-MM-DD, in Vietnam) of an instant that passed `instant`; a bare date is that day. */
export function dayOfInstant(value: string): string {
  if (value.length === 10) return value;
  return new Date(Date.parse(value) + validityUtcOffsetHours * 3_600_000).toISOString().slice(0, 10);
}

/** Today in Vietnam (the default `datetime` of a temporal layer). */
export function today(now: Date = new Date()): DayInterval {
  const day = dayOfInstant(now.toISOString());
  return { first: day, last: day };
}

/**
 * Parses `datetime` (an RFC 3339 instant, or an interval `start/end` with `..` or empty for an open end) into the
 * days it covers, in Vietnam; null when absent. A malformed value, or an interval ending before it starts, is a 400.
 */
export function parseDatetime(value: string | undefined): DayInterval | null {
  if (value === undefined) return null;
  const parts = value.split('/');
  const isInstant = (p: string) => instant.test(p) && !Number.isNaN(Date.parse(p));
  const open = (p: string) => p === '' || p === '..';
  const ok =
    (parts.length === 1 && isInstant(parts[0])) ||
    (parts.length === 2 && parts.some((p) => !open(p)) && parts.every((p) => open(p) || isInstant(p)));
  if (!ok)
    throw new InvalidParameterError(
      `parameter "datetime": ${JSON.stringify(value.slice(0, 60))} is not an RFC 3339 date-time or interval`,
    );
  const first = open(parts[0]) ? null : dayOfInstant(parts[0]);
  const last = open(parts[parts.length - 1]) ? null : dayOfInstant(parts[parts.length - 1]);
  if (parts.length === 2 && !open(parts[0]) && !open(parts[1]) && Date.parse(parts[0]) > Date.parse(parts[1])) {
    throw new InvalidParameterError(
      `parameter "datetime": the interval ${JSON.stringify(value.slice(0, 60))} ends before it starts`,
    );
  }
  return { first, last };
}

/**
 * The validity filter of a layer that declares `temporal`: the asked days, today when `datetime` is absent (the
 * issue's "default: today"; a historical layer then answers an empty page). Other layers carry no temporal
 * information, so a valid datetime selects every feature (OGC API Features 1.0 keeps such features in the result).
 */
export function parseValidity(layer: Layer, value: string | undefined, now?: Date): Validity | null {
  const days = parseDatetime(value);
  if (!layer.temporal) return null;
  return { temporal: layer.temporal, days: days ?? today(now) };
}

/** Parses and validates every items parameter; unknown parameters are a 400 (OGC API Features /req/core/query-param-unknown). */
export function parseItemsQuery(layer: Layer, query: QueryParams, maxLimit: number): ItemsQuery {
  const equals: EqualityFilter[] = [];
  for (const name of Object.keys(query)) {
    if ((itemsParameters as readonly string[]).includes(name)) continue;
    const column = layer.column(name);
    if (!column) {
      throw new InvalidParameterError(
        `parameter "${name.slice(0, 64)}" is unknown: not a parameter of /items and not a property of layer "${layer.id}"`,
      );
    }
    equals.push(parseEquality(column, queryValue(query, name) ?? ''));
  }
  const bboxCrs = parseCrsParam('bbox-crs', queryValue(query, 'bbox-crs'));
  const bboxValue = queryValue(query, 'bbox');
  if (queryValue(query, 'bbox-crs') !== undefined && bboxValue === undefined) {
    throw new InvalidParameterError('parameter "bbox-crs" needs a "bbox"');
  }
  const validity = parseValidity(layer, queryValue(query, 'datetime'));
  const filterText = queryValue(query, 'filter');
  const filterLang = queryValue(query, 'filter-lang');
  const filterCrs = parseCrsParam('filter-crs', queryValue(query, 'filter-crs'));
  return {
    limit: parseInteger('limit', queryValue(query, 'limit'), Math.min(defaultLimit, maxLimit), 1, maxLimit),
    offset: parseInteger('offset', queryValue(query, 'offset'), 0, 0, maxOffset),
    bbox: bboxValue === undefined ? null : parseBbox(bboxValue, bboxCrs),
    crs: parseCrsParam('crs', queryValue(query, 'crs')),
    properties: parseProperties(layer, queryValue(query, 'properties')),
    sortby: parseSortby(layer, queryValue(query, 'sortby')),
    equals,
    filter: filterText === undefined ? null : parseFilter(layer, filterText, filterLang, filterCrs),
    validity,
  };
}
