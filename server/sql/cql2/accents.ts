/**
 * ACCENTI without the unaccent extension (embedded PGlite has none): a `translate(text, from, to)` table that
 * maps every precomposed Latin letter with diacritics (Latin-1, Latin Extended-A/B, Latin Extended Additional,
 * which holds Vietnamese: ắ ằ ẳ ẵ ặ ...) to its base letter, plus đ/Đ, which Unicode does not decompose.
 * The input is NFC-normalised first in SQL, so decomposed text (a + U+0306 + U+0301) is covered too.
 */

function buildTable(): { from: string; to: string } {
  let from = 'đĐ';
  let to = 'dD';
  const ranges: Array<[number, number]> = [
    [0x00c0, 0x024f],
    [0x1e00, 0x1eff],
  ];
  for (const [lo, hi] of ranges) {
    for (let cp = lo; cp <= hi; cp++) {
      const ch = String.fromCodePoint(cp);
      const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
      if (base.length === 1 && base !== ch && /[A-Za-z]/.test(base)) {
        from += ch;
        to += base;
      }
    }
  }
  return { from, to };
}

/** The `from` and `to` arguments of `translate()` that strip accents; bound as values, never spliced into SQL. */
export const accentTable: { readonly from: string; readonly to: string } = buildTable();
