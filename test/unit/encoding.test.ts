import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import {
  UnencodableCharacterError,
  VIETNAMESE_LETTERS,
  dbfCodePageFromLdid,
  decodeText,
  detectVietnameseEncoding,
  encodeText,
  encodingFromCpg,
  isVietnameseSyllable,
  scoreVietnameseText,
  type TextEncodingName,
} from '../../server/text/encodings/index.ts';

const fixtures = path.resolve(import.meta.dirname, '..', 'fixtures', 'encoding');
const LEGACY: TextEncodingName[] = ['tcvn3', 'vni', 'windows-1258'];
const latin1 = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

/** The lines of a fixture file as byte samples (split at LF, as DBF values would arrive one by one). */
function fixtureLines(encoding: TextEncodingName): Uint8Array[] {
  const buf = fs.readFileSync(path.join(fixtures, `communes.${encoding}.txt`));
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 0x0a) {
      lines.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
  return lines;
}

const expected = fs.readFileSync(path.join(fixtures, 'communes.utf-8.txt'), 'utf8').split('\n');
const lower = [...VIETNAMESE_LETTERS].filter((c) => c === c.toLowerCase());
const upper = [...VIETNAMESE_LETTERS].filter((c) => c !== c.toLowerCase());

describe('legacy Vietnamese codecs', () => {
  it('knows the 93 letters of each case: a-z, đ ă â ê ô ơ ư, and the 12 vowels with each of 5 tones', () => {
    expect(lower).to.have.length(93);
    expect(upper).to.have.length(93);
  });

  for (const encoding of ['vni', 'windows-1258'] as TextEncodingName[]) {
    it(`round-trips every Vietnamese letter, lower and upper case, through ${encoding}`, () => {
      for (const letter of [...lower, ...upper]) {
        expect(decodeText(encodeText(letter, encoding), encoding), letter).to.equal(letter);
      }
    });
  }

  it('round-trips every lower-case letter through TCVN3, and every capital in a word written in capitals', () => {
    for (const letter of lower) expect(decodeText(encodeText(letter, 'tcvn3'), 'tcvn3'), letter).to.equal(letter);
    for (const letter of upper) {
      const word = `TÊN ${letter}NH`;
      expect(decodeText(encodeText(word, 'tcvn3'), 'tcvn3'), word).to.equal(word);
    }
    for (const base of ['Ă', 'Â', 'Đ', 'Ê', 'Ô', 'Ơ', 'Ư']) expect(decodeText(encodeText(base, 'tcvn3'), 'tcvn3')).to.equal(base);
  });

  it('reads a capital toned letter opening a title-case word back in lower case in TCVN3, which has no code for it', () => {
    expect(decodeText(encodeText('Ủy ban', 'tcvn3'), 'tcvn3')).to.equal('ủy ban');
    expect(decodeText(encodeText('Ủy Ban', 'tcvn3'), 'tcvn3')).to.equal('ủy Ban');
  });

  it('decodes well-known TCVN3, VNI and Windows-1258 byte strings written by other tools', () => {
    expect(decodeText(latin1('ViÖt Nam'), 'tcvn3')).to.equal('Việt Nam');
    expect(decodeText(latin1('Hµ Néi'), 'tcvn3')).to.equal('Hà Nội');
    expect(decodeText(latin1('§ång Kú'), 'tcvn3')).to.equal('Đồng Kỳ');
    expect(decodeText(latin1('Thõa Thiªn HuÕ'), 'tcvn3')).to.equal('Thừa Thiên Huế');
    expect(decodeText(latin1('Tieáng Vieät'), 'vni')).to.equal('Tiếng Việt');
    expect(decodeText(latin1('Ñoàng Kyø'), 'vni')).to.equal('Đồng Kỳ');
    expect(decodeText(latin1('TIEÁNG VIEÄT'), 'vni')).to.equal('TIẾNG VIỆT');
    // Windows-1258: 'ê' (0xEA) + combining dot below (0xF2); 'Đ' is 0xD0, 'ô' 0xF4 + combining grave 0xCC.
    expect(decodeText(Uint8Array.of(0x56, 0x69, 0xea, 0xf2, 0x74), 'windows-1258')).to.equal('Việt');
    expect(decodeText(Uint8Array.of(0xd0, 0xf4, 0xcc, 0x6e, 0x67), 'windows-1258')).to.equal('Đồng');
  });

  it('returns NFC from every decoder, also for decomposed UTF-8 and with a byte-order mark', () => {
    const nfd = new TextEncoder().encode('\uFEFFHiê\u0323p Ho\u0300a'.normalize('NFD'));
    expect(decodeText(nfd, 'utf-8')).to.equal('Hiệp Hòa'.normalize('NFC'));
    for (const e of LEGACY) {
      const text = decodeText(encodeText('Nghĩa Hồ, Yên Dũng', e), e);
      expect(text).to.equal(text.normalize('NFC'));
    }
  });

  it('refuses characters an encoding cannot write, naming the character', () => {
    expect(() => encodeText('Giá 5€', 'tcvn3')).to.throw(UnencodableCharacterError, /"€"/);
    expect(() => encodeText('北宁', 'vni')).to.throw(UnencodableCharacterError, /U\+5317/);
    expect(() => encodeText('Ā', 'windows-1258')).to.throw(UnencodableCharacterError, /windows-1258/);
    expect(() => encodeText('ư', 'latin1')).to.throw(UnencodableCharacterError);
  });
});

describe('Vietnamese syllable grammar', () => {
  it('accepts real syllables, with or without tones, in any case', () => {
    for (const w of [
      'Xã',
      'Tân',
      'Dĩnh',
      'nghiêng',
      'khuya',
      'quốc',
      'giặt',
      'chuyện',
      'ngoằn',
      'Đồng',
      'KỲ',
      'ƯỚC',
      'oai',
      'gì',
    ]) {
      expect(isVietnameseSyllable(w), w).to.equal(true);
    }
  });

  it('rejects impossible clusters, two tones and a falling tone before a stop consonant', () => {
    for (const w of ['Vieät', 'Vieọt', 'B¾c', 'tiềt', 'hoà̀', 'õỡ', 'abcd', 'xyz', 'UBND', '']) {
      expect(isVietnameseSyllable(w), w).to.equal(false);
    }
  });

  it('counts symbols of a wrong decoding as impossible and scores real names above them', () => {
    const good = scoreVietnameseText('Phường Trần Phú, Thành phố Bắc Giang');
    const bad = scoreVietnameseText('Ph­êng TrÇn Phó, Thµnh phè B¾c Giang');
    expect(good).to.deep.include({ invalidMarked: 0, impossible: 0, words: 7 });
    expect(bad.impossible).to.be.above(2);
    expect(good.score).to.be.above(bad.score + 2);
  });
});

describe('encoding detection', () => {
  for (const encoding of ['utf-8', ...LEGACY] as TextEncodingName[]) {
    it(`detects ${encoding} in the 472 commune names and decodes every one back to the same NFC text`, () => {
      const samples = fixtureLines(encoding);
      expect(samples).to.have.length(expected.length);
      const d = detectVietnameseEncoding(samples);
      expect(d.encoding).to.equal(encoding);
      expect(d.confidence).to.be.above(0.9);
      samples.forEach((s, i) => expect(decodeText(s, d.encoding)).to.equal(expected[i]));
    });

    it(`detects ${encoding} from each commune name alone`, () => {
      const wrong = fixtureLines(encoding).filter(
        (s, i) => decodeText(s, detectVietnameseEncoding([s]).encoding) !== expected[i],
      );
      expect(wrong.map((s) => decodeText(s, 'latin1'))).to.deep.equal([]);
    });
  }

  it('detects the names of the brief in every encoding, upper case and mixed case included', () => {
    const names = [
      'Xã Tân Dĩnh',
      'Thị trấn Chũ',
      'Phường Trần Phú',
      'Lục Ngạn',
      'Sơn Động',
      'Yên Dũng',
      'Hiệp Hòa',
      'Nghĩa Hồ',
      'Đồng Kỳ',
    ];
    const texts = [...names, ...names.map((n) => n.toUpperCase()), 'UBND xã Nghĩa Hồ, HUYỆN LỤC NGẠN'];
    for (const encoding of ['utf-8', ...LEGACY] as TextEncodingName[]) {
      const samples = texts.map((t) => encodeText(t, encoding));
      const d = detectVietnameseEncoding(samples);
      expect(d.encoding, encoding).to.equal(encoding);
      expect(samples.map((s) => decodeText(s, d.encoding))).to.deep.equal(texts);
    }
  });

  it('keeps a declared encoding that reads the text well', () => {
    const samples = fixtureLines('tcvn3').slice(0, 20);
    const d = detectVietnameseEncoding(samples, 'tcvn3');
    expect(d).to.deep.include({ encoding: 'tcvn3', declaredOverridden: false });
  });

  it('overrides a declared Windows-1258 (as GeoNode users had to set it) when the DBF holds TCVN3', () => {
    const d = detectVietnameseEncoding(fixtureLines('tcvn3').slice(0, 20), 'windows-1258');
    expect(d).to.deep.include({ encoding: 'tcvn3', declaredOverridden: true });
    expect(d.alternatives.find((a) => a.encoding === 'windows-1258')!.details!.impossible).to.be.above(0);
  });

  it('overrides a declared UTF-8 when the bytes are not UTF-8, and a declared VNI on Windows-1258 text', () => {
    expect(detectVietnameseEncoding(fixtureLines('vni').slice(0, 10), 'utf-8')).to.deep.include({
      encoding: 'vni',
      declaredOverridden: true,
    });
    expect(detectVietnameseEncoding(fixtureLines('windows-1258').slice(0, 10), 'vni')).to.deep.include({
      encoding: 'windows-1258',
      declaredOverridden: true,
    });
  });

  it('answers the declared encoding (or UTF-8) with confidence 1 when every candidate reads the samples alike', () => {
    const ascii = [latin1('Xa Tan Dinh'), latin1('KCN Quang Chau'), latin1('')];
    expect(detectVietnameseEncoding(ascii)).to.deep.include({ encoding: 'utf-8', confidence: 1 });
    expect(detectVietnameseEncoding(ascii, 'tcvn3')).to.deep.include({
      encoding: 'tcvn3',
      confidence: 1,
      declaredOverridden: false,
    });
    expect(detectVietnameseEncoding([])).to.deep.include({ encoding: 'utf-8', confidence: 1 });
  });

  it('does not throw on random bytes and reports low confidence for them', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff;
    const samples = Array.from({ length: 20 }, () => Uint8Array.from({ length: 30 }, random));
    const d = detectVietnameseEncoding(samples);
    expect(d.alternatives).to.have.length(5);
    expect(d.confidence).to.be.below(0.5);
  });

  it('gives an example decoding per candidate for the job report', () => {
    const d = detectVietnameseEncoding([encodeText('Lục Ngạn', 'vni')]);
    expect(d.alternatives.find((a) => a.encoding === 'vni')!.example).to.equal('Lục Ngạn');
    expect(d.alternatives.find((a) => a.encoding === 'windows-1252')!.example).to.equal('Luïc Ngaïn');
  });
});

describe('declared encodings', () => {
  it('reads .cpg files in the spellings found in the wild', () => {
    const cases: Array<[string, TextEncodingName | undefined]> = [
      ['1258', 'windows-1258'],
      ['CP1258', 'windows-1258'],
      ['Windows-1258\r\n', 'windows-1258'],
      ['ANSI 1258', 'windows-1258'],
      ['UTF-8', 'utf-8'],
      ['utf8', 'utf-8'],
      ['65001', 'utf-8'],
      ['\uFEFFUTF-8\n', 'utf-8'],
      ['TCVN3', 'tcvn3'],
      ['ABC', 'tcvn3'],
      ['TCVN 5712', 'tcvn3'],
      ['VN3', 'tcvn3'],
      ['VNI', 'vni'],
      ['VNI-Windows', 'vni'],
      ['1252', 'windows-1252'],
      ['ISO-8859-1', 'latin1'],
      ['LDID/88', 'windows-1252'],
      ['866', undefined],
      ['LDID/87', undefined],
      ['', undefined],
      ["1258'; DROP TABLE x", undefined],
    ];
    for (const [cpg, encoding] of cases) expect(encodingFromCpg(cpg), JSON.stringify(cpg)).to.equal(encoding);
  });

  it('maps DBF language driver ids to code pages, leaving "none" and "system ANSI" to detection', () => {
    expect(dbfCodePageFromLdid(0x00)).to.deep.equal({ codePage: null, encoding: null });
    expect(dbfCodePageFromLdid(0x57)).to.deep.equal({ codePage: null, encoding: null });
    expect(dbfCodePageFromLdid(0x03)).to.deep.equal({ codePage: 1252, encoding: 'windows-1252' });
    expect(dbfCodePageFromLdid(0x58)).to.deep.equal({ codePage: 1252, encoding: 'windows-1252' });
    expect(dbfCodePageFromLdid(0x26)).to.deep.equal({ codePage: 866, encoding: null });
    expect(dbfCodePageFromLdid(0xc9)).to.deep.equal({ codePage: 1251, encoding: null });
    expect(dbfCodePageFromLdid(0xff)).to.deep.equal({ codePage: null, encoding: null });
  });
});
