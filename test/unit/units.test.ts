import { expect } from 'chai';
import { defaultDataDir } from '../../server/seed/demo.ts';
import { loadCrosswalk } from '../../server/units/crosswalk-file.ts';
import { loadMapping, parseMapping } from '../../server/units/mapping.ts';
import { bareName, matchCommunes, planUnits, typeOf, type Commune2009, type Neighbour } from '../../server/units/matching.ts';

/** A small province: new unit 00010 = old 00001 + 00002, new 00020 = old 00003 + 00004 + part of 00005. */
const mapping = parseMapping({
  new_to_old: [
    {
      level2s: [
        {
          level2_id: '00020',
          name: 'Xã Mới',
          merges: [
            { old_id: '00003', name: 'Xã Lam Sơn', type: 'full' },
            { old_id: '00004', name: 'Xã Đông', type: 'full' },
            { old_id: '00005', name: 'Xã Chia', type: 'partial' },
          ],
        },
        {
          level2_id: '00010',
          name: 'Phường Trung Tâm',
          merges: [
            { old_id: '00001', name: 'Phường Một', type: 'full' },
            { old_id: '00002', name: 'Thị trấn Hai', type: 'full' },
            { old_id: '00005', name: 'Xã Chia', type: 'partial' },
          ],
        },
      ],
    },
  ],
});

const commune = (id: number, fullName: string, code: string | null, district = '100'): Commune2009 => ({
  id,
  name: bareName(fullName),
  full_name: fullName,
  type: typeOf(fullName),
  code,
  district_code: district,
  province_code: '24',
});

describe('units of 2025: the mapping and the crosswalk rules', () => {
  it('splits a full name into its type and name', () => {
    expect([typeOf('Thị trấn Neo'), bareName('Thị trấn Neo')]).to.deep.equal(['Thị trấn', 'Neo']);
    expect([typeOf('Trung tâm huấn luyện Cấm Sơn'), bareName('Xã Tân Dĩnh')]).to.deep.equal([null, 'Tân Dĩnh']);
  });

  it('reads both directions of the mapping and draws a split old unit into the lowest new code', () => {
    expect(mapping.newUnits.map((u) => u.code)).to.deep.equal(['00010', '00020']);
    const split = mapping.oldUnits.find((o) => o.code === '00005')!;
    expect(split.splits.map((s) => [s.code, s.kind])).to.deep.equal([
      ['00010', 'partial'],
      ['00020', 'partial'],
    ]);
    expect(split.newCode).to.equal('00010');
  });

  it('links by code, then by name with type, then by name, then by name part, then by neighbour', () => {
    const communes = [
      commune(1, 'Phường Một', '00001'),
      commune(2, 'Thị trấn Hai', null), // same full name as the unclaimed 00002
      commune(3, 'Xã Đông', null), // 00004 "Xã Đông": name+type
      commune(4, 'Xã Lam Cốt', null), // shares "Lam" with the unclaimed 00003 "Lam Sơn"
      commune(5, 'Xã Lẻ', null), // only neighbours can place it
    ];
    const neighbours: Neighbour[] = [
      { a: 1, b: 5, weight: 1 },
      { a: 3, b: 5, weight: 3 },
    ];
    const matches = matchCommunes(communes, mapping.oldUnits, neighbours);
    expect(matches.map((m) => [m.id, m.rule, m.code_2025_03, m.new_code])).to.deep.equal([
      [1, 'code', '00001', '00010'],
      [2, 'name+type', '00002', '00010'],
      [3, 'name+type', '00004', '00020'],
      [4, 'name part', null, '00020'],
      [5, 'neighbour', null, '00020'],
    ]);
  });

  it('prefers a bordering unit that misses territory over one with a longer border', () => {
    const communes = [
      commune(1, 'Phường Một', '00001'),
      commune(2, 'Thị trấn Hai', '00002'),
      commune(3, 'Xã Đông', '00004'),
      commune(4, 'Xã Lẻ', null),
      commune(5, 'Xã Chia', '00005'),
    ];
    // 00020 misses 00003 (no polygon): it wins over the longer border with 00010, which misses nothing.
    const matches = matchCommunes(communes, mapping.oldUnits, [
      { a: 1, b: 4, weight: 5 },
      { a: 3, b: 4, weight: 1 },
    ]);
    expect(matches[3]).to.include({ rule: 'neighbour', new_code: '00020' });
  });

  it('gives the same answer whatever the order of the neighbour list', () => {
    const communes = [
      commune(1, 'Phường Một', '00001'),
      commune(2, 'Xã Đông', '00004'),
      commune(3, 'Xã A', null),
      commune(4, 'Xã B', null),
    ];
    const n: Neighbour[] = [
      { a: 1, b: 3, weight: 2 },
      { a: 2, b: 4, weight: 2 },
      { a: 3, b: 4, weight: 9 },
    ];
    expect(matchCommunes(communes, mapping.oldUnits, n)).to.deep.equal(
      matchCommunes(communes, mapping.oldUnits, [...n].reverse()),
    );
  });

  it('marks a unit approximate when a commune was placed by neighbour, an old unit has no polygon or was split', () => {
    const communes = [commune(1, 'Phường Một', '00001'), commune(2, 'Thị trấn Hai', '00002'), commune(3, 'Xã Đông', '00004')];
    const plans = planUnits(mapping.newUnits, mapping.oldUnits, matchCommunes(communes, mapping.oldUnits, []));
    expect(plans.map((p) => [p.code, p.approximate, p.communes_2009])).to.deep.equal([
      ['00010', true, [1, 2]],
      ['00020', true, [3]],
    ]);
    expect(plans[0].method).to.match(/^Approximate, not legal: .*split between new units/);
    expect(plans[1].method).to.match(/have no 2009 polygon of their own/);
  });

  it('refuses a plan in which a new unit gets no 2009 commune', () => {
    const matches = matchCommunes([commune(1, 'Phường Một', '00001')], mapping.oldUnits, []);
    expect(() => planUnits(mapping.newUnits, mapping.oldUnits, matches)).to.throw(/00020 Xã Mới: no 2009 commune/);
  });

  it('ships a crosswalk that places each of the 358 communes in one of the 99 units of the mapping', () => {
    const shipped = loadCrosswalk(defaultDataDir);
    const real = loadMapping(defaultDataDir);
    expect(shipped.communes_2009).to.have.length(358);
    expect(shipped.units_2025.map((u) => u.code)).to.deep.equal(real.newUnits.map((u) => u.code));
    const drawn = shipped.units_2025.flatMap((u) => u.communes_2009).sort((a, b) => a - b);
    expect(drawn).to.deep.equal(Array.from({ length: 358 }, (_, i) => i + 1));
    expect(Object.values(shipped.rules).reduce((a, b) => a + b, 0)).to.equal(358);
    for (const c of shipped.communes_2009) {
      if (c.code_2025_03) expect(real.oldUnits.find((o) => o.code === c.code_2025_03)?.newCode, c.full_name).to.equal(c.new_code);
    }
  });
});
