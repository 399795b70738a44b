/**
 * How Vietnamese a text looks: every word is checked against the syllable grammar (initial consonant, vowel
 * nucleus with its glide, final consonant, at most one tone, and only the acute or dot tone before c/ch/p/t).
 * A wrong decoding of legacy bytes yields symbols (TCVN3 read as Latin-1: 'B¾c'), vowel clusters no syllable has
 * (VNI read as TCVN3: 'Vieọt') or two tones in one word (CP1258 read as TCVN3): all of them count against it.
 */
import { VIETNAMESE_LETTERS, splitTone, type Tone } from './letters.ts';

const INITIAL = '(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?';
// Vowel groups that end in a glide (i, o, u, y) take no final consonant.
const OPEN = 'oai|oao|oay|oeo|uây|uôi|uya|uyu|ươi|ươu|iêu|yêu|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu';
// Vowel groups that need a final consonant.
const CLOSED = 'uyê|iê|yê|uô|ươ|oă|uâ|ă|â';
const EITHER = 'oa|oe|oo|uê|uơ|uy|a|e|ê|i|o|ô|ơ|u|ư|y';
const FINAL = '(?:ch|ng|nh|c|m|n|p|t)';
const SYLLABLE = new RegExp(`^${INITIAL}(?:(?:${OPEN})|(?:${CLOSED})${FINAL}|(?:${EITHER})${FINAL}?)$`);
const STOP_FINAL = /(?:c|ch|p|t)$/;

/** True when `word` (any case, NFC or NFD) is a well-formed Vietnamese syllable. */
export function isVietnameseSyllable(word: string): boolean {
  let tone: Tone | undefined;
  let toneless = '';
  for (const ch of word.normalize('NFC').toLowerCase()) {
    const [base, t] = splitTone(ch);
    if (t) {
      if (tone) return false;
      tone = t;
    }
    toneless += base;
  }
  if (!SYLLABLE.test(toneless)) return false;
  // A syllable closed by a stop (c, ch, p, t) only takes the acute or the dot-below tone.
  return !(STOP_FINAL.test(toneless) && tone !== undefined && tone !== 'acute' && tone !== 'dot');
}

/** Word and character counts of a text judged as Vietnamese. */
export interface VietnameseTextScore {
  /** Words with Vietnamese-only letters (tones, ă â đ ê ô ơ ư) that are valid syllables: strong evidence. */
  readonly validMarked: number;
  /** Plain-ASCII words that are valid syllables ('Giang', 'Ninh'). */
  readonly validPlain: number;
  /** Words with Vietnamese-only letters that no syllable can be: evidence of a wrong decoding. */
  readonly invalidMarked: number;
  /** Plain-ASCII words that are not syllables (abbreviations, foreign words): no evidence either way. */
  readonly foreign: number;
  /** Characters that are neither Vietnamese letters, digits, ASCII punctuation nor spacing (mojibake, controls, U+FFFD). */
  readonly impossible: number;
  /** All words. */
  readonly words: number;
  /** (2 validMarked + 0.5 validPlain - 2 invalidMarked - 3 impossible) / max(1, words): higher is more Vietnamese. */
  readonly score: number;
}

const SEPARATOR = /[\s\d!-/:-@[-`{-~\u00a0\u2013\u2014\u2018\u2019\u201c\u201d\u2026]+/u;
const PLAIN = /^[a-z]+$/i;

/** Scores how plausibly a text is Vietnamese (see VietnameseTextScore). */
export function scoreVietnameseText(text: string): VietnameseTextScore {
  let validMarked = 0;
  let validPlain = 0;
  let invalidMarked = 0;
  let foreign = 0;
  let impossible = 0;
  let words = 0;
  for (const word of text.normalize('NFC').split(SEPARATOR)) {
    if (!word) continue;
    words++;
    const odd = [...word].filter((c) => !VIETNAMESE_LETTERS.has(c)).length;
    if (odd > 0) {
      impossible += odd;
      continue;
    }
    const valid = isVietnameseSyllable(word);
    if (PLAIN.test(word)) {
      if (valid) validPlain++;
      else foreign++;
    } else if (valid) validMarked++;
    else invalidMarked++;
  }
  const score = (2 * validMarked + 0.5 * validPlain - 2 * invalidMarked - 3 * impossible) / Math.max(1, words);
  return { validMarked, validPlain, invalidMarked, foreign, impossible, words, score };
}
