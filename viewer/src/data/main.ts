/**
 * The open-data portal page (/viewer/data.html): browse the records catalog by category and theme, search it, and
 * open a dataset with its metadata, a preview map, downloads per format and CRS, the API links and the licence.
 * A client of the public API like the viewer; every value reaches the page as text (textContent), never as HTML.
 */
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import './data.css';
import { t, type Lang, type TextKey } from './texts.ts';

interface Link { href: string; rel: string; type?: string; title?: string }
interface Concept { id: string; title?: string; title_en?: string }
interface DatasetRecord {
  id: string;
  geometry: GeoJSON.Polygon | null;
  time: { interval: [string, string] } | null;
  properties: {
    title: string; title_en: string; description: string; description_en: string; keywords: string[];
    themes: Array<{ concepts: Concept[]; scheme: string }>; license: string; rights: string; created: string | null; updated: string;
    version: string | null; updateFrequency: string | null; lineage: string | null; resolution: { scaleDenominator?: number; metres?: number } | null;
    contacts: Array<{ organization: string; emails?: Array<{ value: string }>; roles: string[] }>;
  };
  links: Link[];
}
interface Category { id: string; label: { vi: string; en: string } }

/** Output CRSs offered on the page: WGS 84 and the VN-2000 systems used in the province. */
const crsChoices: Array<{ code: string; label: string }> = [
  { code: '', label: 'WGS 84 (EPSG:4326)' },
  { code: 'EPSG:9209', label: 'VN-2000 / TM-3 105°30′ (EPSG:9209, Bắc Ninh)' },
  { code: 'EPSG:9214', label: 'VN-2000 / TM-3 107°00′ (EPSG:9214, Bắc Giang)' },
  { code: 'EPSG:3405', label: 'VN-2000 / UTM 48N (EPSG:3405)' },
  { code: 'EPSG:4756', label: 'VN-2000 (EPSG:4756)' },
];

const api = new URL('../', window.location.href);
let lang: Lang = new URLSearchParams(window.location.search).get('lang') === 'en' ? 'en' : 'vi';
let categories: Category[] = [];
let records: DatasetRecord[] = [];
let current: DatasetRecord | null = null;
let map: L.Map | null = null;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attrs: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(new URL(path, api));
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function applyTexts(): void {
  document.documentElement.lang = lang;
  document.title = t('pageTitle', lang);
  for (const node of document.querySelectorAll<HTMLElement>('[data-t]')) node.textContent = t(node.dataset.t as TextKey, lang);
  $('lang').textContent = lang === 'vi' ? 'English' : 'Tiếng Việt';
}

function fillSelect(select: HTMLSelectElement, options: Array<[string, string]>): void {
  const keep = select.value;
  select.replaceChildren(...options.map(([value, label]) => el('option', label, { value })));
  select.value = options.some(([v]) => v === keep) ? keep : '';
}

function fillFilters(): void {
  fillSelect($('category'), [['', t('all', lang)], ...categories.map((c): [string, string] => [c.id, c.label[lang]])]);
  const topics = [...new Set(records.flatMap((r) => r.properties.themes[0]?.concepts.map((c) => c.id) ?? []))].sort();
  fillSelect($('theme'), [['', t('all', lang)], ...topics.map((id): [string, string] => [id, id])]);
}

async function search(): Promise<void> {
  const query = new URLSearchParams({ limit: '1000' });
  const q = $<HTMLInputElement>('q').value.trim();
  if (q) query.set('q', q);
  const themes = [$<HTMLSelectElement>('category').value, $<HTMLSelectElement>('theme').value].filter(Boolean);
  // Records match any listed theme; a category and a topic together are applied one after the other.
  if (themes[0]) query.set('themes', themes[0]);
  const page = await getJson<{ features: DatasetRecord[] }>(`collections/opendata-catalog/items?${query}`);
  const hasTheme = (r: DatasetRecord, id: string) => r.properties.themes.some((s) => s.concepts.some((c) => c.id === id));
  const list = themes[1] ? page.features.filter((r) => hasTheme(r, themes[1])) : page.features;
  showList(list);
}

function titleOf(r: DatasetRecord): string {
  return lang === 'vi' ? r.properties.title : r.properties.title_en;
}

function showList(list: DatasetRecord[]): void {
  $('count').textContent = `${list.length} ${t('found', lang)}`;
  $('datasets').replaceChildren(
    ...list.map((r) => {
      const li = el('li');
      const button = el('button', titleOf(r), { type: 'button', 'data-id': r.id });
      button.addEventListener('click', () => void openDataset(r.id));
      li.append(button, el('small', (lang === 'vi' ? r.properties.description : r.properties.description_en).slice(0, 160)));
      return li;
    }),
  );
}

function downloadHref(r: DatasetRecord, format: string, crs: string): string {
  const u = new URL(`collections/${encodeURIComponent(r.id)}/download`, api);
  u.searchParams.set('format', format);
  if (crs) u.searchParams.set('crs', crs);
  return u.href;
}

function showDownloads(r: DatasetRecord): void {
  const crs = $<HTMLSelectElement>('crs').value;
  const formats = r.links.filter((l) => l.rel === 'enclosure').map((l) => new URL(l.href).searchParams.get('format') ?? '');
  $('ds-downloads').replaceChildren(
    ...formats.map((f) => {
      const title = r.links.find((l) => l.rel === 'enclosure' && l.href.includes(`format=${f}`))?.title?.replace(/^download: /, '') ?? f;
      if (f === 'kml' && crs) return el('span', `${title}: ${t('wgs84only', lang)}`, { class: 'disabled' });
      return el('a', title, { href: downloadHref(r, f, crs), download: '', 'data-format': f, class: 'button' });
    }),
  );
}

function resolutionText(res: DatasetRecord['properties']['resolution']): string {
  if (!res) return '';
  const scale = res.scaleDenominator ? `1:${res.scaleDenominator.toLocaleString(lang)}` : '';
  return [scale, res.metres ? `${res.metres} m` : ''].filter(Boolean).join(', ');
}

function metadataRows(r: DatasetRecord): Array<[TextKey, string]> {
  const p = r.properties;
  const themes = p.themes.flatMap((s) => s.concepts.map((c) => (lang === 'en' ? c.title_en : c.title) ?? c.id));
  const contact = p.contacts.find((c) => c.roles.includes('pointOfContact'));
  const publisher = p.contacts.find((c) => c.roles.includes('publisher'));
  const b = r.geometry?.coordinates[0];
  const res = p.resolution;
  return [
    ['themes', themes.join(', ')],
    ['keywords', p.keywords.join(', ')],
    ['publisher', publisher?.organization ?? ''],
    ['contact', contact ? `${contact.organization} <${contact.emails?.[0]?.value ?? ''}>` : ''],
    ['licence', p.license],
    ['rights', p.rights],
    ['frequency', p.updateFrequency ?? ''],
    ['lineage', p.lineage ?? ''],
    ['temporal', r.time ? r.time.interval.join(' – ') : ''],
    ['spatial', b ? `${b[0][0].toFixed(4)}, ${b[0][1].toFixed(4)} – ${b[2][0].toFixed(4)}, ${b[2][1].toFixed(4)}` : ''],
    ['resolution', resolutionText(res)],
    ['created', p.created ?? ''],
    ['updated', p.updated.slice(0, 10)],
    ['version', p.version ?? ''],
  ];
}

async function showPreview(r: DatasetRecord): Promise<void> {
  map?.remove();
  map = L.map($('preview'), { attributionControl: false });
  const b = r.geometry?.coordinates[0];
  map.fitBounds(b ? [[b[0][1], b[0][0]], [b[2][1], b[2][0]]] : [[20.9, 105.9], [21.6, 107.0]]);
  // No base map: the page works offline. The first 500 features show the shape of the data.
  const items = await getJson<GeoJSON.FeatureCollection>(`collections/${encodeURIComponent(r.id)}/items?limit=500`);
  const style = { color: '#2b6cb0', weight: 1, fillOpacity: 0.3 };
  L.geoJSON(items, { style, pointToLayer: (_f, ll) => L.circleMarker(ll, { radius: 3 }) }).addTo(map);
}

async function openDataset(id: string): Promise<void> {
  const r = await getJson<DatasetRecord>(`collections/opendata-catalog/items/${encodeURIComponent(id)}`);
  current = r;
  $('dataset').hidden = false;
  $('ds-title').textContent = titleOf(r);
  $('ds-abstract').textContent = lang === 'vi' ? r.properties.description : r.properties.description_en;
  $('ds-metadata').replaceChildren(...metadataRows(r).flatMap(([k, v]) => [el('dt', t(k, lang)), el('dd', v)]));
  const licence = r.links.find((l) => l.rel === 'license');
  const apiLinks: Array<[string, string]> = [
    ['OGC API - Features', new URL(`collections/${encodeURIComponent(r.id)}/items`, api).href],
    ['TileJSON', r.links.find((l) => l.rel === 'tilejson')?.href ?? ''],
    ['OGC API - Records', r.links.find((l) => l.rel === 'self')?.href ?? ''],
    ['DCAT (JSON-LD)', new URL('catalog.jsonld', api).href],
    ...(licence ? [[`${t('licence', lang)}: ${licence.title ?? ''}`, licence.href] as [string, string]] : []),
  ];
  $('ds-apis').replaceChildren(...apiLinks.map(([label, href]) => {
    const li = el('li');
    li.append(el('a', label, { href }));
    return li;
  }));
  showDownloads(r);
  const url = new URL(window.location.href);
  url.searchParams.set('dataset', r.id);
  window.history.replaceState(null, '', url);
  await showPreview(r);
}

async function start(): Promise<void> {
  applyTexts();
  fillSelect($('crs'), crsChoices.map((c): [string, string] => [c.code, c.label]));
  try {
    categories = (await getJson<{ categories: Category[] }>('opendata/categories')).categories;
    records = (await getJson<{ features: DatasetRecord[] }>('collections/opendata-catalog/items?limit=1000')).features;
  } catch (err) {
    $('count').textContent = `${t('failed', lang)}: ${(err as Error).message}`;
    return;
  }
  fillFilters();
  showList(records);
  $('search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void search();
  });
  $('crs').addEventListener('change', () => current && showDownloads(current));
  $('lang').addEventListener('click', () => {
    lang = lang === 'vi' ? 'en' : 'vi';
    applyTexts();
    fillFilters();
    void search();
    if (current) void openDataset(current.id);
  });
  const wanted = new URLSearchParams(window.location.search).get('dataset');
  if (wanted) await openDataset(wanted);
}

void start();
