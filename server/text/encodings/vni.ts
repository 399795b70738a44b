/**
 * VNI-Windows (the VNI fonts' encoding): a vowel is an ASCII base letter followed by one mark byte that carries the
 * circumflex/breve and the tone together ('ấ' = 'a' + 0xE1); ơ, ư, đ and the i/ỵ forms are single bytes. Upper-case
 * letters use the upper-case Latin-1 form of the same mark ('Ấ' = 'A' + 0xC1).
 */
import { TONES, type Tone } from './letters.ts';
import { UnencodableCharacterError } from './errors.ts';

// Mark bytes (lower-case forms; the upper-case letter uses toUpperCase() of the same Latin-1 character).
const TONE: Record<Tone, string> = { grave: 'ø', hook: 'û', tilde: 'õ', acute: 'ù', dot: 'ï' };
const CIRCUMFLEX_TONE: Record<Tone, string> = { grave: 'à', hook: 'å', tilde: 'ã', acute: 'á', dot: 'ä' };
const BREVE_TONE: Record<Tone, string> = { grave: 'è', hook: 'ú', tilde: 'ü', acute: 'é', dot: 'ë' };
const CIRCUMFLEX = 'â';
const BREVE = 'ê';
const SINGLE: ReadonlyArray<[string, string]> = [
  ['ơ', 'ô'],
  ['ư', 'ö'],
  ['đ', 'ñ'],
  ['í', 'í'],
  ['ì', 'ì'],
  ['ỉ', 'æ'],
  ['ĩ', 'ó'],
  ['ị', 'ò'],
  ['ỵ', 'î'],
];

const compose = (s: string) => s.normalize('NFC');
const TONE_COMBINING: Record<Tone, string> = { grave: '\u0300', hook: '\u0309', tilde: '\u0303', acute: '\u0301', dot: '\u0323' };

/** Lower-case Vietnamese letter -> its VNI characters (each a Latin-1 code unit). */
const LOWER: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>(SINGLE);
  for (const base of ['a', 'e', 'o', 'u', 'y']) {
    for (const t of TONES) if (!(base === 'y' && t === 'dot')) m.set(compose(base + TONE_COMBINING[t]), base + TONE[t]);
  }
  for (const base of ['a', 'e', 'o']) {
    m.set(compose(base + '\u0302'), base + CIRCUMFLEX);
    for (const t of TONES) m.set(compose(base + '\u0302' + TONE_COMBINING[t]), base + CIRCUMFLEX_TONE[t]);
  }
  m.set('ă', 'a' + BREVE);
  for (const t of TONES) m.set(compose('a\u0306' + TONE_COMBINING[t]), 'a' + BREVE_TONE[t]);
  for (const [letter, byte] of [
    ['ơ', 'ô'],
    ['ư', 'ö'],
  ]) {
    for (const t of TONES) m.set(compose(letter + TONE_COMBINING[t]), byte + TONE[t]);
  }
  return m;
})();

/** Every Vietnamese letter, both cases, -> VNI characters. */
const ENCODE: ReadonlyMap<string, string> = new Map(
  [...LOWER].flatMap(
    ([l, v]) =>
      [
        [l, v],
        [l.toUpperCase(), v.toUpperCase()],
      ] as Array<[string, string]>,
  ),
);

// VNI characters -> letter; a base letter with a mark of the other case is read by the base's case (converters mix them).
const DECODE: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [letter, v] of LOWER) {
    m.set(v, letter);
    m.set(v.toUpperCase(), letter.toUpperCase());
    if (v.length === 2) {
      m.set(v[0] + v[1].toUpperCase(), letter);
      m.set(v[0].toUpperCase() + v[1], letter.toUpperCase());
    }
  }
  return m;
})();

/** Decodes VNI-Windows bytes to NFC text. */
export function decodeVni(bytes: Uint8Array): string {
  const s = String.fromCharCode(...bytes);
  let out = '';
  for (let i = 0; i < s.length;) {
    const pair = DECODE.get(s.slice(i, i + 2));
    if (pair && i + 1 < s.length) {
      out += pair;
      i += 2;
      continue;
    }
    out += DECODE.get(s[i]) ?? s[i];
    i += 1;
  }
  return out.normalize('NFC');
}

/** Encodes NFC text as VNI-Windows; throws UnencodableCharacterError for characters VNI cannot write. */
export function encodeVni(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text.normalize('NFC')) {
    const v = ENCODE.get(ch) ?? (ch.charCodeAt(0) < 0x80 ? ch : undefined);
    if (v === undefined) throw new UnencodableCharacterError(ch, 'vni');
    for (const c of v) out.push(c.charCodeAt(0));
  }
  return Uint8Array.from(out);
}
