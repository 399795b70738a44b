/**
 * Parses the query string of `/collections/{layer}/items` into the typed ItemsQuery the feature service takes. Every
 * name is checked against the layer's columns here, so nothing unknown goes further; each failure is a 400 naming
 * the parameter and value. The CQL2 filter is parsed and compiled here, once per request.
 */
import type { Layer } from '../../catalog/catalog.ts';
import type { LayerColumn } from '../../catalog/definition.ts';
import { InvalidParameterError } from '../../errors.ts';
import type { EqualityFilter, ItemsQuery, SortKey } from '../../features/items-query.ts';
import { parseBbox } from './bbox.ts';
import { parseCrsParam } from './crs.ts';
import { parseFilter } from './filter.ts';
import { parseInteger, queryValue, type QueryParams } from './query-string.ts';

/** Parameters of the items endpoint other than property names. */
export const itemsParameters = ['f', 'limit', 'offset', 'bbox', 'bbox-crs', 'crs', 'datetime', 'properties', 'sortby', 'filter', 'filter-lang', 'filter-crs'] as const;

/** The default page size (OGC API Features examples and pg_featureserv use 10; 100 suits map clients). */
export const defaultLimit = 100;

/** The largest offset we accept: deeper pages should use filters (OFFSET scans every skipped row). */
export const maxOffset = 10_000_000;

function parseProperties(layer: Layer, value: string | undefined): LayerColumn[] {
  if (value === undefined) return [...layer.columns];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!layer.column(name)) {
      throw new InvalidParameterError(`parameter "properties": layer "${layer.id}" has no property ${JSON.stringify(name.slice(0, 64))}`);
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
      throw new InvalidParameterError(`parameter "sortby": layer "${layer.id}" has no property ${JSON.stringify(name.slice(0, 64))} to sort by`);
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
    throw new InvalidParameterError(`parameter "${column.name}": ${JSON.stringify(value.slice(0, 64))} is not a valid ${column.type}`);
  }
  if (column.type === 'date' && Number.isNaN(Date.parse(value))) {
    throw new InvalidParameterError(`parameter "${column.name}": ${JSON.stringify(value)} is not a calendar date`);
  }
  return { column, value };
}

const instant = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/i;

/**
 * Checks `datetime` (an RFC 3339 instant, or an interval `start/end` with `..` or empty for an open end).
 * Our layers declare no temporal extent, so a valid datetime selects every feature (OGC API Features 1.0 leaves
 * features without temporal information in the result); a malformed one is still a 400.
 */
export function checkDatetime(value: string | undefined): void {
  if (value === undefined) return;
  const parts = value.split('/');
  const ok =
    (parts.length === 1 && instant.test(parts[0]) && !Number.isNaN(Date.parse(parts[0]))) ||
    (parts.length === 2 &&
      parts.some((p) => p !== '' && p !== '..') &&
      parts.every((p) => p === '' || p === '..' || (instant.test(p) && !Number.isNaN(Date.parse(p)))));
  if (!ok) throw new InvalidParameterError(`parameter "datetime": ${JSON.stringify(value.slice(0, 60))} is not an RFC 3339 date-time or interval`);
}

/** Parses and validates every items parameter; unknown parameters are a 400 (OGC API Features /req/core/query-param-unknown). */
export function parseItemsQuery(layer: Layer, query: QueryParams, maxLimit: number): ItemsQuery {
  const equals: EqualityFilter[] = [];
  for (const name of Object.keys(query)) {
    if ((itemsParameters as readonly string[]).includes(name)) continue;
    const column = layer.column(name);
    if (!column) {
      throw new InvalidParameterError(`parameter "${name.slice(0, 64)}" is unknown: not a parameter of /items and not a property of layer "${layer.id}"`);
    }
    equals.push(parseEquality(column, queryValue(query, name) ?? ''));
  }
  const bboxCrs = parseCrsParam('bbox-crs', queryValue(query, 'bbox-crs'));
  const bboxValue = queryValue(query, 'bbox');
  if (queryValue(query, 'bbox-crs') !== undefined && bboxValue === undefined) {
    throw new InvalidParameterError('parameter "bbox-crs" needs a "bbox"');
  }
  checkDatetime(queryValue(query, 'datetime'));
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
  };
}
