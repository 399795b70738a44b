/** The query string of the records catalog items (OGC API - Records Part 1): q, bbox, datetime, type, keywords, themes, ids, paging. */
import { InvalidParameterError } from '../../errors.ts';
import type { RecordsQuery } from '../../opendata/records.ts';
import { normalizeSearchText } from '../../text/normalize.ts';
import { CRS84 } from '../../crs/registry.ts';
import { parseBbox } from './bbox.ts';
import { parseDatetime as parseDatetimeDays } from './items.ts';
import { allowOnlyParams, parseInteger, parseList, queryValue, type QueryParams } from './query-string.ts';

/** The parameters the records items accept. */
export const recordsParameters = ['f', 'q', 'bbox', 'datetime', 'type', 'keywords', 'themes', 'ids', 'limit', 'offset'] as const;

/** Default and largest page of records. */
export const recordsLimits = { default: 10, max: 1000 } as const;

function parseDatetime(value: string | undefined): RecordsQuery['datetime'] {
  if (value === undefined) return null;
  parseDatetimeDays(value); // validates: a 400 naming `datetime` for a malformed value
  const [a, b] = value.split('/');
  const open = (s: string | undefined) => (s === undefined || s === '' || s === '..' ? null : s);
  return b === undefined ? { start: a, end: a } : { start: open(a), end: open(b) };
}

/** Parses the records query; unknown parameters and bad values are 400s naming the parameter. */
export function parseRecordsQuery(query: QueryParams, path: string): RecordsQuery {
  allowOnlyParams(query, recordsParameters, path);
  const q = queryValue(query, 'q');
  const bbox = queryValue(query, 'bbox');
  const box = bbox === undefined ? null : parseBbox(bbox, CRS84);
  if (box && box.minx > box.maxx)
    throw new InvalidParameterError('parameter "bbox": a box across the antimeridian is not supported here', 'bbox');
  const lower = (name: string) => parseList(query, name, 50)?.map((s) => s.toLowerCase()) ?? null;
  return {
    terms:
      q === undefined
        ? []
        : normalizeSearchText(q)
            .split(/[\s,]+/)
            .filter(Boolean),
    bbox: box ? [box.minx, box.miny, box.maxx, box.maxy] : null,
    datetime: parseDatetime(queryValue(query, 'datetime')),
    types: lower('type'),
    keywords: parseList(query, 'keywords', 50)?.map(normalizeSearchText) ?? null,
    themes: lower('themes'),
    ids: parseList(query, 'ids', 500),
    limit: parseInteger('limit', queryValue(query, 'limit'), recordsLimits.default, 1, recordsLimits.max),
    offset: parseInteger('offset', queryValue(query, 'offset'), 0, 0, 1_000_000),
  };
}
