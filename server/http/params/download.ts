/**
 * The query string of GET /collections/{layer}/download: `format` (required), `crs` (output CRS, WGS 84 by default),
 * `geometry` (CSV: wkt or xy), and the selection parameters of /items (bbox, bbox-crs, datetime, filter, filter-lang,
 * filter-crs, properties, property=value), parsed by the items parser so a download selects what /items selects.
 * Paging and sorting do not apply: a download is the whole selection, ordered by id.
 */
import type { Layer } from '../../catalog/catalog.ts';
import { InvalidParameterError } from '../../errors.ts';
import type { DownloadRequest } from '../../opendata/download.ts';
import { downloadFormats, isDownloadFormat } from '../../opendata/formats.ts';
import { parseCrsParam } from './crs.ts';
import { parseItemsQuery } from './items.ts';
import { queryValue, type QueryParams } from './query-string.ts';

/** Parameters of /items that have no meaning for a whole-selection download. */
const pagingParameters = ['limit', 'offset', 'sortby', 'f'];

/** Parses a download request; every failure is a 400 naming the parameter. */
export function parseDownloadQuery(layer: Layer, query: QueryParams, maxLimit: number): DownloadRequest {
  const format = queryValue(query, 'format');
  if (format === undefined)
    throw new InvalidParameterError(`parameter "format" is required: one of ${downloadFormats.join(', ')}`, 'format');
  if (!isDownloadFormat(format)) {
    throw new InvalidParameterError(
      `parameter "format": ${JSON.stringify(format.slice(0, 40))} is not one of ${downloadFormats.join(', ')}`,
      'format',
    );
  }
  const geometry = queryValue(query, 'geometry') ?? 'wkt';
  if (geometry !== 'wkt' && geometry !== 'xy')
    throw new InvalidParameterError(
      `parameter "geometry": ${JSON.stringify(geometry.slice(0, 40))} is not wkt or xy`,
      'geometry',
    );
  if (queryValue(query, 'geometry') !== undefined && format !== 'csv')
    throw new InvalidParameterError('parameter "geometry" applies to format=csv only', 'geometry');
  const paging = pagingParameters.find((p) => query[p] !== undefined);
  if (paging)
    throw new InvalidParameterError(
      `parameter "${paging}" does not apply to a download (it is the whole selection, ordered by id)`,
      paging,
    );
  // `crs` is the output CRS here, as in /items; `format` and `geometry` are ours: the items parser does not know them.
  const selection = Object.fromEntries(Object.entries(query).filter(([k]) => !['format', 'geometry', 'crs'].includes(k)));
  const q = parseItemsQuery(layer, selection, maxLimit);
  return {
    layer,
    selection: q,
    columns: q.properties,
    format,
    crs: parseCrsParam('crs', queryValue(query, 'crs')),
    csvGeometry: geometry,
  };
}
