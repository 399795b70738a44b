import { expect } from 'chai';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import { builtInLayers, layer } from '../support/style-layers.ts';
import { buildStyle, colourExpression, drawOrder, fallbackColour, styleLayersOf } from '../../server/styles/maplibre.ts';
import { planningMapStyle, styleList } from '../../server/styles/catalog.ts';

describe('styles generated from the layer definitions', () => {
  it('validates for the planning map of every built-in layer and for each layer alone', () => {
    const layers = builtInLayers();
    expect(validateStyleMin(planningMapStyle('https://sdi.example.vn', layers)!)).to.deep.equal([]);
    for (const l of layers) {
      expect(
        validateStyleMin(
          buildStyle({ id: l.id, name: l.title, layers: [l], tileJsonUrl: () => `https://sdi.example.vn/tiles/${l.id}.json` }),
        ),
        l.id,
      ).to.deep.equal([]);
    }
  });

  it('splits a catalog of more layers than one composite tile may name into sources of at most 32 layers', () => {
    const many = Array.from({ length: 40 }, (_, i) => layer({ id: `l${String(i).padStart(2, '0')}`, sortOrder: i }));
    const style = planningMapStyle('https://sdi.example.vn', many)!;
    expect(validateStyleMin(style)).to.deep.equal([]);
    expect(Object.keys(style.sources)).to.deep.equal(['sdi', 'sdi-2']);
    const ids = (id: string) => /\/tiles\/([^/]+)\.json$/.exec((style.sources[id] as { url: string }).url)![1].split(',');
    expect(ids('sdi')).to.have.length(32);
    expect(ids('sdi-2')).to.have.length(8);
    for (const l of style.layers.filter((x) => x.type !== 'background') as Array<{ source: string; 'source-layer': string }>)
      expect(ids(l.source), l['source-layer']).to.include(l['source-layer']);
  });

  it('colours categories by a match on the property, with each label as a one-value list and the style colour as fallback', () => {
    const l = layer({
      style: {
        type: 'categorical',
        property: 'code',
        color: '#808080',
        categories: [
          { value: 'LUA', color: '#ffff64', label: { en: 'Rice', vi: 'Lúa' } },
          { value: 'ONT', color: '#ffd0ff', label: { en: 'Rural', vi: 'Nông thôn' } },
          { value: 'LUA', color: '#000000', label: { en: 'again', vi: 'lại' } },
        ],
      },
    });
    expect(colourExpression(l)).to.deep.equal(['match', ['get', 'code'], ['LUA'], '#ffff64', ['ONT'], '#ffd0ff', '#808080']);
  });

  it('compares numbers with numbers for a numeric property', () => {
    const l = layer({
      style: {
        type: 'categorical',
        property: 'level',
        categories: [{ value: '2', color: '#00ff00', label: { en: 'two', vi: 'hai' } }],
      },
    });
    expect(colourExpression(l)).to.deep.equal(['match', ['get', 'level'], [2], '#00ff00', fallbackColour]);
  });

  it('draws polygons as the viewer does: fill at fillOpacity (none at 0) under an outline of the style colour', () => {
    const hollow = styleLayersOf(layer({ style: { type: 'single', color: '#8e24aa', fillOpacity: 0, weight: 2 } }), 'sdi');
    expect(hollow.map((s) => s.id)).to.deep.equal(['parcels-outline']);
    expect(hollow[0]).to.deep.include({
      type: 'line',
      source: 'sdi',
      'source-layer': 'parcels',
      minzoom: 10,
      paint: { 'line-color': '#8e24aa', 'line-width': 2, 'line-opacity': 1 },
    });
    const filled = styleLayersOf(layer(), 'sdi');
    expect(filled.map((s) => s.type)).to.deep.equal(['fill', 'line']);
    expect((filled[0] as { paint: Record<string, unknown> }).paint).to.deep.equal({
      'fill-color': '#112233',
      'fill-opacity': 0.5,
    });
  });

  it('draws points as circles, growing with the cluster count only for clustered layers', () => {
    const plain = styleLayersOf(
      layer({ id: 'places', geometryType: 'Point', style: { type: 'single', radius: 4 } }),
      'sdi',
    )[0] as {
      paint: Record<string, unknown>;
    };
    expect(plain.paint['circle-radius']).to.equal(4);
    const clustered = styleLayersOf(
      layer({ id: 'bts', geometryType: 'Point', style: { type: 'single', radius: 5 }, tileOptions: { clusterBelowZoom: 11 } }),
      'sdi',
    )[0] as { paint: Record<string, unknown> };
    expect(clustered.paint['circle-radius']).to.deep.equal([
      'step',
      ['coalesce', ['get', 'count'], 1],
      5,
      2,
      7,
      4,
      9,
      8,
      11,
      16,
      13,
      32,
      15,
    ]);
  });

  it('stacks layers by sortOrder from the bottom, and lists the planning map first', () => {
    const a = layer({ id: 'a', sortOrder: 50 });
    const b = layer({ id: 'b', sortOrder: 10 });
    expect(drawOrder([a, b]).map((l) => l.id)).to.deep.equal(['b', 'a']);
    const list = styleList('https://x.vn', [a, b]) as { styles: Array<{ id: string }> };
    expect(list.styles.map((s) => s.id)).to.deep.equal(['planning-map', 'a', 'b']);
    expect(planningMapStyle('https://x.vn', [])).to.equal(null);
  });
});
