/**
 * The Vietnamese alphabet in Unicode: five tones as combining marks, the vowels that carry them, and helpers
 * to split a letter into base (with its circumflex, breve or horn) and tone. Shared by the legacy codecs.
 */

/** The five marked tones, as the combining marks NFD uses (the level tone has no mark). */
export const TONE_MARKS = {
  grave: '\u0300',
  hook: '\u0309',
  tilde: '\u0303',
  acute: '\u0301',
  dot: '\u0323',
} as const;

/** A marked tone. */
export type Tone = keyof typeof TONE_MARKS;

/** The tones in the order the TCVN3 table lists them (grave, hook, tilde, acute, dot below). */
export const TONES: readonly Tone[] = ['grave', 'hook', 'tilde', 'acute', 'dot'];

/** The twelve lower-case vowels without tone. */
export const VOWELS: readonly string[] = ['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'];

const TONE_BY_MARK = new Map<string, Tone>(Object.entries(TONE_MARKS).map(([k, v]) => [v, k as Tone]));

/** The NFC letter of a toneless vowel with a tone ('ê', 'acute' -> 'ế'). */
export function withTone(vowel: string, tone: Tone): string {
  return (vowel.normalize('NFD') + TONE_MARKS[tone]).normalize('NFC');
}

/** Splits one letter into its toneless NFC base and its tone ('ấ' -> ['â', 'acute']; 'b' -> ['b', undefined]). */
export function splitTone(letter: string): [string, Tone | undefined] {
  let tone: Tone | undefined;
  let base = '';
  for (const ch of letter.normalize('NFD')) {
    const t = TONE_BY_MARK.get(ch);
    if (t) tone = t;
    else base += ch;
  }
  return [base.normalize('NFC'), tone];
}

/** Every Vietnamese letter, lower and upper case, NFC: a-z, đ, and the twelve vowels with each tone. */
export const VIETNAMESE_LETTERS: ReadonlySet<string> = (() => {
  const set = new Set<string>();
  for (const c of 'abcdefghijklmnopqrstuvwxyzđăâêôơư') set.add(c);
  for (const v of VOWELS) for (const t of TONES) set.add(withTone(v, t));
  for (const c of [...set]) set.add(c.toUpperCase());
  return set;
})();
