import { expect } from 'chai';
import path from 'node:path';
import { defaults } from '../../server/config.ts';
import { loadLayerDefinitions } from '../../server/catalog/definition.ts';
import { zoneWeights } from '../../server/seed/landuse-codes.ts';

describe('the land-use legend (layers/landuse_parcels.json)', () => {
  const parcels = loadLayerDefinitions(path.resolve(defaults.layersDir)).find((d) => d.id === 'landuse_parcels')!;
  const byCode = new Map(parcels.style.categories!.map((c) => [String(c.value), c]));

  it('names LUA the rice-land group, LUC specialised wet-rice land and LUK other wet-rice land', () => {
    expect(byCode.get('LUA')!.label.vi).to.equal('LUA: Đất trồng lúa');
    expect(byCode.get('LUC')!.label.vi).to.equal('LUC: Đất chuyên trồng lúa nước');
    expect(byCode.get('LUK')!.label.vi).to.equal('LUK: Đất trồng lúa nước còn lại');
  });

  it('names the circulars its codes and names follow', () => {
    expect(parcels.description).to.contain('Circular 27/2018/TT-BTNMT').and.to.contain('Circular 01/2021/TT-BTNMT');
  });

  it('has a category, with a label in both languages, for every code the demo data draws', () => {
    const drawn = new Set(Object.values(zoneWeights).flatMap((w) => Object.keys(w)));
    expect([...drawn].filter((code) => !byCode.has(code))).to.deep.equal([]);
    for (const c of parcels.style.categories!) {
      expect(c.label.vi.startsWith(`${c.value}: `) && c.label.en.startsWith(`${c.value}: `), String(c.value)).to.equal(true);
    }
  });
});
