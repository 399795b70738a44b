/**
 * Collection metadata of OGC API Features (Parts 1 and 2): extent in CRS84 from the catalog bounds, the CRS list,
 * the storage CRS, links to items, queryables and tiles. Pure.
 */
import type { Layer } from '../catalog/catalog.ts';
import { CRS84_URI } from '../crs/registry.ts';
import { supportedCrsUris } from './crs.ts';
import { apiUrl, type Link } from './links.ts';

/** Media types we write. */
export const mediaTypes = {
  json: 'application/json',
  geojson: 'application/geo+json',
  html: 'text/html',
  csv: 'text/csv',
  schema: 'application/schema+json',
  openapi: 'application/vnd.oai.openapi+json;version=3.0',
  mvt: 'application/vnd.mapbox-vector-tile',
} as const;

/** The Gregorian calendar, the temporal reference system of OGC API Features extents. */
export const gregorianTrs = 'http://www.opengis.net/def/uri/ogc/1.3/TRS/gregorian';

/**
 * The temporal extent of a layer that declares validity: its first and last valid days as instants (the first day's
 * midnight and the last day's end in Vietnam, UTC+7, the time zone of the validity dates), null where open.
 */
export function temporalExtent(layer: Layer): Record<string, unknown> | null {
  if (!layer.temporal) return null;
  const [first, last] = layer.temporalExtent ?? [null, null];
  const instant = (day: string | null, time: string) =>
    day === null ? null : new Date(`${day}T${time}+07:00`).toISOString().replace('.000Z', 'Z');
  return { interval: [[instant(first, '00:00:00'), instant(last, '23:59:59')]], trs: gregorianTrs };
}

/** The collection document of one layer. `base` is the API's public URL (no trailing slash). */
export function describeCollection(layer: Layer, base: string): Record<string, unknown> {
  const path = `/collections/${encodeURIComponent(layer.id)}`;
  const links: Link[] = [
    { href: apiUrl(base, path), rel: 'self', type: mediaTypes.json, title: 'this collection' },
    {
      href: apiUrl(base, path, new URLSearchParams({ f: 'html' })),
      rel: 'alternate',
      type: mediaTypes.html,
      title: 'this collection as HTML',
    },
    { href: apiUrl(base, `${path}/items`), rel: 'items', type: mediaTypes.geojson, title: 'features (GeoJSON)' },
    {
      href: apiUrl(base, `${path}/items`, new URLSearchParams({ f: 'html' })),
      rel: 'items',
      type: mediaTypes.html,
      title: 'features (HTML)',
    },
    {
      href: apiUrl(base, `${path}/items`, new URLSearchParams({ f: 'csv' })),
      rel: 'items',
      type: mediaTypes.csv,
      title: 'features (CSV, WKT geometry)',
    },
    {
      href: apiUrl(base, `${path}/queryables`),
      rel: 'http://www.opengis.net/def/rel/ogc/1.0/queryables',
      type: mediaTypes.schema,
      title: 'queryable properties',
    },
    {
      href: apiUrl(base, `${path}/tiles`),
      rel: 'http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector',
      type: mediaTypes.json,
      title: 'vector tilesets (OGC API Tiles)',
    },
    {
      href: apiUrl(base, `/tiles/${encodeURIComponent(layer.id)}.json`),
      rel: 'describedby',
      type: mediaTypes.json,
      title: 'TileJSON 3.0.0',
    },
    {
      href: apiUrl(base, `/tiles/${encodeURIComponent(layer.id)}/{z}/{x}/{y}.mvt`),
      rel: 'item',
      type: mediaTypes.mvt,
      title: 'vector tiles',
      templated: true,
    },
    {
      href: apiUrl(base, `/styles/${encodeURIComponent(layer.id)}.json`),
      rel: 'stylesheet',
      type: 'application/vnd.mapbox.style+json',
      title: 'style (MapLibre / Mapbox GL)',
    },
    {
      href: apiUrl(base, `${path}/styles`),
      rel: 'http://www.opengis.net/def/rel/ogc/1.0/styles',
      type: mediaTypes.json,
      title: 'styles of this layer',
    },
  ];
  if (layer.licence) links.push({ href: apiUrl(base, path), rel: 'license', type: mediaTypes.json, title: layer.licence });
  return {
    id: layer.id,
    title: layer.title,
    title_vi: layer.titleVi,
    description: layer.description,
    keywords: layer.keywords,
    attribution: layer.attribution,
    itemType: 'feature',
    extent: {
      spatial: {
        // CRS84 (lon/lat): the catalog keeps bounds in EPSG:4326 longitude first, the same numbers.
        bbox: [layer.bounds ?? [-180, -90, 180, 90]],
        crs: CRS84_URI,
      },
      ...(layer.temporal
        ? { temporal: temporalExtent(layer) }
        : layer.metadata?.temporalExtent
          ? { temporal: { interval: [[layer.metadata.temporalExtent.start, layer.metadata.temporalExtent.end]] } }
          : {}),
    },
    crs: supportedCrsUris,
    storageCrs: CRS84_URI,
    geometryType: layer.geometryType,
    group: layer.group,
    sortOrder: layer.sortOrder,
    minzoom: layer.minzoom,
    maxzoom: layer.maxzoom,
    properties: layer.columns.map((c) => ({ name: c.name, type: c.type, label: c.label })),
    // The open-data metadata record (issue 15); the record itself is /collections/opendata-catalog/items/{id}.
    metadata: layer.metadata,
    links,
  };
}

/** The /collections document: every layer the caller may read. */
export function describeCollections(layers: readonly Layer[], base: string): Record<string, unknown> {
  return {
    links: [
      { href: apiUrl(base, '/collections'), rel: 'self', type: mediaTypes.json, title: 'collections' },
      {
        href: apiUrl(base, '/collections', new URLSearchParams({ f: 'html' })),
        rel: 'alternate',
        type: mediaTypes.html,
        title: 'collections as HTML',
      },
    ],
    crs: supportedCrsUris,
    collections: layers.map((l) => describeCollection(l, base)),
  };
}
