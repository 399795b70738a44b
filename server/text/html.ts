/**
 * HTML as text: what an HTML description (KML balloons, as Google Earth and QGIS write them) says, without its
 * markup. The result is plain text for a viewer that shows values as text: nothing of it is markup any more.
 */

/**
 * The HTML elements we recognise as markup. Text such as "a <b> c" is HTML, but "nhà <số 5>" or "x < y" is not:
 * only these names (and comments) are taken for tags, everything else stays as written.
 */
const TAGS = [
  'a|abbr|b|big|blockquote|body|br|caption|center|code|col|colgroup|dd|div|dl|dt|em|font|h[1-6]|head|hr|html|i|iframe|img',
  'li|link|meta|ol|p|pre|s|script|small|span|strike|strong|style|sub|sup|table|tbody|td|tfoot|th|thead|title|tr|u|ul',
].join('|');
const TAG = new RegExp(`</?(?:${TAGS})(?:\\s[^>]*)?/?>`, 'gi');

/** True when a text holds HTML markup (a known tag or a comment), not just text. */
export function looksLikeHtml(text: string): boolean {
  TAG.lastIndex = 0;
  return TAG.test(text) || text.includes('<!--');
}

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  copy: '©',
  deg: '°',
};

/** Decodes numeric and the common named character references; unknown names are left as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/**
 * The text content of an HTML fragment: scripts, styles and comments dropped; line breaks, paragraphs, list items
 * and table rows stand on lines of their own; table cells are separated by a space; other tags dropped; entities decoded; spaces
 * collapsed within lines and empty lines removed.
 */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<br\b[^>]*>/gi, '\n')
    .replace(/<\/?(p|div|tr|li|h[1-6]|table|ul|ol|dt|dd|blockquote|pre)\b[^>]*>/gi, '\n')
    .replace(/<\/(td|th)\s*>/gi, ' ')
    .replace(TAG, '');
  return decodeEntities(text)
    .split('\n')
    .map((line) => line.replace(/[\s\u00a0]+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}
