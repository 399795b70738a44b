/**
 * Layer attributions for Leaflet's attribution control, which writes its text as HTML: the catalog's attribution is
 * untrusted text (an editor typed it), so it is escaped here, and only http(s) URLs in it become links, built by us.
 * Pure string functions (no DOM), so the server's tests can check them too.
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The URL when `text` is an absolute http(s) URL, else null (`javascript:`, `data:` and the like are never links). */
export function httpUrl(text: string): URL | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
}

/**
 * The HTML Leaflet may show for an attribution: the text escaped, each http(s) URL in it a link that opens apart
 * (`rel="noopener noreferrer"`), trailing punctuation left outside the link.
 */
export function attributionHtml(text: string): string {
  const parts: string[] = [];
  let last = 0;
  for (const m of text.matchAll(/https?:\/\/[^\s<>"']+/gi)) {
    const raw = m[0].replace(/[.,;:!?)\]]+$/, '');
    const url = httpUrl(raw);
    if (!url) continue;
    parts.push(escapeHtml(text.slice(last, m.index)));
    parts.push(`<a href="${escapeHtml(url.href)}" target="_blank" rel="noopener noreferrer">${escapeHtml(raw)}</a>`);
    last = m.index + raw.length;
  }
  parts.push(escapeHtml(text.slice(last)));
  return parts.join('');
}
