/**
 * The OpenAPI 3.0 document of the whole API (GET /api): OGC API Features, tiles, spatial queries, search, admin,
 * health. Hand-written so every parameter carries the limits the server enforces.
 */
import { supportedCrsUris } from '../features/crs.ts';
import { CRS84_URI } from '../crs/registry.ts';
import { editOpenApiPaths } from './edit.ts';
import { openDataPaths } from './openapi-opendata.ts';

type Obj = Record<string, unknown>;

const ref = (name: string, kind = 'parameters'): Obj => ({ $ref: `#/components/${kind}/${name}` });
const json = (schema: Obj, type = 'application/json'): Obj => ({ content: { [type]: { schema } } });
const body = (schema: Obj): Obj => ({ required: true, ...json(schema) });
const ok = (description: string, schema: Obj = { type: 'object' }, type = 'application/json'): Obj => ({
  description,
  ...json(schema, type),
});
const errors = (...codes: number[]): Obj =>
  Object.fromEntries(codes.map((c) => [String(c), { $ref: `#/components/responses/E${c}` }]));

function op(tag: string, operationId: string, summary: string, parameters: Obj[], responses: Obj, extra: Obj = {}): Obj {
  return { tags: [tag], operationId, summary, parameters, responses, ...extra };
}

/** The groupBy of /query/conversions: by today's commune, by the commune before 1 July 2025, or not at all. */
const conversionsGroupBy: Obj & { schema: Obj } = {
  name: 'groupBy',
  in: 'query',
  description: 'commune_2025 (default): by commune or ward of 1 July 2025; commune: by the commune before; none: no split.',
  schema: { type: 'string', enum: ['commune_2025', 'commune', 'none'], default: 'commune_2025' },
};

function parameters(maxLimit: number): Obj {
  const q = (name: string, description: string, schema: Obj, extra: Obj = {}): Obj => ({
    name,
    in: 'query',
    required: false,
    description,
    schema,
    ...extra,
  });
  return {
    f: q('f', 'Output format (overrides the Accept header).', { type: 'string', enum: ['json', 'html'] }),
    fItems: q('f', 'Output format of features.', { type: 'string', enum: ['json', 'geojson', 'html', 'csv'] }),
    collectionId: {
      name: 'collectionId',
      in: 'path',
      required: true,
      description: 'Layer id.',
      schema: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
    },
    featureId: {
      name: 'featureId',
      in: 'path',
      required: true,
      description: 'Feature id (integer).',
      schema: { type: 'string' },
    },
    // GDAL 3.8+ and QGIS page at min(max(1000, default), maximum): keep both here, they read nothing else.
    limit: q('limit', `Page size (default ${Math.min(100, maxLimit)}, at most ${maxLimit}).`, {
      type: 'integer',
      minimum: 1,
      maximum: maxLimit,
      default: Math.min(100, maxLimit),
    }),
    offset: q('offset', 'Features to skip.', { type: 'integer', minimum: 0, default: 0 }),
    bbox: q(
      'bbox',
      '4 or 6 numbers in the axis order of bbox-crs; minx > maxx crosses the antimeridian.',
      { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } },
      { style: 'form', explode: false },
    ),
    bboxCrs: q('bbox-crs', 'CRS of bbox (default CRS84).', {
      type: 'string',
      format: 'uri',
      enum: supportedCrsUris,
      default: CRS84_URI,
    }),
    crs: q('crs', 'Output CRS (default CRS84). EPSG:4326 and EPSG:4756 are written latitude first.', {
      type: 'string',
      format: 'uri',
      enum: supportedCrsUris,
      default: CRS84_URI,
    }),
    datetime: q(
      'datetime',
      'RFC 3339 instant or interval (start/end, .. for open); the layers carry no temporal extent, so it selects every feature.',
      { type: 'string' },
    ),
    properties: q(
      'properties',
      'Comma list of properties to return.',
      { type: 'array', items: { type: 'string' } },
      { style: 'form', explode: false },
    ),
    sortby: q(
      'sortby',
      'Comma list of properties, each with an optional + or - prefix.',
      { type: 'array', items: { type: 'string' } },
      { style: 'form', explode: false },
    ),
    filter: q('filter', 'CQL2 filter (text or JSON, see filter-lang).', { type: 'string' }),
    filterLang: q('filter-lang', 'Language of filter.', {
      type: 'string',
      enum: ['cql2-text', 'cql2-json'],
      default: 'cql2-text',
    }),
    filterCrs: q('filter-crs', 'CRS of geometry literals in filter (default CRS84).', {
      type: 'string',
      format: 'uri',
      enum: supportedCrsUris,
      default: CRS84_URI,
    }),
    lon: q('lon', 'Longitude, EPSG:4326 degrees.', { type: 'number', minimum: -180, maximum: 180 }, { required: true }),
    lat: q('lat', 'Latitude, EPSG:4326 degrees.', { type: 'number', minimum: -90, maximum: 90 }, { required: true }),
    layer: q('layer', 'Layer id.', { type: 'string' }, { required: true }),
    layers: {
      name: 'layers',
      in: 'path',
      required: true,
      description: 'One layer id or a comma list (composite tile).',
      schema: { type: 'string' },
    },
    z: { name: 'z', in: 'path', required: true, schema: { type: 'integer', minimum: 0, maximum: 24 } },
    x: { name: 'x', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
    y: { name: 'y', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
  };
}

const geometrySchema: Obj = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'] },
    coordinates: { type: 'array', items: {} },
  },
};

const featureCollection: Obj = {
  type: 'object',
  required: ['type', 'features'],
  properties: {
    type: { type: 'string', enum: ['FeatureCollection'] },
    features: { type: 'array', items: { $ref: '#/components/schemas/Feature' } },
    numberMatched: { type: 'integer', minimum: 0 },
    numberMatchedMethod: {
      type: 'string',
      enum: ['exact', 'estimate'],
      description: 'estimate: planner statistics, for large unfiltered layers',
    },
    numberReturned: { type: 'integer', minimum: 0 },
    timeStamp: { type: 'string', format: 'date-time' },
    links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
  },
};

const itemsQuery = [
  ref('fItems'),
  ref('limit'),
  ref('offset'),
  ref('bbox'),
  ref('bboxCrs'),
  ref('crs'),
  ref('datetime'),
  ref('properties'),
  ref('sortby'),
  ref('filter'),
  ref('filterLang'),
  ref('filterCrs'),
];

function itemsResponses(): Obj {
  const fc = { $ref: '#/components/schemas/FeatureCollection' };
  return {
    200: {
      description: 'features',
      headers: { 'Content-Crs': { schema: { type: 'string' } } },
      content: {
        'application/geo+json': { schema: fc },
        'text/html': { schema: { type: 'string' } },
        'text/csv': { schema: { type: 'string' } },
      },
    },
    ...errors(400, 404),
  };
}

/**
 * One items path per layer, as pygeoapi writes them: GDAL 3.8 and later look up the items path of the layer they
 * read literally (`/collections/landuse_parcels/items`, not the template) and take the page size from the `limit`
 * parameter it refers to (`$ref` containing "limit": schema `default` and `maximum`). GDAL 3.6 and 3.7 read none of
 * it and page at 10 unless given `-oo PAGE_SIZE`.
 */
function collectionItemsPaths(collectionIds: readonly string[]): Obj {
  return Object.fromEntries(
    collectionIds.map((id) => [
      `/collections/${encodeURIComponent(id)}/items`,
      {
        get: op(
          'Features',
          `getFeatures_${id}`,
          `Features of ${id} (the same as /collections/{collectionId}/items)`,
          itemsQuery,
          itemsResponses(),
        ),
      },
    ]),
  );
}

function stylesPaths(): Obj {
  const style = ok('MapLibre / Mapbox GL style v8', { type: 'object' }, 'application/vnd.mapbox.style+json');
  const styleId = {
    name: 'styleId',
    in: 'path',
    required: true,
    description: '"planning-map" (every layer the caller may read) or a layer id.',
    schema: { type: 'string' },
  };
  return {
    '/styles': {
      get: op('Styles', 'getStyles', 'Styles (OGC API - Styles): the planning map and one per layer', [], { 200: ok('styles') }),
    },
    '/styles/{styleId}.json': {
      get: op('Styles', 'getStyle', 'A style document generated from the layer definitions', [styleId], {
        200: style,
        ...errors(404),
      }),
    },
    '/collections/{collectionId}/styles': {
      get: op('Styles', 'getCollectionStyles', 'Styles of one layer (OGC API - Styles)', [ref('collectionId')], {
        200: ok('styles'),
        ...errors(404),
      }),
    },
  };
}

function paths(collectionIds: readonly string[]): Obj {
  const items = [ref('collectionId'), ...itemsQuery];
  const edit = editOpenApiPaths();
  const tile = {
    description: 'Mapbox Vector Tile 2.1',
    content: { 'application/vnd.mapbox-vector-tile': { schema: { type: 'string', format: 'binary' } } },
  };
  return {
    '/': {
      get: op('Capabilities', 'getLandingPage', 'Landing page (JSON, or HTML for browsers)', [ref('f')], {
        200: ok('landing page'),
        ...errors(400),
      }),
    },
    '/conformance': {
      get: op('Capabilities', 'getConformance', 'Conformance classes', [], {
        200: ok('conformance', { type: 'object', properties: { conformsTo: { type: 'array', items: { type: 'string' } } } }),
      }),
    },
    '/api': {
      get: op('Capabilities', 'getApi', 'This OpenAPI document', [], {
        200: ok('OpenAPI 3.0', { type: 'object' }, 'application/vnd.oai.openapi+json;version=3.0'),
      }),
    },
    '/collections': {
      get: op('Features', 'getCollections', 'Layers the caller may read', [ref('f')], { 200: ok('collections'), ...errors(400) }),
    },
    '/collections/{collectionId}': {
      get: op('Features', 'describeCollection', 'One layer: extent (CRS84), CRS list, links', [ref('collectionId'), ref('f')], {
        200: ok('collection'),
        ...errors(400, 404),
      }),
    },
    '/collections/{collectionId}/queryables': {
      get: op('Features', 'getQueryables', 'Filterable properties (JSON Schema 2020-12)', [ref('collectionId')], {
        200: ok('queryables', { type: 'object' }, 'application/schema+json'),
        ...errors(404),
      }),
    },
    '/collections/{collectionId}/items': {
      get: op(
        'Features',
        'getFeatures',
        'Features (GeoJSON, HTML or CSV); property=value filters on any property',
        items,
        itemsResponses(),
      ),
      ...edit.items,
    },
    ...collectionItemsPaths(collectionIds),
    '/collections/{collectionId}/items/{featureId}': {
      get: op('Features', 'getFeature', 'One feature', [ref('collectionId'), ref('featureId'), ref('crs'), ref('f')], {
        200: ok('feature', { $ref: '#/components/schemas/Feature' }, 'application/geo+json'),
        ...errors(400, 404),
      }),
      ...edit.item,
    },
    ...edit.paths,
    '/collections/{collectionId}/tiles': {
      get: op('Tiles', 'getCollectionTilesets', 'Vector tilesets of a layer (OGC API Tiles)', [ref('collectionId')], {
        200: ok('tilesets'),
        ...errors(404),
      }),
    },
    '/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{y}/{x}': {
      get: op(
        'Tiles',
        'getCollectionTile',
        'A vector tile (OGC API Tiles; note row y before column x)',
        [ref('collectionId'), ref('z'), ref('y'), ref('x')],
        { 200: tile, 204: { description: 'empty tile' }, ...errors(400, 404) },
      ),
    },
    '/tileMatrixSets': { get: op('Tiles', 'getTileMatrixSets', 'Tile matrix sets', [], { 200: ok('tile matrix sets') }) },
    '/tileMatrixSets/WebMercatorQuad': {
      get: op('Tiles', 'getTileMatrixSet', 'The WebMercatorQuad tile matrix set', [], { 200: ok('tile matrix set') }),
    },
    '/tiles/{layers}/{z}/{x}/{y}.mvt': {
      get: op(
        'Tiles',
        'getTile',
        'Vector tile of one layer or several (comma list)',
        [ref('layers'), ref('z'), ref('x'), ref('y')],
        { 200: tile, 204: { description: 'empty tile' }, ...errors(400, 404) },
      ),
    },
    '/tiles/{layers}.json': {
      get: op('Tiles', 'getTileJson', 'TileJSON 3.0.0 with vector_layers', [ref('layers')], {
        200: ok('TileJSON'),
        ...errors(404),
      }),
    },
    ...stylesPaths(),
    ...openDataPaths(),
    '/query/identify': {
      get: op(
        'Spatial queries',
        'identify',
        'Features of every (or the listed) layer at a point, topmost layer first',
        [
          ref('lon'),
          ref('lat'),
          {
            name: 'layers',
            in: 'query',
            description: 'Comma list of layer ids (default: every readable layer).',
            schema: { type: 'string' },
          },
          {
            name: 'tolerance_m',
            in: 'query',
            description: 'Search radius for points and lines, metres on the ellipsoid.',
            schema: { type: 'number', minimum: 0, maximum: 5000, default: 10 },
          },
        ],
        { 200: ok('features (GeoJSON, EPSG:4326) with their layer'), ...errors(400, 404) },
      ),
    },
    '/query/nearest': {
      get: op(
        'Spatial queries',
        'nearest',
        'The k nearest features with their distance in metres (ellipsoid)',
        [
          ref('layer'),
          ref('lon'),
          ref('lat'),
          { name: 'k', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 5 } },
        ],
        { 200: ok('features with distance_m'), ...errors(400, 404) },
      ),
    },
    '/query/within': {
      get: op(
        'Spatial queries',
        'within',
        'Features within a radius, nearest first',
        [
          ref('layer'),
          ref('lon'),
          ref('lat'),
          {
            name: 'radius_m',
            in: 'query',
            required: true,
            schema: { type: 'number', exclusiveMinimum: true, minimum: 0, maximum: 100000 },
          },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } },
        ],
        { 200: ok('features with distance_m'), ...errors(400, 404) },
      ),
    },
    '/query/intersects': {
      post: op(
        'Spatial queries',
        'intersects',
        'Features intersecting a drawn geometry (GeoJSON, EPSG:4326)',
        [],
        { 200: ok('features'), ...errors(400, 404, 413) },
        {
          requestBody: body({
            type: 'object',
            required: ['layer', 'geometry'],
            properties: { layer: { type: 'string' }, geometry: geometrySchema, limit: { type: 'integer', minimum: 1 } },
          }),
        },
      ),
    },
    '/query/summary': {
      post: op(
        'Spatial queries',
        'summary',
        'Count, area (ha) and length (km) of the part inside a geometry, grouped by properties',
        [],
        { 200: ok('summary'), ...errors(400, 404, 413) },
        {
          requestBody: body({
            type: 'object',
            required: ['layer', 'geometry'],
            properties: {
              layer: { type: 'string' },
              geometry: geometrySchema,
              groupBy: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 4 }] },
            },
          }),
        },
      ),
    },
    '/query/conversions': {
      get: op(
        'Spatial queries',
        'conversionsGet',
        'What a land-use plan changes: hectares from each current code to each planned code, per commune, for the whole plan, a commune or a box',
        [
          ref('layer'),
          {
            name: 'commune',
            in: 'query',
            description: 'Five-digit code of a commune or ward of 1 July 2025: only the parcels it holds.',
            schema: { type: 'string', pattern: '^[0-9]{5}$' },
          },
          {
            name: 'bbox',
            in: 'query',
            description: 'minLon,minLat,maxLon,maxLat (CRS84): only the parts of parcels inside the box.',
            schema: { type: 'string' },
          },
          conversionsGroupBy,
          { name: 'f', in: 'query', schema: { type: 'string', enum: ['json', 'csv'], default: 'json' } },
        ],
        { 200: ok('conversions (JSON, or CSV with f=csv)'), ...errors(400, 404) },
      ),
      post: op(
        'Spatial queries',
        'conversionsPost',
        'What a land-use plan changes inside a drawn area (GeoJSON Polygon or MultiPolygon, EPSG:4326)',
        [{ name: 'f', in: 'query', schema: { type: 'string', enum: ['json', 'csv'], default: 'json' } }],
        { 200: ok('conversions (JSON, or CSV with f=csv)'), ...errors(400, 404, 413) },
        {
          requestBody: body({
            type: 'object',
            required: ['layer'],
            properties: {
              layer: { type: 'string' },
              geometry: geometrySchema,
              commune: { type: 'string', pattern: '^[0-9]{5}$' },
              groupBy: conversionsGroupBy.schema,
            },
          }),
        },
      ),
    },
    '/search': {
      get: op(
        'Search',
        'search',
        'Places, administrative units and layers by name, diacritics ignored',
        [
          { name: 'q', in: 'query', required: true, schema: { type: 'string', minLength: 1, maxLength: 200 } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        ],
        { 200: ok('ranked results with bbox'), ...errors(400) },
      ),
    },
    ...adminPaths(),
    '/health': { get: op('Operations', 'health', 'Liveness', [], { 200: ok('up') }) },
    '/ready': {
      get: op('Operations', 'ready', 'Readiness (database reachable)', [], { 200: ok('ready'), 503: ok('database unreachable') }),
    },
    '/metrics': {
      get: op('Operations', 'metrics', 'Prometheus metrics', [], { 200: ok('metrics', { type: 'string' }, 'text/plain') }),
    },
    '/viewer/': {
      get: op('Viewer', 'viewer', 'The Leaflet map viewer', [], { 200: ok('HTML page', { type: 'string' }, 'text/html') }),
    },
  };
}

/** The upload form: the file plus optional metadata and the CRS/encoding answers. */
const uploadForm = {
  required: true,
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: ['file'],
        properties: {
          file: { type: 'string', format: 'binary', description: 'GeoJSON, zipped Shapefile, GeoPackage, KML/KMZ or CSV' },
          id: { type: 'string', description: 'layer id (default: from the file name)' },
          replace: { type: 'boolean', description: 'replace an existing layer of this id' },
          title: { type: 'string' },
          title_vi: { type: 'string' },
          description: { type: 'string' },
          keywords: { type: 'string', description: 'comma list' },
          licence: { type: 'string' },
          attribution: { type: 'string' },
          group: { type: 'string', enum: ['basemap', 'landuse', 'industry', 'telecom', 'other'] },
          access: { type: 'string', enum: ['public', 'restricted'] },
          style: { type: 'string', description: 'JSON style (single colour or categorical)' },
          srid: { type: 'integer', description: 'source CRS when the file has none, e.g. 9214 (VN-2000 / TM-3 107-00)' },
          proj4: { type: 'string', description: 'source CRS as a proj4 string' },
          encoding: { type: 'string', enum: ['utf-8', 'windows-1258', 'tcvn3', 'vni', 'windows-1252', 'latin1'] },
          swapAxes: { type: 'boolean', description: 'X holds the northing (Vietnamese survey tables)' },
          xField: { type: 'string', description: 'CSV column of x / longitude' },
          yField: { type: 'string', description: 'CSV column of y / latitude' },
          tables: { type: 'string', description: 'GeoPackage tables to import (comma list)' },
        },
      },
    },
  },
};

/** Paths under /admin (a Bearer token with the role named in each summary). */
function adminPaths(): Obj {
  const secured = { security: [{ bearer: [] }] };
  const job = ok('the upload job: status, progress, counts, CRS and encoding decisions, fixes, warnings, errors');
  return {
    '/admin/whoami': {
      get: op(
        'Admin',
        'adminWhoAmI',
        'The caller of this token (any role)',
        [],
        { 200: ok('name, role, tokenId'), ...errors(401) },
        secured,
      ),
    },
    '/admin/tokens': {
      get: op('Admin', 'adminListTokens', 'Every token (admin)', [], { 200: ok('tokens'), ...errors(401, 403) }, secured),
      post: op(
        'Admin',
        'adminCreateToken',
        'Create a token; the secret is shown once (admin)',
        [],
        { 201: ok('the token with its secret'), ...errors(400, 401, 403) },
        {
          ...secured,
          requestBody: body({
            type: 'object',
            required: ['name', 'role'],
            properties: { name: { type: 'string' }, role: { type: 'string', enum: ['viewer', 'editor', 'admin'] } },
          }),
        },
      ),
    },
    '/admin/tokens/{tokenId}': {
      delete: op(
        'Admin',
        'adminRevokeToken',
        'Revoke a token (admin)',
        [{ name: 'tokenId', in: 'path', required: true, schema: { type: 'string' } }],
        { 204: { description: 'revoked' }, ...errors(401, 403, 404) },
        secured,
      ),
    },
    '/admin/layers': {
      get: op(
        'Admin',
        'adminListLayers',
        'Every layer with its management metadata (editor)',
        [],
        { 200: ok('layers'), ...errors(401, 403) },
        secured,
      ),
      post: op(
        'Admin',
        'adminUploadLayer',
        'Upload a layer (editor); answers with a job to follow at /admin/jobs/{jobId}',
        [],
        { 202: job, ...errors(400, 401, 403, 409, 413, 415) },
        { ...secured, requestBody: uploadForm },
      ),
    },
    '/admin/layers/{collectionId}': {
      get: op(
        'Admin',
        'adminGetLayer',
        'One layer with its management metadata (editor)',
        [ref('collectionId')],
        { 200: ok('the layer'), ...errors(401, 403, 404) },
        secured,
      ),
      put: op(
        'Admin',
        'adminReplaceLayer',
        'Replace the data of an uploaded layer without breaking readers (editor)',
        [ref('collectionId')],
        { 202: job, ...errors(400, 401, 403, 404, 409, 413, 415) },
        { ...secured, requestBody: uploadForm },
      ),
      patch: op(
        'Admin',
        'adminUpdateLayer',
        'Change the metadata of a layer (editor)',
        [ref('collectionId')],
        { 200: ok('the layer'), ...errors(400, 401, 403, 404) },
        { ...secured, requestBody: body({ type: 'object' }) },
      ),
      delete: op(
        'Admin',
        'adminDeleteLayer',
        'Remove an uploaded layer (admin or owner)',
        [ref('collectionId')],
        { 204: { description: 'removed' }, ...errors(401, 403, 404, 409) },
        secured,
      ),
    },
    '/admin/layers/{collectionId}/rollback': {
      post: op(
        'Admin',
        'adminRollbackLayer',
        'Restore the previous version of a layer (editor)',
        [ref('collectionId')],
        { 200: ok('id and data version'), ...errors(401, 403, 404, 409) },
        secured,
      ),
    },
    '/admin/jobs': {
      get: op('Admin', 'adminListJobs', 'Upload jobs (own; admin: all)', [], { 200: ok('jobs'), ...errors(401, 403) }, secured),
    },
    '/admin/jobs/{jobId}': {
      get: op('Admin', 'adminGetJob', 'One upload job', [jobId], { 200: job, ...errors(401, 403, 404) }, secured),
    },
    '/admin/jobs/{jobId}/confirm': {
      post: op(
        'Admin',
        'adminConfirmJob',
        'Confirm the CRS and text encoding of a job that needs confirmation',
        [jobId],
        { 202: job, ...errors(400, 401, 403, 404, 409) },
        {
          ...secured,
          requestBody: body({
            type: 'object',
            properties: {
              srid: { type: 'integer' },
              proj4: { type: 'string' },
              encoding: { type: 'string' },
              swapAxes: { type: 'boolean' },
            },
          }),
        },
      ),
    },
    '/admin/jobs/{jobId}/cancel': {
      post: op(
        'Admin',
        'adminCancelJob',
        'Cancel a job; the live layer stays as it was',
        [jobId],
        { 200: job, ...errors(401, 403, 404, 409) },
        secured,
      ),
    },
    '/admin/audit': {
      get: op(
        'Admin',
        'adminAudit',
        'The audit log of layer and token changes (admin)',
        [
          { name: 'layer', in: 'query', schema: { type: 'string' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } },
        ],
        { 200: ok('audit entries'), ...errors(401, 403) },
        secured,
      ),
    },
  };
}

const jobId = { name: 'jobId', in: 'path', required: true, schema: { type: 'string' } };

function errorResponse(description: string): Obj {
  return { description, ...json({ $ref: '#/components/schemas/Exception' }) };
}

/**
 * The OpenAPI 3.0.3 document; `base` is the public URL, `maxLimit` the largest `limit` of /items, `collectionIds`
 * the layers the caller may read (each gets its own items path, for GDAL).
 */
export function openApiDocument(base: string, maxLimit: number, collectionIds: readonly string[] = []): Obj {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Bắc Ninh spatial data infrastructure',
      version: '0.1.0',
      description: 'OGC API Features (Parts 1-3), vector tiles, spatial queries and search over the layers of Bắc Ninh province.',
      license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
    },
    servers: [{ url: base }],
    tags: ['Capabilities', 'Features', 'Tiles', 'Styles', 'Spatial queries', 'Search', 'Admin', 'Operations', 'Viewer'].map(
      (name) => ({ name }),
    ),
    paths: paths(collectionIds),
    components: {
      parameters: parameters(maxLimit),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Exception: {
          type: 'object',
          required: ['code', 'description'],
          properties: { code: { type: 'string' }, description: { type: 'string' } },
        },
        Link: {
          type: 'object',
          required: ['href', 'rel'],
          properties: {
            href: { type: 'string' },
            rel: { type: 'string' },
            type: { type: 'string' },
            title: { type: 'string' },
            templated: { type: 'boolean' },
          },
        },
        Feature: {
          type: 'object',
          required: ['type', 'geometry', 'properties'],
          properties: {
            type: { type: 'string', enum: ['Feature'] },
            id: { type: 'integer' },
            geometry: { ...geometrySchema, nullable: true },
            properties: { type: 'object', nullable: true },
          },
        },
        FeatureCollection: featureCollection,
      },
      responses: {
        E400: errorResponse('a parameter has a value the server cannot use'),
        E401: errorResponse('a token is needed'),
        E403: errorResponse('the token may not do this'),
        E404: errorResponse('no such layer or feature'),
        E409: errorResponse("the request conflicts with the layer's state (exists, built in, no previous version)"),
        E413: errorResponse('the request body or geometry is too large'),
        E415: errorResponse('the upload is not in an accepted format'),
      },
    },
  };
}
