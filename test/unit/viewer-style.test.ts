/**
 * The style generator (server/styles/maplibre.ts) and the viewer's reader of it (viewer/src/map-style.ts) share this
 * test: every layer type, property and expression the server emits for the built-in layers and for the other shapes
 * a layer definition can take is one the viewer understands, and the viewer's reading gives each feature the colour,
 * size, zoom range, order, label and legend of the layer definition.
 */
import { expect } from 'chai';
import type { ExpressionSpecification, StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import type { Layer } from '../../server/catalog/catalog.ts';
import { buildStyle, drawOrder, fallbackColour, labelLayerOf } from '../../server/styles/maplibre.ts';
import { planningMapStyle } from '../../server/styles/catalog.ts';
import { colourOfFeature, readStyle, type CircleDrawing, type Drawing } from '../../viewer/src/map-style.ts';
import { builtInLayers, layer } from '../support/style-layers.ts';

/** A hex colour as the viewer hands it to the canvas. */
const rgba = (hex: string) => `rgba(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(',')},1)`;

/** Layer definitions of every other shape: single and categorical, hollow, numeric categories, clustered, labelled. */
function otherShapes(): Layer[] {
  const categories = [
    { value: 'a', color: '#aa0000', label: { en: 'A', vi: 'A' } },
    { value: 'b', color: '#00bb00', label: { en: 'B', vi: 'B' } },
  ];
  return [
    layer({ id: 'hollow', style: { type: 'single', color: '#8e24aa', fillOpacity: 0, weight: 2, labelProperty: 'code' } }),
    layer({ id: 'coded', style: { type: 'categorical', property: 'code', categories, labelProperty: 'code' } }),
    layer({
      id: 'levels',
      style: { type: 'categorical', property: 'level', categories: [{ ...categories[0], value: 2 }], color: '#123456' },
    }),
    layer({ id: 'lines', geometryType: 'LineString', minzoom: 0, style: { type: 'single', labelProperty: 'code' } }),
    layer({ id: 'kinds', geometryType: 'LineString', style: { type: 'categorical', property: 'code', categories, weight: 3 } }),
    layer({ id: 'dots', geometryType: 'Point', style: { type: 'single', color: '#0000ff', labelProperty: 'code' } }),
    layer({
      id: 'masts',
      geometryType: 'Point',
      style: { type: 'categorical', property: 'code', categories, radius: 5 },
      tileOptions: { clusterBelowZoom: 11 },
    }),
  ];
}

const styleOf = (layers: readonly Layer[]): StyleSpecification =>
  buildStyle({ id: 'test', name: 'test', layers, tileJsonUrl: () => 'https://sdi.example.vn/tiles/x.json' });

/** Every expression operator in a value (the first element of each array that is an expression). */
function operators(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    if (typeof value[0] === 'string') out.add(value[0]);
    for (const v of value) operators(v, out);
  } else if (value && typeof value === 'object') for (const v of Object.values(value)) operators(v, out);
  return out;
}

describe('the viewer reads the styles the server generates', () => {
  const all = [...builtInLayers(), ...otherShapes()];

  it('understands every layer type, property and expression of the planning map and of each layer style', () => {
    const planning = planningMapStyle('https://sdi.example.vn', all)!;
    expect(readStyle(planning).problems).to.deep.equal([]);
    for (const l of all) expect(readStyle(styleOf([l])).problems, l.id).to.deep.equal([]);
    // What the generator emits today, for the record: a new operator is welcome, and evaluated by MapLibre's code.
    const used = operators(planning.layers.map((l) => ('paint' in l ? l.paint : null)));
    expect([...used].filter((op) => op.startsWith('#') === false)).to.include.members(['match', 'get', 'step', 'coalesce']);
  });

  it('reports what it does not draw, so that a new property in the generator cannot pass unseen', () => {
    const style = styleOf([layer()]);
    style.layers.push(
      { id: 'x', type: 'heatmap', source: 'sdi', 'source-layer': 'parcels' },
      { id: 'y', type: 'fill', source: 'sdi', 'source-layer': 'parcels', paint: { 'fill-pattern': 'dots' } },
      {
        id: 'z',
        type: 'line',
        source: 'sdi',
        'source-layer': 'parcels',
        paint: { 'line-color': ['no-such-operator'] as unknown as ExpressionSpecification },
      },
    );
    const { problems } = readStyle(style);
    expect(problems).to.have.length(3);
    expect(problems[0]).to.match(/layers\[3\].*heatmap/);
    expect(problems[1]).to.match(/layers\[4\]\.paint\.fill-pattern/);
    expect(problems[2]).to.match(/layers\[5\]\.paint\.line-color/);
  });

  it('gives every feature of a built-in layer the colour of its category, and others the fallback', () => {
    const read = readStyle(planningMapStyle('https://sdi.example.vn', all)!);
    for (const l of all) {
      const look = read.looks.get(l.id)!;
      const fallback = rgba(l.style.color ?? fallbackColour);
      expect(colourOfFeature(look, l.geometryType, { nothing: 1 }), l.id).to.equal(fallback);
      if (l.style.type !== 'categorical') continue;
      const property = l.style.property!;
      const seen = new Set<string>();
      for (const c of l.style.categories!) {
        if (seen.has(String(c.value))) continue; // the first category of a value wins
        seen.add(String(c.value));
        const numeric = ['integer', 'number'].includes(l.column(property)?.type ?? 'string');
        const value = numeric ? Number(c.value) : String(c.value);
        expect(colourOfFeature(look, l.geometryType, { [property]: value }), `${l.id} ${c.value}`).to.equal(rgba(c.color));
      }
    }
  });

  it('keeps fill opacity, outline, line width, zoom range and draw order', () => {
    const layers = builtInLayers();
    const read = readStyle(planningMapStyle('https://sdi.example.vn', layers)!);
    expect(read.order).to.deep.equal(drawOrder(layers).map((l) => l.id));
    const parcels = layers.find((l) => l.id === 'landuse_parcels')!;
    const [fill, outline] = read.looks.get('landuse_parcels')!.drawings as Drawing[];
    expect(fill.type).to.equal('fill');
    expect(fill.minzoom).to.equal(parcels.minzoom);
    expect(fill.type === 'fill' && fill.opacity(14, {}, 3)).to.equal(parcels.style.fillOpacity ?? 0.5);
    expect(outline.type === 'line' && [outline.colour(14, {}, 3), outline.width(14, {}, 3)]).to.deep.equal([
      rgba(parcels.style.color ?? '#ffffff'),
      parcels.style.weight ?? 0.5,
    ]);
    const hollow = readStyle(styleOf([otherShapes()[0]])).looks.get('hollow')!;
    expect(hollow.drawings.map((d) => d.type)).to.deep.equal(['line']);
    const lines = readStyle(styleOf([otherShapes()[4]])).looks.get('kinds')!.drawings[0];
    expect(lines.type === 'line' && [lines.width(12, {}, 2), lines.cap]).to.deep.equal([3, 'round']);
  });

  it('grows a clustered point with its count in the steps the style gives, and keeps a lone point at its radius', () => {
    const circle = readStyle(styleOf([otherShapes()[6]])).looks.get('masts')!.drawings[0] as CircleDrawing;
    expect(circle.type).to.equal('circle');
    expect([1, 2, 5, 40].map((count) => circle.radius(9, { count }, 1))).to.deep.equal([5, 7, 9, 15]);
    expect(circle.radius(9, {}, 1)).to.equal(5);
    expect([circle.strokeColour(9, {}, 1), circle.strokeWidth(9, {}, 1), circle.opacity(9, {}, 1)]).to.deep.equal([
      rgba('#ffffff'),
      1,
      0.9,
    ]);
  });

  it('labels lines and points by their label property, and polygons only by their category', () => {
    const shapes = otherShapes();
    const read = readStyle(styleOf(shapes));
    const labels = (id: string) => read.looks.get(id)!.labels.map((d) => [d.property, d.placement]);
    expect(labels('hollow'), 'a polygon labelled by a property it is not coloured by').to.deep.equal([]);
    expect(labels('coded')).to.deep.equal([['code', 'point']]);
    expect(labels('lines')).to.deep.equal([['code', 'line']]);
    expect(labels('dots')).to.deep.equal([['code', 'point']]);
    const dot = read.looks.get('dots')!.labels[0];
    expect([dot.size(12, {}, 1), dot.offset, dot.colour(12, {}, 1), dot.haloWidth(12, {}, 1)]).to.deep.equal([
      11,
      [5.5, 5.5],
      rgba('#1f2937'),
      2.5,
    ]);
    expect(labelLayerOf(shapes[0], 'sdi')).to.equal(null);
    // The built-in layers' label rules all arrive.
    const builtIn = builtInLayers();
    const builtInRead = readStyle(planningMapStyle('https://sdi.example.vn', builtIn)!);
    for (const l of builtIn) expect(builtInRead.looks.get(l.id)!.labels.length, l.id).to.equal(labelLayerOf(l, 'sdi') ? 1 : 0);
  });

  it('draws the legend from the style: the categories with their labels, or the one colour', () => {
    const read = readStyle(styleOf(otherShapes()));
    expect(read.looks.get('coded')!.legend).to.deep.equal({
      property: 'code',
      entries: [
        { value: 'a', colour: '#aa0000', label: { en: 'A', vi: 'A' } },
        { value: 'b', colour: '#00bb00', label: { en: 'B', vi: 'B' } },
      ],
    });
    expect(read.looks.get('dots')!.legend).to.deep.equal({
      property: null,
      entries: [{ value: null, colour: '#0000ff', label: null }],
    });
  });
});
