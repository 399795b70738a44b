import { expect } from 'chai';
import { normalizeSearchText } from '../../server/text/normalize.ts';

describe('normalizeSearchText', () => {
  const cases: Array<[string, string]> = [
    ['Bắc Giang', 'bac giang'],
    ['BẮC NINH', 'bac ninh'],
    ['Đình Trám', 'dinh tram'],
    ['đường  Quốc lộ\t1', 'duong quoc lo 1'],
    ['  Lục   Ngạn ', 'luc ngan'],
    ['Hòa Phú', 'hoa phu'],
    ['Hoà Phú', 'hoa phu'],
    ['Thị trấn Chũ', 'thi tran chu'],
    ['Yên Phong II-C', 'yen phong ii-c'],
    ['O\'Brien "quoted" name.', 'o\'brien "quoted" name.'],
  ];
  for (const [input, expected] of cases) {
    it(`turns ${JSON.stringify(input)} into ${JSON.stringify(expected)}`, () => {
      expect(normalizeSearchText(input)).to.equal(expected);
    });
  }

  it('gives the same key for composed (NFC) and decomposed (NFD) input', () => {
    const nfc = 'Việt Yên'.normalize('NFC');
    const nfd = 'Việt Yên'.normalize('NFD');
    expect(normalizeSearchText(nfd)).to.equal(normalizeSearchText(nfc));
  });

  it('returns an empty string for null, undefined and blank input', () => {
    expect(normalizeSearchText(null)).to.equal('');
    expect(normalizeSearchText(undefined)).to.equal('');
    expect(normalizeSearchText('   ')).to.equal('');
  });
});
