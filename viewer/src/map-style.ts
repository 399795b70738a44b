/**
 * The map's style as the server publishes it (`/styles/planning-map.json`, a MapLibre style v8 generated from the
 * layer definitions), read into what the viewer draws for each catalog layer: fills, lines and circles with their
 * colours, widths, opacities and zoom ranges, in draw order; the label rules; the legend. MapLibre GL, QGIS and the
 * viewer thus draw from one document, and a style changed in `layers/` or by PATCH reaches all three the same way.
 *
 * Why a reader of the published style rather than a module shared with the server's generator: the viewer is a
 * client of the public API (docs/ARCHITECTURE.md; dependency-cruiser forbids each side importing the other's code),
 * so it reads the style as any other application would, and nothing but the document ties the two together.
 *
 * Why MapLibre's own expression evaluator (@maplibre/maplibre-gl-style-spec) and not a hand-written one for the
 * subset the server emits (`match`, `get`, `step`, `coalesce`, literals): every expression then means in the viewer
 * exactly what it means in MapLibre (numbers matched as numbers, a missing property falling through to the default),
 * and a new expression in the generator needs no second implementation here. It adds about 100 kB (minified) to the
 * bundle. What the viewer draws of a style is still a subset: the layer types and the paint and layout properties
 * of `understood` below. `readStyle` reports anything outside it in `problems`, and a unit test shared with the
 * generator (test/unit/viewer-style.test.ts) asserts that the server's styles have none.
 *
 * Zooms: the viewer asks one 256 px tile per 256 px map tile, so its map zoom is the tile zoom the style's
 * `minzoom`/`maxzoom` speak of (the server writes the layers' tile zooms there).
 */
import {
  Color,
  featureFilter,
  normalizePropertyExpression,
  latest,
  type FilterSpecification,
  type LayerSpecification,
  type StylePropertySpecification,
  type StyleSpecification,
} from '@maplibre/maplibre-gl-style-spec';

/** A feature's properties as decoded from the tile. */
export type Props = Record<string, unknown>;

/** A style value of a feature at a zoom; `geomType` is the MVT geometry type (1 point, 2 line, 3 polygon). */
export type Evaluator<T> = (zoom: number, props: Props, geomType: number) => T;

interface Common {
  /** The style layer's id. */
  id: string;
  /** Drawn from this zoom on (inclusive) and below `maxzoom` (exclusive), as in MapLibre. */
  minzoom: number;
  maxzoom: number;
  /** The style layer's filter, or null for every feature. */
  filter: Evaluator<boolean> | null;
}

/** A polygon fill. */
export interface FillDrawing extends Common {
  type: 'fill';
  colour: Evaluator<string>;
  opacity: Evaluator<number>;
}

/** A stroke (of a line, or of a polygon's outline). */
export interface LineDrawing extends Common {
  type: 'line';
  colour: Evaluator<string>;
  width: Evaluator<number>;
  opacity: Evaluator<number>;
  cap: CanvasLineCap;
  join: CanvasLineJoin;
}

/** A point as a circle. The viewer draws fill and stroke at one opacity (`circle-opacity`). */
export interface CircleDrawing extends Common {
  type: 'circle';
  colour: Evaluator<string>;
  radius: Evaluator<number>;
  opacity: Evaluator<number>;
  strokeColour: Evaluator<string>;
  strokeWidth: Evaluator<number>;
}

/** One paint step of a layer. */
export type Drawing = FillDrawing | LineDrawing | CircleDrawing;

/** A label rule: the text of `property`, along lines or next to points (polygons: at their centre). */
export interface LabelDrawing extends Common {
  property: string;
  placement: 'point' | 'line';
  /** Offset of a point's label, in pixels right and down. */
  offset: [number, number];
  size: Evaluator<number>;
  colour: Evaluator<string>;
  haloColour: Evaluator<string>;
  haloWidth: Evaluator<number>;
}

/** One legend entry: a category (its value and label) or a layer's one colour (value and label null). */
export interface LegendEntry {
  value: string | number | null;
  colour: string;
  label: { en: string; vi: string } | null;
}

/** A layer's legend: the property its colours are chosen by (null for one colour), and the entries. */
export interface Legend {
  property: string | null;
  entries: LegendEntry[];
}

/** How one catalog layer looks: its drawings bottom first, its labels, its legend. */
export interface LayerLook {
  drawings: Drawing[];
  labels: LabelDrawing[];
  legend: Legend | null;
}

/** A style read for the viewer. */
export interface MapStyle {
  /** Catalog layer ids in draw order, bottom first (the order of their first style layer). */
  order: string[];
  looks: Map<string, LayerLook>;
  /** What the viewer does not understand and left out ("layers[3].paint.fill-pattern: not drawn"); empty for ours. */
  problems: string[];
}

/**
 * The layer types and properties the viewer draws (the background is the page's own). Layer members beyond these
 * (`id`, `type`, `source`, `source-layer`, `minzoom`, `maxzoom`, `filter`, `layout`, `paint`, `metadata`) are not.
 */
export const understood = {
  fill: { paint: ['fill-color', 'fill-opacity'], layout: ['visibility'] },
  line: { paint: ['line-color', 'line-width', 'line-opacity'], layout: ['line-cap', 'line-join', 'visibility'] },
  circle: {
    paint: [
      'circle-color',
      'circle-radius',
      'circle-opacity',
      'circle-stroke-color',
      'circle-stroke-width',
      'circle-stroke-opacity',
    ],
    layout: ['visibility'],
  },
  symbol: {
    paint: ['text-color', 'text-halo-color', 'text-halo-width'],
    layout: ['text-field', 'text-size', 'symbol-placement', 'text-anchor', 'text-offset', 'visibility'],
  },
  background: { paint: ['background-color'], layout: ['visibility'] },
} as const satisfies Record<string, { paint: readonly string[]; layout: readonly string[] }>;

const layerMembers = new Set([
  'id',
  'type',
  'source',
  'source-layer',
  'minzoom',
  'maxzoom',
  'filter',
  'layout',
  'paint',
  'metadata',
]);

type Reference = Record<string, Record<string, StylePropertySpecification>>;
const reference = latest as unknown as Reference;

/** True when a constant is a value of the property's type (the evaluator leaves constants unchecked). */
function fits(constant: unknown, spec: StylePropertySpecification): boolean {
  switch (spec.type) {
    case 'color':
      return constant instanceof Color;
    case 'number':
      return typeof constant === 'number' && Number.isFinite(constant);
    case 'enum':
      return typeof constant === 'string' && Object.keys((spec as { values: object }).values).includes(constant);
    case 'array':
      return Array.isArray(constant) && constant.every((v) => typeof v === 'number');
    default:
      return constant !== undefined && constant !== null;
  }
}

/** Compiles one paint or layout value (constant or expression) with MapLibre's evaluator; problems are collected. */
function compile(
  value: unknown,
  group: string,
  name: string,
  where: string,
  problems: string[],
  fallback: unknown,
): Evaluator<unknown> {
  const spec = reference[group]?.[name];
  if (!spec) {
    problems.push(`${where}: no such property in the style specification`);
    return () => fallback;
  }
  let expression;
  try {
    // Constants, expressions and legacy functions alike, as MapLibre reads them (a colour string becomes a Color).
    expression = normalizePropertyExpression(value ?? spec.default, where, spec);
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
    return () => fallback;
  }
  if (expression.kind === 'constant') {
    const constant: unknown = expression.evaluate({ zoom: 0 });
    if (!fits(constant, spec)) {
      // An array whose head is no operator MapLibre knows also ends here: it is read as a constant.
      problems.push(`${where}: ${JSON.stringify(value)} is neither a ${spec.type} nor a known expression`);
      return () => fallback;
    }
    return () => constant;
  }
  return (zoom, properties, type) => expression.evaluate({ zoom }, { type: type as 1 | 2 | 3, properties });
}

/** A colour as the canvas takes it ("rgba(255,0,0,1)"). */
function asColour(evaluate: Evaluator<unknown>): Evaluator<string> {
  return (z, p, t) => String(evaluate(z, p, t));
}

function asNumber(evaluate: Evaluator<unknown>): Evaluator<number> {
  return (z, p, t) => Number(evaluate(z, p, t));
}

/** Reads the legend of a layer from the style's `sdi:legend` metadata, if it is there and well formed. */
function legendOf(metadata: unknown, id: string): Legend | null {
  const all = (metadata as Record<string, unknown> | undefined)?.['sdi:legend'] as Record<string, unknown> | undefined;
  const raw = all?.[id] as { property?: unknown; entries?: unknown } | undefined;
  if (!raw || !Array.isArray(raw.entries)) return null;
  const entries: LegendEntry[] = [];
  for (const e of raw.entries as Array<Record<string, unknown>>) {
    if (typeof e?.colour !== 'string') continue;
    const value = typeof e.value === 'string' || typeof e.value === 'number' ? e.value : null;
    const l = e.label as { en?: unknown; vi?: unknown } | null;
    const label = l && typeof l.en === 'string' && typeof l.vi === 'string' ? { en: l.en, vi: l.vi } : null;
    entries.push({ value, colour: e.colour, label });
  }
  return { property: typeof raw.property === 'string' ? raw.property : null, entries };
}

/** Reads one style layer into a drawing or a label rule; null for the background and what is not understood. */
function readLayer(layer: LayerSpecification, where: string, problems: string[]): Drawing | LabelDrawing | null {
  const known = understood[layer.type as keyof typeof understood] as { paint: readonly string[]; layout: readonly string[] };
  if (!known) {
    problems.push(`${where}: layers of type "${layer.type}" are not drawn`);
    return null;
  }
  for (const key of Object.keys(layer)) if (!layerMembers.has(key)) problems.push(`${where}.${key}: not read`);
  const raw = layer as unknown as { paint?: Record<string, unknown>; layout?: Record<string, unknown>; filter?: unknown };
  const paint = raw.paint ?? {};
  const layout = raw.layout ?? {};
  for (const key of Object.keys(paint)) if (!known.paint.includes(key)) problems.push(`${where}.paint.${key}: not drawn`);
  for (const key of Object.keys(layout)) if (!known.layout.includes(key)) problems.push(`${where}.layout.${key}: not drawn`);
  if (layer.type === 'background' || layout.visibility === 'none') return null;
  const p = (name: string, fallback: unknown) =>
    compile(paint[name], `paint_${layer.type}`, name, `${where}.paint.${name}`, problems, fallback);
  const l = (name: string, fallback: unknown) =>
    compile(layout[name], `layout_${layer.type}`, name, `${where}.layout.${name}`, problems, fallback);
  let filter: Evaluator<boolean> | null = null;
  if (raw.filter !== undefined) {
    try {
      const f = featureFilter(raw.filter as FilterSpecification, `${where}.filter`);
      filter = (zoom, properties, type) => f.filter({ zoom }, { type: type as 1 | 2 | 3, properties });
    } catch (err) {
      problems.push(`${where}.filter: ${(err as Error).message}`);
      return null;
    }
  }
  const common: Common = { id: layer.id, minzoom: layer.minzoom ?? 0, maxzoom: layer.maxzoom ?? 24, filter };
  switch (layer.type) {
    case 'fill':
      return { ...common, type: 'fill', colour: asColour(p('fill-color', '#000000')), opacity: asNumber(p('fill-opacity', 1)) };
    case 'line':
      return {
        ...common,
        type: 'line',
        colour: asColour(p('line-color', '#000000')),
        width: asNumber(p('line-width', 1)),
        opacity: asNumber(p('line-opacity', 1)),
        cap: l('line-cap', 'butt')(0, {}, 2) as CanvasLineCap,
        join: l('line-join', 'miter')(0, {}, 2) as CanvasLineJoin,
      };
    case 'circle':
      return {
        ...common,
        type: 'circle',
        colour: asColour(p('circle-color', '#000000')),
        radius: asNumber(p('circle-radius', 5)),
        opacity: asNumber(p('circle-opacity', 1)),
        strokeColour: asColour(p('circle-stroke-color', '#000000')),
        strokeWidth: asNumber(p('circle-stroke-width', 0)),
      };
    default:
      return readLabel(layer, common, where, problems, p, l);
  }
}

/** A symbol layer as a label rule: its text must be one property (`["get", name]`), drawn in the browser's fonts. */
function readLabel(
  layer: LayerSpecification,
  common: Common,
  where: string,
  problems: string[],
  p: (name: string, fallback: unknown) => Evaluator<unknown>,
  l: (name: string, fallback: unknown) => Evaluator<unknown>,
): LabelDrawing | null {
  const layout = ((layer as { layout?: Record<string, unknown> }).layout ?? {}) as Record<string, unknown>;
  const field = layout['text-field'];
  if (!Array.isArray(field) || field.length !== 2 || field[0] !== 'get' || typeof field[1] !== 'string') {
    problems.push(`${where}.layout.text-field: the viewer labels with one property, ["get", name]`);
    return null;
  }
  const size = asNumber(l('text-size', 16));
  const offset = l('text-offset', [0, 0])(0, {}, 1) as [number, number];
  const ems = size(common.minzoom, {}, 1);
  return {
    ...common,
    property: field[1],
    placement: layout['symbol-placement'] === 'line' ? 'line' : 'point',
    offset: [offset[0] * ems, offset[1] * ems],
    size,
    colour: asColour(p('text-color', '#000000')),
    haloColour: asColour(p('text-halo-color', 'rgba(0,0,0,0)')),
    haloWidth: asNumber(p('text-halo-width', 0)),
  };
}

/** The catalog layer a style layer draws: its source layer (our tiles name their layers by catalog id). */
function catalogLayerOf(layer: LayerSpecification): string | null {
  return (layer as { 'source-layer'?: string })['source-layer'] ?? null;
}

/** Reads a style document (the planning map or one layer's style) into the looks of its catalog layers. */
export function readStyle(style: StyleSpecification): MapStyle {
  const problems: string[] = [];
  const looks = new Map<string, LayerLook>();
  const order: string[] = [];
  const lookOf = (id: string): LayerLook => {
    let look = looks.get(id);
    if (!look) {
      look = { drawings: [], labels: [], legend: legendOf(style.metadata, id) };
      looks.set(id, look);
      order.push(id);
    }
    return look;
  };
  style.layers.forEach((layer, i) => {
    const read = readLayer(layer, `layers[${i}]`, problems);
    const id = catalogLayerOf(layer);
    if (read && id) lookOf(id).drawings.push(read as Drawing);
  });
  const metadata = style.metadata as Record<string, unknown> | undefined;
  const labels = metadata?.['sdi:label-layers'];
  if (Array.isArray(labels)) {
    labels.forEach((layer: LayerSpecification, i) => {
      const where = `metadata.sdi:label-layers[${i}]`;
      if (layer?.type !== 'symbol') {
        problems.push(`${where}: a label layer must be of type "symbol"`);
        return;
      }
      const read = readLayer(layer, where, problems);
      const id = catalogLayerOf(layer);
      if (read && id && looks.has(id)) looks.get(id)!.labels.push(read as LabelDrawing);
    });
  }
  return { order, looks, problems };
}

/** Adds to `into` the looks of `more` (a layer's own style) that it lacks, above its layers. */
export function addStyle(into: MapStyle, more: MapStyle): void {
  for (const id of more.order) {
    if (into.looks.has(id)) continue;
    into.looks.set(id, more.looks.get(id)!);
    into.order.push(id);
  }
  into.problems.push(...more.problems);
}

/** MVT geometry type of a layer's features. */
const geomTypes = { Point: 1, LineString: 2, Polygon: 3 } as const;

/**
 * The colour a feature with `props` gets in a layer (its first fill, line or circle), as the style's categories
 * decide; null when the layer draws nothing. Used for the bars of a summary grouped by the style's property.
 */
export function colourOfFeature(look: LayerLook, geometryType: keyof typeof geomTypes, props: Props): string | null {
  const d = look.drawings.find((x) => x.type !== 'line' || geometryType === 'LineString') ?? look.drawings[0];
  return d ? d.colour(d.minzoom, props, geomTypes[geometryType]) : null;
}

/** The legend's name of a value of `property` ("LUA – Rice land"), or null when the legend does not name it. */
export function legendEntryOf(legend: Legend | null | undefined, property: string, value: unknown): LegendEntry | null {
  if (!legend || legend.property !== property || value === null || value === undefined) return null;
  return legend.entries.find((e) => e.value !== null && String(e.value) === String(value)) ?? null;
}
