import { expect } from 'chai';
import { crsBySrid } from '../../server/crs/index.ts';
import { layerDefinitionSchema } from '../../server/catalog/definition.ts';
import { layerGroups } from '../../server/wire/layer.ts';
import { zones } from '../../viewer/src/coords.ts';

describe('the wire module server and viewer share', () => {
  it("gives the viewer's cursor read-out the server's own VN-2000 TM-3 definitions", () => {
    for (const code of Object.keys(zones) as Array<keyof typeof zones>) {
      expect(zones[code].def, code).to.equal(crsBySrid(Number(code.split(':')[1])).proj4);
    }
  });

  it('rejects a layer group the viewer does not know', () => {
    const base = {
      id: 'x',
      title: 'X',
      title_vi: 'X',
      table: 'x',
      geometryType: 'Point',
      columns: [],
      style: { type: 'single', color: '#000000' },
    };
    for (const group of layerGroups) expect(layerDefinitionSchema.safeParse({ ...base, group }).success, group).to.equal(true);
    expect(layerDefinitionSchema.safeParse({ ...base, group: 'roads' }).success).to.equal(false);
  });
});
