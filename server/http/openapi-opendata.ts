/** OpenAPI paths of the open-data resources (server/http/opendata.ts), spread into the document of openapi.ts. */
import { downloadFormats } from '../opendata/formats.ts';

type Obj = Record<string, unknown>;

const q = (name: string, description: string, schema: Obj): Obj => ({ name, in: 'query', required: false, description, schema });
const e = (...codes: number[]): Obj =>
  Object.fromEntries(codes.map((c) => [String(c), { $ref: `#/components/responses/E${c}` }]));
const ok = (description: string, type: string): Obj => ({ description, content: { [type]: { schema: { type: 'object' } } } });
const get = (operationId: string, summary: string, parameters: Obj[], responses: Obj): Obj => ({
  get: { tags: ['Open data'], operationId, summary, parameters, responses },
});

/** The open-data paths. */
export function openDataPaths(): Obj {
  const layer = { name: 'collectionId', in: 'path', required: true, description: 'Layer id.', schema: { type: 'string' } };
  const binary = (type: string) => ({ [type]: { schema: { type: 'string', format: 'binary' } } });
  return {
    '/collections/opendata-catalog': get('getCatalog', 'The open-data catalog (OGC API - Records: a collection of records)', [], {
      200: ok('catalog', 'application/json'),
    }),
    '/collections/opendata-catalog/items': get(
      'getRecords',
      'Records of the layers the caller may read',
      [
        q('q', 'Words that must all occur in title, abstract, keywords or themes (vi or en); diacritics ignored.', {
          type: 'string',
        }),
        q('bbox', 'minx,miny,maxx,maxy in CRS84: records whose extent intersects it.', { type: 'string' }),
        q('datetime', 'RFC 3339 date or interval (.. open): records whose temporal extent meets it.', { type: 'string' }),
        q('type', 'Record types, comma list (every layer is a "dataset").', { type: 'string' }),
        q('keywords', 'Comma list: records with any of these keywords.', { type: 'string' }),
        q('themes', 'Comma list of concept ids: ISO 19115 topic categories or province categories.', { type: 'string' }),
        q('ids', 'Comma list of record (layer) ids.', { type: 'string' }),
        q('limit', 'Page size.', { type: 'integer', minimum: 1, maximum: 1000, default: 10 }),
        q('offset', 'Records to skip.', { type: 'integer', minimum: 0, default: 0 }),
      ],
      { 200: ok('records (GeoJSON)', 'application/geo+json'), ...e(400) },
    ),
    '/collections/opendata-catalog/items/{recordId}': get(
      'getRecord',
      'One record',
      [{ name: 'recordId', in: 'path', required: true, description: 'Layer id.', schema: { type: 'string' } }],
      { 200: ok('record (GeoJSON)', 'application/geo+json'), ...e(404) },
    ),
    '/catalog.jsonld': get('getDcat', 'DCAT-AP (JSON-LD) of the public catalog, for harvesters', [], {
      200: ok('dcat:Catalog', 'application/ld+json'),
    }),
    '/opendata/categories': get('getOpenDataCategories', "The province's open-data categories", [], {
      200: ok('categories', 'application/json'),
    }),
    '/opendata/downloads': get('getDownloadCounts', 'Downloads per dataset and format (no personal data)', [], {
      200: ok('counts', 'application/json'),
    }),
    '/collections/{collectionId}/download': get(
      'download',
      'The layer, or the features bbox/filter select, as one file (Content-Disposition with filename*)',
      [
        layer,
        {
          name: 'format',
          in: 'query',
          required: true,
          description: 'File format.',
          schema: { type: 'string', enum: [...downloadFormats] },
        },
        q(
          'crs',
          'Output CRS: WGS 84 (default) or a supported EPSG code/URI such as EPSG:9209 (VN-2000 TM-3); KML is WGS 84 only.',
          { type: 'string' },
        ),
        q('geometry', 'CSV only: wkt (default) or xy (point layers).', { type: 'string', enum: ['wkt', 'xy'] }),
        q('bbox', 'As for /items.', { type: 'string' }),
        q('bbox-crs', 'As for /items.', { type: 'string' }),
        q('filter', 'CQL2 filter, as for /items.', { type: 'string' }),
        q('filter-lang', 'As for /items.', { type: 'string' }),
        q('datetime', 'As for /items.', { type: 'string' }),
        q('properties', 'Comma list of properties to include.', { type: 'string' }),
      ],
      {
        200: {
          description: 'the file',
          content: {
            ...binary('application/geo+json'),
            ...binary('text/csv'),
            ...binary('application/vnd.google-earth.kml+xml'),
            ...binary('application/geopackage+sqlite3'),
            ...binary('application/zip'),
          },
        },
        ...e(400, 404),
      },
    ),
  };
}
