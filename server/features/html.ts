/**
 * HTML pages of the OGC API for people with a browser: landing page, collections, one collection, features.
 * Plain server-rendered HTML without script; every value from the data is escaped, and only http(s) or relative
 * URLs become links. The pages' one inline style is allowed by its hash in the Content-Security-Policy
 * (server/http/security-headers.ts), so `style-src` needs no 'unsafe-inline'.
 */
import { createHash } from 'node:crypto';
import type { Layer } from '../catalog/catalog.ts';
import type { Link } from './links.ts';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** A URL fit for an href: absolute http(s), or relative to this server; anything else (`javascript:`, `data:`) is '#'. */
export function safeHref(href: string): string {
  // `//host` and `/\host` are other hosts to a browser, not paths of this server.
  if (/^\/(?![/\\])/.test(href)) return href;
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : '#';
  } catch {
    return '#';
  }
}

/** The stylesheet of every page, inline (no extra request). */
const pageStyle =
  'body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse}' +
  'td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}code{background:#f4f4f4}';

/** The CSP source that allows the pages' inline stylesheet and nothing else inline: `'sha256-…'`. */
export const pageStyleSource = `'sha256-${createHash('sha256').update(pageStyle).digest('base64')}'`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${pageStyle}</style>
</head><body>
<nav><a href="/">Home</a> · <a href="/collections?f=html">Collections</a> · <a href="/viewer/">Map viewer</a> · <a href="/api">API (OpenAPI)</a></nav>
${body}
</body></html>`;
}

function linkList(links: readonly Link[]): string {
  const item = (l: Link) =>
    `<li><a href="${escapeHtml(safeHref(l.href))}">${escapeHtml(l.title ?? l.rel)}</a> ` +
    `<small>(${escapeHtml(l.rel)}${l.type ? `, ${escapeHtml(l.type)}` : ''})</small></li>`;
  return `<ul>${links.map(item).join('')}</ul>`;
}

/** The landing page: what this service is, the viewer, and the API links. */
export function landingHtml(title: string, description: string, links: readonly Link[]): string {
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(description)}</p>
<p><a href="/viewer/"><strong>Open the map viewer</strong></a></p>
<h2>Links</h2>${linkList(links)}`,
  );
}

/** The list of collections. */
export function collectionsHtml(layers: readonly Layer[]): string {
  const rows = layers
    .map(
      (l) =>
        `<tr><td><a href="/collections/${encodeURIComponent(l.id)}?f=html">${escapeHtml(l.id)}</a></td>` +
        `<td>${escapeHtml(l.title)}</td><td>${escapeHtml(l.titleVi)}</td><td>${escapeHtml(l.geometryType)}</td></tr>`,
    )
    .join('');
  return page(
    'Collections',
    `<h1>Collections</h1><table><tr><th>id</th><th>title</th><th>tên</th><th>geometry</th></tr>${rows}</table>`,
  );
}

/** One collection: description, extent, properties, links. */
export function collectionHtml(layer: Layer, links: readonly Link[]): string {
  const props = layer.columns
    .map(
      (c) =>
        `<tr><td><code>${escapeHtml(c.name)}</code></td><td>${escapeHtml(c.type)}</td>` +
        `<td>${escapeHtml(c.label.en)}</td><td>${escapeHtml(c.label.vi)}</td></tr>`,
    )
    .join('');
  return page(
    layer.title,
    `<h1>${escapeHtml(layer.title)}</h1><p>${escapeHtml(layer.titleVi)}</p><p>${escapeHtml(layer.description)}</p>
<dl><dt>Attribution</dt><dd>${escapeHtml(layer.attribution)}</dd><dt>Licence</dt><dd>${escapeHtml(layer.licence)}</dd>
<dt>Keywords</dt><dd>${layer.keywords.map(escapeHtml).join(', ')}</dd></dl>
<p>Extent (CRS84): ${escapeHtml(layer.bounds ? layer.bounds.join(', ') : 'empty')}</p>
<p><a href="/collections/${encodeURIComponent(layer.id)}/items?f=html">Browse features</a> ·
<a href="/viewer/#${encodeURIComponent(layer.id)}">Show on the map</a></p>
<h2>Properties</h2><table><tr><th>name</th><th>type</th><th>label</th><th>nhãn</th></tr>${props}</table>
<h2>Links</h2>${linkList(links)}`,
  );
}

interface HtmlFeature {
  id: number | string;
  geometry: { type: string } | null;
  properties: Record<string, unknown>;
}

/** A page of features as a table, with the paging links. */
export function itemsHtml(
  layer: Layer,
  columns: readonly string[],
  features: readonly HtmlFeature[],
  matched: number,
  links: readonly Link[],
): string {
  const head = ['id', ...columns, 'geometry'].map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const rows = features
    .map(
      (f) =>
        `<tr><td><a href="/collections/${encodeURIComponent(layer.id)}/items/${encodeURIComponent(f.id)}?f=html">${escapeHtml(f.id)}</a></td>` +
        `${columns.map((c) => `<td>${escapeHtml(f.properties[c])}</td>`).join('')}<td>${escapeHtml(f.geometry?.type ?? '')}</td></tr>`,
    )
    .join('');
  return page(
    `${layer.title}: features`,
    `<h1>${escapeHtml(layer.title)}</h1><p>${escapeHtml(features.length)} of ${escapeHtml(matched)} features</p>
<table><tr>${head}</tr>${rows}</table>${linkList(links)}`,
  );
}

/** One feature: its properties and geometry type. */
export function itemHtml(layer: Layer, feature: HtmlFeature): string {
  const rows = Object.entries(feature.properties)
    .map(([k, v]) => `<tr><th>${escapeHtml(layer.column(k)?.label.en ?? k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('');
  return page(
    `${layer.title} ${feature.id}`,
    `<h1>${escapeHtml(layer.title)}: ${escapeHtml(feature.id)}</h1>
<table>${rows}<tr><th>geometry</th><td>${escapeHtml(feature.geometry?.type ?? '')}</td></tr></table>
<p><a href="/collections/${encodeURIComponent(layer.id)}/items?f=html">All features</a></p>`,
  );
}
