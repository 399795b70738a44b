/**
 * Search keys for Vietnamese text: "Bắc Giang", "BAC GIANG" and "bac  giang" all become "bac giang",
 * so a user typing without diacritics finds names written with them.
 */

/** Combining marks left by NFD decomposition (tones and vowel marks: U+0300 to U+036F). */
const combiningMarks = /[\u0300-\u036f]/g;

/**
 * Lower-cases, removes diacritics (đ/Đ -> d, which NFD does not decompose), and collapses runs of
 * whitespace to one space, trimmed. `null`/`undefined` give ''.
 */
export function normalizeSearchText(s: string | null | undefined): string {
  if (!s) return '';
  return s.normalize('NFD').replace(combiningMarks, '').replace(/[đĐ]/g, 'd').toLowerCase().replace(/\s+/g, ' ').trim();
}
