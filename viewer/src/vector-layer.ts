/**
 * The visible catalog layers drawn in Leaflet as one protomaps-leaflet layer from our own composite Mapbox Vector
 * Tiles (`/tiles/{a,b,c}/{z}/{x}/{y}.mvt`): one request and one canvas per map tile whatever the number of layers,
 * each layer a source layer of that tile, painted bottom to top by rules built from the layers' catalog styles,
 * with every label above every layer. Canvas 2D (no WebGL). Tiles come through our own TileSource so that 204
 * (empty tile) is an empty tile, any other failure is reported with the server's message, and the token is sent.
 */
import L from 'leaflet';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import {
  CenteredTextSymbolizer,
  CircleSymbolizer,
  leafletLayer,
  LineLabelSymbolizer,
  LineSymbolizer,
  OffsetTextSymbolizer,
  PolygonSymbolizer,
  TileCache,
  View,
  type Feature,
  type LabelRule,
  type LabelSymbolizer,
  type PaintRule,
  type TileSource,
  type Zxy,
} from 'protomaps-leaflet';
import { apiUrl, authHeaders, type LayerStyle, type ViewerLayer } from './api.ts';
import { attributionHtml } from './attribution.ts';

/** What a tile request of a layer ended with: HTTP status (0 = no answer) and, on failure, the server's message. */
export interface TileOutcome {
  layer: string;
  status: number;
  message: string;
}

/** The Leaflet layer of the visible catalog layers. */
export type VectorLayer = L.GridLayer & { rerenderTiles(): void };

const fallbackColor = '#6b7280';

/** The colour of a feature under a style: its category's colour, else the style's colour. */
export function colourOf(style: LayerStyle, props: Record<string, unknown>): string {
  if (style.type === 'categorical' && style.property) {
    const value = props[style.property];
    const hit = style.categories?.find((c) => String(c.value) === String(value));
    if (hit) return hit.color;
  }
  return style.color ?? fallbackColor;
}

/** A category as text: its label, led by its value unless the label already starts with it ("LUA: Đất trồng lúa"). */
export function categoryText(value: string | number, label: string): string {
  const v = String(value);
  if (!label || label === v) return v;
  return label.startsWith(v) ? label : `${v} – ${label}`;
}

/** Parses an MVT into protomaps features, geometry scaled to `tileSize` pixels. */
function parseTile(buffer: ArrayBuffer, tileSize: number): Map<string, Feature[]> {
  const tile = new VectorTile(new PbfReader(buffer));
  const result = new Map<string, Feature[]>();
  for (const [name, layer] of Object.entries(tile.layers)) {
    const features: Feature[] = [];
    const scale = tileSize / layer.extent;
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      if (f.type === 0) continue;
      let numVertices = 0;
      let minX = Infinity;
      let minY = Infinity;
      let maxX = -Infinity;
      let maxY = -Infinity;
      // Scale the decoded points in place: they are the Point class protomaps draws with.
      const geom = f.loadGeometry();
      for (const ring of geom) {
        for (const p of ring) {
          p.x *= scale;
          p.y *= scale;
          numVertices++;
          if (p.x < minX) minX = p.x;
          if (p.x > maxX) maxX = p.x;
          if (p.y < minY) minY = p.y;
          if (p.y > maxY) maxY = p.y;
        }
      }
      features.push({ props: f.properties, bbox: { minX, minY, maxX, maxY }, geomType: f.type, geom, numVertices });
    }
    result.set(name, features);
  }
  return result;
}

/** The URL of the composite tile of these layers (the one URL the map requests, so a refetch refreshes its cache entry). */
export function compositeTileUrl(layerIds: readonly string[], c: Zxy): string {
  return apiUrl(`tiles/${layerIds.map(encodeURIComponent).join(',')}/${c.z}/${c.x}/${c.y}.mvt`);
}

/**
 * Fetches the composite tiles of the layers and reports each outcome per layer; 204 is an empty tile, any other
 * failure an error of the layers its message names (the server names the layer), else of them all.
 */
class CompositeTileSource implements TileSource {
  constructor(
    private readonly layerIds: readonly string[],
    private readonly report: (outcome: TileOutcome) => void,
  ) {}

  private reportAll(status: number, message: string): void {
    const words = message.split(/[^\p{L}\p{N}_-]+/u);
    const named = this.layerIds.filter((id) => words.includes(id));
    for (const layer of named.length ? named : this.layerIds) this.report({ layer, status, message });
  }

  async get(c: Zxy, tileSize: number): Promise<Map<string, Feature[]>> {
    const url = compositeTileUrl(this.layerIds, c);
    let res: Response;
    try {
      res = await fetch(url, { headers: authHeaders() });
    } catch (err) {
      this.reportAll(0, (err as Error).message);
      throw err;
    }
    if (res.status === 204) {
      this.reportAll(204, '');
      return new Map();
    }
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      try {
        message = ((await res.json()) as { description?: string }).description ?? message;
      } catch {
        // not JSON: keep the status line
      }
      this.reportAll(res.status, message);
      throw new Error(message);
    }
    const parsed = parseTile(await res.arrayBuffer(), tileSize);
    this.reportAll(res.status, '');
    return parsed;
  }
}

/** The paint rules of a layer; `opacity` is the layer's opacity now (0..1), read at every draw. */
function paintRulesOf(layer: ViewerLayer, opacity: () => number): PaintRule[] {
  const { style } = layer;
  const fill = (_z: number, f?: Feature) => colourOf(style, f?.props ?? {});
  const dataLayer = layer.id;
  if (layer.geometryType === 'Polygon') {
    const rules: PaintRule[] = [];
    const fillOpacity = style.fillOpacity ?? 0.5;
    if (fillOpacity > 0)
      rules.push({
        dataLayer,
        symbolizer: new PolygonSymbolizer({ fill, opacity: () => fillOpacity * opacity(), perFeature: true }),
      });
    rules.push({
      dataLayer,
      // Categorical fills are told apart by colour: a thin outline (the style's colour, else white) separates them.
      symbolizer: new LineSymbolizer({
        color: style.color ?? (style.type === 'categorical' ? '#ffffff' : fallbackColor),
        width: style.weight ?? (style.type === 'categorical' ? 0.5 : 1),
        opacity: () => (style.type === 'categorical' ? 0.7 : 1) * opacity(),
      }),
    });
    return rules;
  }
  if (layer.geometryType === 'LineString') {
    return [
      {
        dataLayer,
        symbolizer: new LineSymbolizer({ color: fill, width: style.weight ?? 1.5, opacity, perFeature: true, lineCap: 'round' }),
      },
    ];
  }
  const radius = (_z: number, f?: Feature) => {
    const base = style.radius ?? 4;
    const count = Number(f?.props.count ?? f?.props.point_count ?? 1);
    return count > 1 ? base + Math.min(10, Math.log2(count) * 2) : base;
  };
  return [
    {
      dataLayer,
      symbolizer: new CircleSymbolizer({ radius, fill, stroke: '#ffffff', width: 1, opacity: () => 0.9 * opacity() }),
    },
  ];
}

/** Labels a polygon at the centre of its outer ring's box (protomaps' own centred label takes the first vertex). */
class PolygonCentreSymbolizer implements LabelSymbolizer {
  private readonly text: CenteredTextSymbolizer;

  constructor(options: ConstructorParameters<typeof CenteredTextSymbolizer>[0]) {
    this.text = new CenteredTextSymbolizer(options);
  }

  place(...[layout, geom, feature]: Parameters<LabelSymbolizer['place']>): ReturnType<LabelSymbolizer['place']> {
    const ring = geom[0];
    if (!ring?.length) return undefined;
    const xs = ring.map((p) => p.x);
    const ys = ring.map((p) => p.y);
    const centre = ring[0].clone();
    centre.x = (Math.min(...xs) + Math.max(...xs)) / 2;
    centre.y = (Math.min(...ys) + Math.max(...ys)) / 2;
    return this.text.place(layout, [[centre]], feature);
  }
}

/** Tile size of the parsed features, in pixels (see parseTile). */
const tilePx = 256;

/**
 * True for a polygon that lies whole inside its tile and is big enough on screen to hold a short label (a parcel's
 * code at high zoom). A polygon cut by the tile's edge would be labelled once per tile it crosses, so it is not.
 */
function labelFits(layer: ViewerLayer, z: number, f: Feature): boolean {
  const { minX, minY, maxX, maxY } = f.bbox;
  const scale = 2 ** Math.max(0, z - layer.maxzoom); // overzoomed tiles are drawn larger than their data
  const whole = minX >= 0 && minY >= 0 && maxX <= tilePx && maxY <= tilePx;
  return whole && (maxX - minX) * scale >= 28 && (maxY - minY) * scale >= 14;
}

function labelRulesOf(layer: ViewerLayer): LabelRule[] {
  const property = layer.style.labelProperty;
  if (!property) return [];
  const text = { labelProps: [property], fill: '#1f2937', stroke: '#ffffff', width: 2.5, font: '600 11px sans-serif' };
  const dataLayer = layer.id;
  if (layer.geometryType === 'LineString') return [{ dataLayer, symbolizer: new LineLabelSymbolizer(text) }];
  if (layer.geometryType === 'Point')
    return [{ dataLayer, symbolizer: new OffsetTextSymbolizer({ ...text, offsetX: 6, offsetY: 6 }) }];
  // A polygon is labelled only by its category (a parcel's land-use code): short, and it fits once zoomed in. A name
  // of a large polygon (a commune) would repeat the place labels and crowd the map; it is one click away.
  if (layer.style.type !== 'categorical' || layer.style.property !== property) return [];
  return [
    { dataLayer, symbolizer: new PolygonCentreSymbolizer(text), filter: (z, f) => f !== undefined && labelFits(layer, z, f) },
  ];
}

/** The map pane of every layer's labels: above the fills of all layers (tiles are at 200, drawn shapes at 400). */
const labelPane = 'labels';

function labelPaneOf(map: L.Map): string {
  if (!map.getPane(labelPane)) {
    const pane = map.createPane(labelPane);
    pane.style.zIndex = '450';
    pane.style.pointerEvents = 'none';
  }
  return labelPane;
}

/**
 * Builds the one Leaflet layer of the visible layers (topmost first): one composite tile per map tile, layers
 * painted bottom to top, labels of every layer above them all. `opacityOf` is read at every draw; call
 * `rerenderTiles()` after changing it. `report` hears of every tile request's outcome, per layer.
 */
export function createCompositeLayer(
  layers: readonly ViewerLayer[],
  opacityOf: (id: string) => number,
  report: (outcome: TileOutcome) => void,
): VectorLayer {
  const bottomUp = [...layers].reverse();
  const boxes = layers.flatMap((l) => (l.bounds ? [L.latLngBounds([l.bounds[1], l.bounds[0]], [l.bounds[3], l.bounds[2]])] : []));
  const bounds = boxes.length
    ? boxes.reduce((a, b) => a.extend(b), L.latLngBounds(boxes[0].getSouthWest(), boxes[0].getNorthEast())).pad(0.05)
    : undefined;
  const grid = leafletLayer({
    sources: {},
    paintRules: bottomUp.flatMap((l) => paintRulesOf(l, () => opacityOf(l.id))),
    labelRules: [],
    // Leaflet's attribution control writes HTML: each catalog text goes in escaped, its URLs as our own links.
    attribution: [...new Set(layers.map((l) => l.attribution).filter(Boolean))].map(attributionHtml).join(' | '),
    minZoom: Math.min(...layers.map((l) => l.minzoom)),
    bounds,
  }) as unknown as GridWithViews;
  // One data tile per display tile (levelDiff 0): the server generalises per zoom for 256 px tiles, and the
  // requests carry the map's own zoom. Beyond the largest maxzoom of the layers, tiles are overzoomed.
  const ids = layers.map((l) => l.id);
  const maxzoom = Math.max(...layers.map((l) => l.maxzoom));
  grid.views = new Map([['', new View(new TileCache(new CompositeTileSource(ids, report), tilePx), maxzoom, 0)]]);
  const labelRules = bottomUp.flatMap(labelRulesOf);
  if (labelRules.length) withLabels(grid, labelRules, { minZoom: Math.min(...layers.map((l) => l.minzoom)), bounds });
  return grid;
}

type GridWithViews = VectorLayer & { views: Map<string, View> };

/**
 * Draws a layer's labels in the label pane, above every layer's fills (uploaded layers included), from the same tile
 * cache as its fills (no second request); they come and go with the layer. Attribution '' keeps protomaps' default off.
 */
function withLabels(grid: GridWithViews, labelRules: LabelRule[], extent: { minZoom: number; bounds?: L.LatLngBounds }): void {
  const labels = leafletLayer({
    sources: {},
    paintRules: [],
    labelRules,
    attribution: '',
    ...extent,
  }) as unknown as GridWithViews;
  labels.views = grid.views;
  const { onAdd, onRemove, redraw, setZIndex } = grid;
  grid.onAdd = function (map: L.Map) {
    labels.options.pane = labelPaneOf(map);
    onAdd.call(this, map);
    labels.addTo(map);
    return this;
  };
  grid.onRemove = function (map: L.Map) {
    onRemove.call(this, map);
    labels.remove();
    return this;
  };
  grid.redraw = function () {
    labels.redraw();
    return redraw.call(this);
  };
  grid.setZIndex = function (z: number) {
    labels.setZIndex(z);
    return setZIndex.call(this, z);
  };
}
