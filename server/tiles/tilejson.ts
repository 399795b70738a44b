/**
 * TileJSON 3.0.0 for one layer or a composite of layers. Pure: the base URL (PUBLIC_URL or the request's
 * proto and host) is given by the caller.
 */
import type { Layer } from '../catalog/catalog.ts';
import type { ColumnType, LayerColumn } from '../catalog/definition.ts';
import { isClustered, propertyColumns } from './sql.ts';
import { maxZoom } from './grid.ts';

/** One entry of `vector_layers`. */
/**
 * The most layers one composite tile (and its TileJSON) may name: a longer list makes a URL that proxies refuse and a
 * tile no client needs at once. Clients that show more split them (the viewer's runs, the style's sources).
 */
export const maxCompositeLayers = 32;

export interface VectorLayer {
  id: string;
  fields: Record<string, string>;
  minzoom: number;
  maxzoom: number;
  description: string;
}

/** A TileJSON 3.0.0 document. */
export interface TileJson {
  tilejson: '3.0.0';
  name: string;
  description: string;
  version: string;
  attribution: string;
  scheme: 'xyz';
  tiles: string[];
  minzoom: number;
  maxzoom: number;
  bounds: [number, number, number, number];
  center: [number, number, number];
  vector_layers: VectorLayer[];
  /** Not in TileJSON 3.0.0 (which allows extra keys): the MapLibre style of each layer, generated from its definition. */
  links: Array<{ href: string; rel: 'stylesheet'; type: string; title: string }>;
}

/** MVT value type names as TileJSON and Mapbox tools write them. */
export function fieldType(type: ColumnType): string {
  if (type === 'integer' || type === 'number') return 'Number';
  if (type === 'boolean') return 'Boolean';
  return 'String';
}

/** The `vector_layers` entry of a layer; with a property selection, only those fields. */
export function vectorLayer(layer: Layer, properties?: readonly LayerColumn[]): VectorLayer {
  const cols = properties ?? propertyColumns(layer);
  const fields: Record<string, string> = Object.fromEntries(cols.map((c) => [c.name, fieldType(c.type)]));
  // Clustered zooms carry only "count" (points per cluster).
  const clustered = isClustered(layer, layer.minzoom)
    ? ` Below zoom ${layer.tileOptions.clusterBelowZoom} points are clustered: each feature then has only "count".`
    : '';
  if (clustered) fields.count = 'Number';
  return {
    id: layer.id,
    fields,
    minzoom: layer.minzoom,
    maxzoom: layer.maxzoom,
    description: `${layer.title} (${layer.geometryType})${layer.description ? `: ${layer.description}` : ''}${clustered}`,
  };
}

/** The union of layer bounds (EPSG:4326), or the whole Web Mercator world when no layer has data. */
export function unionBounds(layers: readonly Layer[]): [number, number, number, number] {
  const withData = layers.map((l) => l.bounds).filter((b): b is NonNullable<typeof b> => b !== null);
  if (withData.length === 0) return [-180, -85.0511, 180, 85.0511];
  return [
    Math.min(...withData.map((b) => b[0])),
    Math.min(...withData.map((b) => b[1])),
    Math.max(...withData.map((b) => b[2])),
    Math.max(...withData.map((b) => b[3])),
  ];
}

/**
 * Builds the TileJSON of `layers` served under `baseUrl` (no trailing slash). `query` (e.g. "properties=a,b")
 * is carried into the tile URL so clients get the same selection.
 */
export function buildTileJson(
  layers: readonly Layer[],
  baseUrl: string,
  propertySelection?: ReadonlyMap<string, readonly LayerColumn[]>,
  query = '',
): TileJson {
  const ids = layers.map((l) => l.id).join(',');
  const minzoom = Math.min(...layers.map((l) => l.minzoom));
  const maxzoom = Math.min(maxZoom, Math.max(...layers.map((l) => l.maxzoom)));
  const bounds = unionBounds(layers);
  // Start one zoom above the lowest served zoom, but never above maxzoom, over the middle of the data.
  const centreZoom = Math.min(maxzoom, Math.max(minzoom, 10));
  // Layers share sources: credit each source once (attributions are '; '-separated credits), so that a composite's
  // attribution stays short enough for a map's attribution control.
  const attribution = [
    ...new Set(
      layers
        .flatMap((l) => l.attribution.split(/;\s+/))
        .map((a) => a.trim())
        .filter((a) => a),
    ),
  ].join('; ');
  return {
    tilejson: '3.0.0',
    name: layers.map((l) => l.title).join(', '),
    description: layers.length === 1 ? layers[0].description || layers[0].title : `Composite of ${ids}`,
    version: `1.0.${Math.max(...layers.map((l) => l.dataVersion))}`,
    attribution,
    scheme: 'xyz',
    tiles: [`${baseUrl}/tiles/${ids}/{z}/{x}/{y}.mvt${query ? `?${query}` : ''}`],
    minzoom,
    maxzoom,
    bounds,
    center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, centreZoom],
    vector_layers: layers.map((l) => vectorLayer(l, propertySelection?.get(l.id))),
    links: layers.map((l) => ({
      href: `${baseUrl}/styles/${encodeURIComponent(l.id)}.json`,
      rel: 'stylesheet' as const,
      type: 'application/vnd.mapbox.style+json',
      title: `style of ${l.title}`,
    })),
  };
}
