/**
 * The conformance classes this API declares. Only classes whose requirements the implementation meets are listed:
 * Features Part 1 (core, GeoJSON, HTML, OpenAPI 3.0), Part 2 (CRS by reference), Part 3 (filter, queryables) and
 * the CQL2 classes the filter compiler implements, and the OGC API Tiles classes of the tiles router.
 */

/** OGC API Features conformance classes. */
export const featuresConformance: readonly string[] = [
  'http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
  'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter',
];

/** CQL2 conformance classes (OGC 21-065): text and JSON encodings, comparison, LIKE/BETWEEN/IN, spatial predicates. */
export const cql2Conformance: readonly string[] = [
  'http://www.opengis.net/spec/cql2/1.0/conf/cql2-text',
  'http://www.opengis.net/spec/cql2/1.0/conf/cql2-json',
  'http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2',
  'http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators',
  'http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions',
  'http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus',
  'http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions',
];

/**
 * OGC API Tiles classes of the tiles router (/collections/{layer}/tiles, /tileMatrixSets, Mapbox Vector Tiles):
 * /conformance is one document for the whole API.
 */
export const tilesConformance: readonly string[] = [
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt',
];

/** OGC API Features Part 4 (draft): POST/PUT/DELETE and PATCH of single features (server/edit/, server/http/edit.ts). */
export const editConformance: readonly string[] = [
  'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete',
  'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update',
  'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features',
];

/** Every class of /conformance. */
export const conformanceClasses: readonly string[] = [
  ...featuresConformance,
  ...cql2Conformance,
  ...tilesConformance,
  ...editConformance,
];
