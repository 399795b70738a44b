/**
 * The visible catalog layers drawn in Leaflet as one protomaps-leaflet layer from our own composite Mapbox Vector
 * Tiles (`/tiles/{a,b,c}/{z}/{x}/{y}.mvt`): one request and one canvas per map tile whatever the number of layers,
 * each layer a source layer of that tile, painted bottom to top by rules built from the published style document
 * (map-style.ts), with every label above every layer. Canvas 2D (no WebGL). Tiles come through our own TileSource so that 204
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
import { apiUrl, authHeaders, type ViewerLayer } from './api.ts';
import { attributionHtml } from './attribution.ts';
import type { Drawing, Evaluator, LayerLook } from './map-style.ts';

/** What a tile request of a layer ended with: HTTP status (0 = no answer) and, on failure, the server's message. */
export interface TileOutcome {
  layer: string;
  status: number;
  message: string;
}

/** The Leaflet layer of the visible catalog layers. */
export type VectorLayer = L.GridLayer & { rerenderTiles(): void };

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
      const feature: TileFeature = {
        props: f.properties,
        bbox: { minX, minY, maxX, maxY },
        geomType: f.type,
        geom,
        numVertices,
        id: f.id,
      };
      features.push(feature);
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

/** A style value as protomaps takes it: evaluated at the zoom for the feature drawn. */
function attr<T>(evaluate: Evaluator<T>): (z: number, f?: Feature) => T {
  return (z, f) => evaluate(z, f?.props ?? {}, f?.geomType ?? 0);
}

/** A style layer's zoom range as protomaps' rule bounds (integer zooms; MapLibre's maxzoom is exclusive). */
function zoomsOf(d: { minzoom: number; maxzoom: number }): { minzoom?: number; maxzoom?: number } {
  return { ...(d.minzoom > 0 ? { minzoom: d.minzoom } : {}), ...(d.maxzoom < 24 ? { maxzoom: Math.ceil(d.maxzoom) - 1 } : {}) };
}

function filterOf(d: { filter: Evaluator<boolean> | null }): PaintRule['filter'] {
  const { filter } = d;
  return filter ? (z, f) => filter(z, f.props, f.geomType) : undefined;
}

/** The symbolizer of one drawing of the style; `opacity` is the layer's opacity now (0..1), read at every draw. */
function symbolizerOf(d: Drawing, opacity: () => number): PaintRule['symbolizer'] {
  const alpha = (of: Evaluator<number>) => (z: number, f?: Feature) => of(z, f?.props ?? {}, f?.geomType ?? 0) * opacity();
  if (d.type === 'fill') return new PolygonSymbolizer({ fill: attr(d.colour), opacity: alpha(d.opacity), perFeature: true });
  if (d.type === 'line')
    return new LineSymbolizer({
      color: attr(d.colour),
      width: attr(d.width),
      opacity: alpha(d.opacity),
      perFeature: true,
      lineCap: d.cap,
      lineJoin: d.join,
    });
  return new CircleSymbolizer({
    radius: attr(d.radius),
    fill: attr(d.colour),
    stroke: attr(d.strokeColour),
    width: attr(d.strokeWidth),
    opacity: alpha(d.opacity),
  });
}

/** The paint rules of a layer, bottom first, from its look in the published style. */
function paintRulesOf(layer: ViewerLayer, look: LayerLook | undefined, opacity: () => number): PaintRule[] {
  return (look?.drawings ?? []).map((d) => ({
    dataLayer: layer.id,
    symbolizer: symbolizerOf(d, opacity),
    filter: filterOf(d),
    ...zoomsOf(d),
  }));
}

/** A parsed feature and its MVT id (the catalog feature's, stable across tiles; absent when the tile has none). */
type TileFeature = Feature & { readonly id?: number };

/** Tile size of the parsed features, in pixels (see parseTile). */
const tilePx = 256;

/** Smallest visible part of a polygon (display px) that holds a short label such as a parcel's code. */
const labelRoom = { width: 28, height: 14 };

/**
 * Farthest apart (display px) two pieces of one polygon, cut by tile edges, may be labelled before the second is
 * taken for the first's repeat: a polygon wider than this on screen may show its label twice.
 */
const labelRepeatPx = 1024;

/**
 * The part of a polygon's outer-ring box inside its data tile, in the tile's pixels (a tile's polygons reach a few
 * pixels past its edges: the tile buffer).
 */
function visibleBox(ring: readonly { x: number; y: number }[]): { minX: number; minY: number; maxX: number; maxY: number } {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of ring) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x);
    maxY = Math.max(maxY, p.y);
  }
  return { minX: Math.max(0, minX), minY: Math.max(0, minY), maxX: Math.min(tilePx, maxX), maxY: Math.min(tilePx, maxY) };
}

/** Is the point inside the ring (even-odd rule)? Written here: a few lines on the renderer's own points. */
function insideRing(x: number, y: number, ring: readonly { x: number; y: number }[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i];
    const b = ring[j];
    if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

/**
 * Labels a polygon at the centre of the part of its outer ring's box that lies inside its tile, when that point is
 * inside the polygon (protomaps' own centred label takes the first vertex). A polygon cut by tile edges is seen
 * once per tile: its pieces share the feature's id, and the labeller keeps the first piece's label and drops the
 * others' (deduplication by key), so a large parcel is labelled once whichever tile arrives first.
 */
class PolygonCentreSymbolizer implements LabelSymbolizer {
  private readonly text: CenteredTextSymbolizer;

  constructor(
    private readonly layerId: string,
    options: ConstructorParameters<typeof CenteredTextSymbolizer>[0],
  ) {
    this.text = new CenteredTextSymbolizer(options);
  }

  place(...[layout, geom, feature]: Parameters<LabelSymbolizer['place']>): ReturnType<LabelSymbolizer['place']> {
    const ring = geom[0];
    const local = feature.geom[0];
    if (!ring?.length || !local?.length) return undefined;
    const box = visibleBox(local);
    const cx = (box.minX + box.maxX) / 2;
    const cy = (box.minY + box.maxY) / 2;
    if (!insideRing(cx, cy, local)) return undefined;
    // From the tile's pixels to the map's: the drawn geometry is the parsed one scaled by the overzoom and moved.
    const scale = 2 ** layout.overzoom;
    const centre = ring[0].clone();
    centre.x = ring[0].x + (cx - local[0].x) * scale;
    centre.y = ring[0].y + (cy - local[0].y) * scale;
    const labels = this.text.place(layout, [[centre]], feature);
    const { id } = feature as TileFeature;
    if (id === undefined) return labels;
    return labels?.map((l) => ({ ...l, deduplicationKey: `${this.layerId}#${id}`, deduplicationDistance: labelRepeatPx }));
  }
}

/**
 * True for a polygon whose part inside its tile is big enough on screen to hold a short label (a parcel's code at
 * high zoom). Without an id the pieces of a polygon cut by tile edges cannot be told apart (each would be labelled),
 * so such a polygon is labelled only when it lies whole inside its tile.
 */
function labelFits(layer: ViewerLayer, z: number, f: TileFeature): boolean {
  const ring = f.geom[0];
  if (!ring?.length) return false;
  const box = visibleBox(ring);
  const scale = 2 ** Math.max(0, z - layer.maxzoom); // overzoomed tiles are drawn larger than their data
  const whole = f.bbox.minX >= 0 && f.bbox.minY >= 0 && f.bbox.maxX <= tilePx && f.bbox.maxY <= tilePx;
  if (f.id === undefined && !whole) return false;
  return (box.maxX - box.minX) * scale >= labelRoom.width && (box.maxY - box.minY) * scale >= labelRoom.height;
}

/** The label rules of a layer from its look: lines along the line, points beside the point, polygons at their centre. */
function labelRulesOf(layer: ViewerLayer, look: LayerLook | undefined): LabelRule[] {
  return (look?.labels ?? []).map((d) => {
    const text = {
      labelProps: [d.property],
      fill: attr(d.colour),
      stroke: attr(d.haloColour),
      width: attr(d.haloWidth),
      font: (z: number, f?: Feature) => `600 ${d.size(z, f?.props ?? {}, f?.geomType ?? 0)}px sans-serif`,
    };
    const rule = { dataLayer: layer.id, ...zoomsOf(d) };
    const filter = filterOf(d);
    if (d.placement === 'line') return { ...rule, filter, symbolizer: new LineLabelSymbolizer(text) };
    if (layer.geometryType !== 'Polygon')
      return { ...rule, filter, symbolizer: new OffsetTextSymbolizer({ ...text, offsetX: d.offset[0], offsetY: d.offset[1] }) };
    // A polygon's label only where its piece in the tile has room for it (see labelFits).
    return {
      ...rule,
      symbolizer: new PolygonCentreSymbolizer(layer.id, text),
      filter: (z: number, f: Feature) => labelFits(layer, z, f) && (!filter || filter(z, f)),
    };
  });
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
  looks: ReadonlyMap<string, LayerLook>,
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
    paintRules: bottomUp.flatMap((l) => paintRulesOf(l, looks.get(l.id), () => opacityOf(l.id))),
    labelRules: [],
    // Leaflet's attribution control writes HTML: each catalog text goes in escaped, its URLs as our own links.
    // A layer may credit several sources ("a; b"): each source once, however many layers credit it.
    attribution: [...new Set(layers.flatMap((l) => (l.attribution ?? '').split(/;\s+/)).filter(Boolean))]
      .map(attributionHtml)
      .join(' | '),
    minZoom: Math.min(...layers.map((l) => l.minzoom)),
    bounds,
  }) as unknown as GridWithViews;
  // One data tile per display tile (levelDiff 0): the server generalises per zoom for 256 px tiles, and the
  // requests carry the map's own zoom. Beyond the largest maxzoom of the layers, tiles are overzoomed.
  const ids = layers.map((l) => l.id);
  const maxzoom = Math.max(...layers.map((l) => l.maxzoom));
  grid.views = new Map([['', new View(new TileCache(new CompositeTileSource(ids, report), tilePx), maxzoom, 0)]]);
  const labelRules = bottomUp.flatMap((l) => labelRulesOf(l, looks.get(l.id)));
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
