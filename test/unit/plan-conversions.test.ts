import { expect } from 'chai';
import path from 'node:path';
import { defaults } from '../../server/config.ts';
import { loadLayerDefinitions } from '../../server/catalog/definition.ts';
import { codeNames } from '../../server/query/conversions.ts';

describe('the names of the codes in /query/conversions (from the legend of layers/landuse_plan_2030.json)', () => {
  const plan = loadLayerDefinitions(path.resolve(defaults.layersDir)).find((d) => d.id === 'landuse_plan_2030')!;

  it('takes each name from its legend label, without the "CODE: " prefix, in both languages', () => {
    const names = codeNames(plan.style, 'code');
    expect(names.get('LUC')).to.deep.equal({ vi: 'Đất chuyên trồng lúa nước', en: 'Paddy land (two or more rice crops)' });
    expect(names.get('SKK')).to.deep.equal({ vi: 'Đất khu công nghiệp', en: 'Industrial park land' });
    expect(names.size).to.equal(plan.style.categories!.length);
  });

  it('has no names for a property the style is not categorised by', () => {
    expect(codeNames(plan.style, 'current_code').size).to.equal(0);
    expect(codeNames({ type: 'single', color: '#000000' }, 'code').size).to.equal(0);
  });
});
