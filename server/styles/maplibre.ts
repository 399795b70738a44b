/**
 * MapLibre / Mapbox GL style v8 documents generated from the layer definitions (the catalog's `style`), drawn the
 * way the viewer draws them (viewer/src/vector-layer.ts): the same colours and categories, fill opacity, outline
 * rules, line widths, circle radii, minzoom and draw order. Pure: the tile source URL is given by the caller.
 *
 * Labels are left out of `layers` on purpose: MapLibre draws text only with glyph PBFs, and on a closed network we
 * would have to serve them; a style with text layers and no glyphs fails validation. The label rules travel as
 * symbol layers in the style's metadata (`sdi:label-layers`): the viewer draws them with the browser's fonts, and a
 * client with glyphs of its own may add them to its map.
 *
 * The viewer draws from these documents (viewer/src/map-style.ts): every layer type, paint and layout property and
 * expression operator emitted here must be one it understands (test/unit/viewer-style.test.ts checks each).
 */
import type {
  ExpressionSpecification,
  LayerSpecification,
  StyleSpecification,
  SymbolLayerSpecification,
} from '@maplibre/maplibre-gl-style-spec';
import type { Layer } from '../catalog/catalog.ts';
import type { LayerStyle } from '../catalog/definition.ts';
import { maxCompositeLayers, unionBounds } from '../tiles/tilejson.ts';

/** The colour of a layer without one (the viewer's fallback). */
export const fallbackColour = '#6b7280';

/** The background under the map: a light paper colour, so that white outlines still show. */
export const backgroundColour = '#f4f3ef';

/** The id of the style with every layer the caller may read. It has a hyphen, so no layer id can take it. */
export const planningMapId = 'planning-map';

type Colour = string | ExpressionSpecification;

/** The colour of a feature: its category's colour (the first category of a value wins, as in the viewer), else the style's colour. */
export function colourExpression(layer: Layer): Colour {
  const { style } = layer;
  const fallback = style.color ?? fallbackColour;
  if (style.type !== 'categorical' || !style.property || !style.categories?.length) return fallback;
  // MVT keeps the column's type: compare numbers with numbers and text with text, without to-string (QGIS 3.22
  // converts `["match", ["get", p], ...]` but not every coercion).
  const numeric = ['integer', 'number'].includes(layer.column(style.property)?.type ?? 'string');
  const seen = new Set<string>();
  const pairs: unknown[] = [];
  for (const c of style.categories) {
    const key = String(c.value);
    if (seen.has(key)) continue;
    if (numeric && !Number.isFinite(Number(c.value))) continue;
    seen.add(key);
    // Each label as a one-value list: the same in MapLibre, and QGIS 3.22's converter reads only list labels
    // (a bare label becomes `"code" IN ()`, which never matches).
    pairs.push([numeric ? Number(c.value) : key], c.color);
  }
  if (!pairs.length) return fallback;
  return ['match', ['get', style.property], ...pairs, fallback] as unknown as ExpressionSpecification;
}

/** Radius of a point: the style's, grown with the `count` of a cluster (base + min(10, 2·log2 count)) in steps. */
function radiusOf(layer: Layer): number | ExpressionSpecification {
  const base = layer.style.radius ?? 4;
  if (!layer.tileOptions.clusterBelowZoom) return base;
  const steps: number[] = [];
  for (let count = 2, k = 1; k <= 5; count *= 2, k++) steps.push(count, base + Math.min(10, 2 * k));
  return ['step', ['coalesce', ['get', 'count'], 1], base, ...steps] as unknown as ExpressionSpecification;
}

function zoomRange(layer: Layer): { minzoom?: number } {
  return layer.minzoom > 0 ? { minzoom: layer.minzoom } : {};
}

/** The style layers of one catalog layer, bottom first. `source` is the id of the vector source in the style. */
export function styleLayersOf(layer: Layer, source: string): LayerSpecification[] {
  const { style } = layer;
  const common = { source, 'source-layer': layer.id, ...zoomRange(layer), metadata: { 'sdi:layer': layer.id } };
  const colour = colourExpression(layer);
  if (layer.geometryType === 'Polygon') {
    const layers: LayerSpecification[] = [];
    const fillOpacity = style.fillOpacity ?? 0.5;
    if (fillOpacity > 0) {
      layers.push({
        id: `${layer.id}-fill`,
        type: 'fill',
        ...common,
        paint: { 'fill-color': colour, 'fill-opacity': fillOpacity },
      });
    }
    // Categorical fills are told apart by colour; a thin outline (the style's colour, else white) separates them.
    const categorical = style.type === 'categorical';
    layers.push({
      id: `${layer.id}-outline`,
      type: 'line',
      ...common,
      paint: {
        'line-color': style.color ?? (categorical ? '#ffffff' : fallbackColour),
        'line-width': style.weight ?? (categorical ? 0.5 : 1),
        'line-opacity': categorical ? 0.7 : 1,
      },
    });
    return layers;
  }
  if (layer.geometryType === 'LineString') {
    return [
      {
        id: `${layer.id}-line`,
        type: 'line',
        ...common,
        layout: { 'line-cap': 'round' },
        paint: { 'line-color': colour, 'line-width': style.weight ?? 1.5 },
      },
    ];
  }
  return [
    {
      id: `${layer.id}-circle`,
      type: 'circle',
      ...common,
      paint: {
        'circle-color': colour,
        'circle-radius': radiusOf(layer),
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 1,
        'circle-opacity': 0.9,
        'circle-stroke-opacity': 0.9,
      },
    },
  ];
}

/** Label text: dark on a white halo, in pixels (the viewer's 600-weight sans-serif; MapLibre's glyphs elsewhere). */
const labelText = { size: 11, colour: '#1f2937', halo: '#ffffff', haloWidth: 2.5 };

/**
 * The label rule of a layer as a MapLibre symbol layer, or null for none. A polygon is labelled only by its category
 * (a parcel's land-use code): short, and it fits once zoomed in. A name of a large polygon (a commune) would repeat
 * the place labels and crowd the map; it is one click away.
 */
export function labelLayerOf(layer: Layer, source: string): SymbolLayerSpecification | null {
  const { style } = layer;
  const property = style.labelProperty;
  if (!property) return null;
  if (layer.geometryType === 'Polygon' && (style.type !== 'categorical' || style.property !== property)) return null;
  const placement =
    layer.geometryType === 'LineString'
      ? { 'symbol-placement': 'line' as const }
      : layer.geometryType === 'Point'
        ? { 'text-anchor': 'top-left' as const, 'text-offset': [0.5, 0.5] as [number, number] }
        : {};
  return {
    id: `${layer.id}-label`,
    type: 'symbol',
    source,
    'source-layer': layer.id,
    ...zoomRange(layer),
    metadata: { 'sdi:layer': layer.id },
    layout: { 'text-field': ['get', property], 'text-size': labelText.size, ...placement },
    paint: { 'text-color': labelText.colour, 'text-halo-color': labelText.halo, 'text-halo-width': labelText.haloWidth },
  };
}

/** Layers in draw order, bottom first: the catalog's sortOrder (the viewer's order, reversed). */
export function drawOrder(layers: readonly Layer[]): Layer[] {
  return [...layers].sort((a, b) => a.sortOrder - b.sortOrder || b.id.localeCompare(a.id));
}

/** What a style document is made of. */
export interface StyleInput {
  /** The style id (planningMapId or a layer id). */
  id: string;
  name: string;
  layers: readonly Layer[];
  /** Absolute URL of the TileJSON of some of the style's layers (a composite tile for several). */
  tileJsonUrl(layers: readonly Layer[]): string;
}

/** The id of the style's n-th vector source (0-based): `sdi`, then `sdi-2`, `sdi-3`, ... */
function sourceId(n: number): string {
  return n === 0 ? 'sdi' : `sdi-${n + 1}`;
}

/** One entry of a legend: a category (value and label) or the one colour of a layer (value and label null). */
export interface LegendEntry {
  value: string | number | null;
  colour: string;
  label: { en: string; vi: string } | null;
}

/** The legend of a layer as style metadata, so a client can draw it without reading the catalog. */
function legendOf(style: LayerStyle): LegendEntry[] {
  if (style.type === 'categorical' && style.categories?.length) {
    return style.categories.map((c) => ({ value: c.value, colour: c.color, label: c.label }));
  }
  return [{ value: null, colour: style.color ?? fallbackColour, label: null }];
}

/**
 * The MapLibre style v8 document of `layers`: one vector source (a composite TileJSON) per run of at most
 * maxCompositeLayers layers in draw order, so that a catalog of any size stays one style.
 */
export function buildStyle(input: StyleInput): StyleSpecification {
  const bounds = unionBounds(input.layers);
  const ordered = drawOrder(input.layers);
  const runs: Layer[][] = [];
  for (let i = 0; i < ordered.length; i += maxCompositeLayers) runs.push(ordered.slice(i, i + maxCompositeLayers));
  const sourceOf = (l: Layer) => sourceId(Math.floor(ordered.indexOf(l) / maxCompositeLayers));
  const minzoom = Math.min(...input.layers.map((l) => l.minzoom), 22);
  return {
    version: 8,
    name: input.name,
    metadata: {
      'sdi:id': input.id,
      'sdi:labels': 'not drawn here: no glyphs are served; the label rules are the symbol layers of sdi:label-layers',
      'sdi:label-layers': ordered.flatMap((l) => labelLayerOf(l, sourceOf(l)) ?? []),
      'sdi:legend': Object.fromEntries(
        ordered.map((l) => [
          l.id,
          {
            title: l.title,
            title_vi: l.titleVi,
            geometryType: l.geometryType,
            // The property the colours are chosen by, or null for one colour.
            property: l.style.type === 'categorical' ? (l.style.property ?? null) : null,
            entries: legendOf(l.style),
          },
        ]),
      ),
    },
    center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2],
    zoom: Math.max(9, minzoom),
    sources: Object.fromEntries(runs.map((run, n) => [sourceId(n), { type: 'vector', url: input.tileJsonUrl(run) }])),
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': backgroundColour } },
      ...ordered.flatMap((l) => styleLayersOf(l, sourceOf(l))),
    ],
  };
}
