/**
 * TCVN3 (ABC, TCVN 5712:1993 VN3): one byte per letter, lower-case letters with tones precomposed at 0xB5-0xFE,
 * seven upper-case base letters (Ă Â Đ Ê Ô Ơ Ư) at 0xA1-0xA7. Upper-case letters with a tone have no code: ABC
 * users type the lower-case code and switch to the upper-case font (.VnTimeH), so the case is lost in the bytes.
 * The decoder restores it for words written in capitals (see restoreCapitals).
 */
import { TONES, splitTone, withTone } from './letters.ts';
import { UnencodableCharacterError } from './errors.ts';

// Bytes of each vowel's tones in TONES order (grave, hook, tilde, acute, dot below).
const TONE_BYTES: ReadonlyArray<[string, number[]]> = [
  ['a', [0xb5, 0xb6, 0xb7, 0xb8, 0xb9]],
  ['ă', [0xbb, 0xbc, 0xbd, 0xbe, 0xc6]],
  ['â', [0xc7, 0xc8, 0xc9, 0xca, 0xcb]],
  ['e', [0xcc, 0xce, 0xcf, 0xd0, 0xd1]],
  ['ê', [0xd2, 0xd3, 0xd4, 0xd5, 0xd6]],
  ['i', [0xd7, 0xd8, 0xdc, 0xdd, 0xde]],
  ['o', [0xdf, 0xe1, 0xe2, 0xe3, 0xe4]],
  ['ô', [0xe5, 0xe6, 0xe7, 0xe8, 0xe9]],
  ['ơ', [0xea, 0xeb, 0xec, 0xed, 0xee]],
  ['u', [0xef, 0xf1, 0xf2, 0xf3, 0xf4]],
  ['ư', [0xf5, 0xf6, 0xf7, 0xf8, 0xf9]],
  ['y', [0xfa, 0xfb, 0xfc, 0xfd, 0xfe]],
];

const BASE_BYTES: ReadonlyArray<[string, number]> = [
  ['Ă', 0xa1],
  ['Â', 0xa2],
  ['Ê', 0xa3],
  ['Ô', 0xa4],
  ['Ơ', 0xa5],
  ['Ư', 0xa6],
  ['Đ', 0xa7],
  ['ă', 0xa8],
  ['â', 0xa9],
  ['ê', 0xaa],
  ['ô', 0xab],
  ['ơ', 0xac],
  ['ư', 0xad],
  ['đ', 0xae],
];

/** Byte -> letter for the TCVN3 codes; other bytes are ASCII or read as Latin-1. */
const DECODE: ReadonlyMap<number, string> = new Map([
  ...BASE_BYTES.map(([ch, b]) => [b, ch] as [number, string]),
  ...TONE_BYTES.flatMap(([v, bytes]) => bytes.map((b, i) => [b, withTone(v, TONES[i])] as [number, string])),
]);

const ENCODE: ReadonlyMap<string, number> = new Map([...DECODE].map(([b, ch]) => [ch, b]));

/** Decodes TCVN3 bytes to NFC text, restoring capitals in words written in capitals. */
export function decodeTcvn3(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += DECODE.get(b) ?? String.fromCharCode(b);
  return restoreCapitals(out).normalize('NFC');
}

/**
 * Encodes NFC text as TCVN3. Upper-case letters with a tone get the lower-case code, as ABC users type them;
 * throws UnencodableCharacterError for characters TCVN3 has no code for.
 */
export function encodeTcvn3(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0)!;
    const direct = ENCODE.get(ch);
    if (direct !== undefined) out.push(direct);
    else if (code < 0x80) out.push(code);
    else {
      const lower = ENCODE.get(ch.toLowerCase());
      const [base, tone] = splitTone(ch);
      if (lower === undefined || !tone || base === base.toLowerCase()) throw new UnencodableCharacterError(ch, 'tcvn3');
      out.push(lower);
    }
  }
  return Uint8Array.from(out);
}

// The lower-case letters TCVN3 has codes for: in the upper-case font the same codes are capitals.
const LOWER_CODED = new Set([...DECODE.values()].filter((c) => c !== c.toUpperCase()));

/**
 * TCVN3 cannot say whether a toned letter was upper case. A word whose ASCII letters (at least two) are all
 * capitals was written in capitals, so its TCVN3 letters are capitalised; words with fewer ASCII letters
 * ('Kỳ', 'Hồ') follow the text when every longer word in it is in capitals. Mixed case within a word is kept.
 */
function restoreCapitals(text: string): string {
  const words = text.split(/(\s+)/);
  const asciiLetters = (w: string) => w.replace(/[^A-Za-z]/g, '');
  const longer = words.map(asciiLetters).filter((l) => l.length >= 2);
  const textInCapitals = longer.length > 0 && longer.every((l) => l === l.toUpperCase());
  return words
    .map((w) => {
      const l = asciiLetters(w);
      const capitals = l.length >= 2 ? l === l.toUpperCase() : textInCapitals && l === l.toUpperCase();
      return capitals ? [...w].map((c) => (LOWER_CODED.has(c) ? c.toUpperCase() : c)).join('') : w;
    })
    .join('');
}
