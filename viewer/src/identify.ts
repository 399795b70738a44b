/**
 * Click on the map: a popup with the properties of every visible layer's features at that point
 * (GET /query/identify), labelled from the catalog in the current language, categorical values named.
 */
import L from 'leaflet';
import type { Feature } from 'geojson';
import { identify, type ViewerLayer } from './api.ts';
import { h } from './dom.ts';
import { currentLang, formatNumber, pick, t } from './i18n.ts';
import { layerTitle } from './layers.ts';
import { categoryText } from './vector-layer.ts';
import { legendEntryOf, type Legend, type LayerLook } from './map-style.ts';

/** How far from the click (in screen pixels) a feature still counts as clicked. */
const tolerancePx = 6;

function formatValue(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? formatNumber(v) : formatNumber(v, 2);
  if (typeof v === 'boolean') return v ? '✓' : '✗';
  return String(v);
}

/**
 * True for a column that holds the other language's version of a value the feature also has in the current one
 * (`name_en` while reading Vietnamese, when `name_vi` is there too): the popup shows one language at a time.
 */
function otherLanguage(column: string, props: Record<string, unknown>): boolean {
  const m = /^(.*)_(vi|en)$/.exec(column);
  if (!m || m[2] === currentLang()) return false;
  return `${m[1]}_${currentLang()}` in props;
}

/** The properties table of one feature: catalog columns in catalog order, with labels and the legend's category names. */
export function featureTable(info: ViewerLayer | undefined, f: Feature, legend?: Legend | null): HTMLElement {
  const props = f.properties ?? {};
  const columns = info?.columns.length
    ? info.columns
    : Object.keys(props).map((name) => ({ name, label: { en: name, vi: name } }));
  const rows = columns
    .filter((c) => c.name in props && !otherLanguage(c.name, props))
    .map((c) => {
      const raw = props[c.name];
      let value = formatValue(raw);
      const cat = legendEntryOf(legend, c.name, raw);
      if (cat?.value != null) value = categoryText(cat.value, pick(cat.label ?? undefined));
      return h('tr', { 'data-column': c.name }, h('th', { scope: 'row' }, pick(c.label, c.name)), h('td', {}, value));
    });
  return h('table', { class: 'props' }, h('tbody', {}, rows));
}

/**
 * Sort key of a clicked layer, most specific first: thematic layers (what planners click for) before the base map,
 * then layers shown from a higher zoom first (a commune before its district and province), then draw order.
 */
function specificity(layers: ViewerLayer[], info: ViewerLayer | undefined): number {
  if (!info) return 1e6;
  return (info.group === 'basemap' ? 1e4 : 0) + (30 - info.minzoom) * 100 + layers.indexOf(info);
}

/**
 * Answers map clicks with an identify popup, unless `busy()` says a drawing tool has the click. `lookOf` gives a
 * layer's look in the published style, whose legend names the categories.
 */
export function enableIdentify(
  map: L.Map,
  visibleLayers: () => ViewerLayer[],
  busy: () => boolean,
  lookOf: (id: string) => LayerLook | undefined,
): void {
  let controller: AbortController | null = null;
  map.on('click', async (ev: L.LeafletMouseEvent) => {
    if (busy()) return;
    const layers = visibleLayers().filter((l) => map.getZoom() >= l.minzoom);
    if (!layers.length) return;
    controller?.abort();
    controller = new AbortController();
    const content = h('div', { class: 'identify', 'aria-live': 'polite' }, h('p', {}, t('loading')));
    const popup = L.popup({ maxWidth: 360, maxHeight: 320, autoPanPadding: [20, 20] })
      .setLatLng(ev.latlng)
      .setContent(content)
      .openOn(map);
    // Metres per screen pixel at this latitude and zoom (Web Mercator).
    const metresPerPx = (40075016.686 * Math.cos((ev.latlng.lat * Math.PI) / 180)) / 2 ** (map.getZoom() + 8);
    try {
      const found = await identify(
        ev.latlng.lng,
        ev.latlng.lat,
        layers.map((l) => l.id),
        tolerancePx * metresPerPx,
        controller.signal,
      );
      const byId = new Map(layers.map((l) => [l.id, l]));
      const sections = found
        .filter((g) => g.features.length)
        .sort((a, b) => specificity(layers, byId.get(a.layer)) - specificity(layers, byId.get(b.layer)))
        .map((g, k) => {
          const info = byId.get(g.layer);
          const title = info ? layerTitle(info) : g.layer;
          // The most specific layer is open; the others are one click away instead of a long stacked list.
          return h(
            'section',
            { 'data-layer': g.layer },
            h(
              'details',
              { open: k === 0 },
              h('summary', {}, h('h4', {}, title, g.features.length > 1 ? ` (${formatNumber(g.features.length)})` : '')),
              g.features.slice(0, 5).map((f) => featureTable(info, f, lookOf(g.layer)?.legend)),
              g.features.length > 5 ? h('p', {}, `+ ${g.features.length - 5}`) : null,
            ),
          );
        });
      content.replaceChildren(...(sections.length ? sections : [h('p', {}, t('nothingHere'))]));
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      content.replaceChildren(h('p', { class: 'error', role: 'alert' }, `${t('identifyFailed')}: ${(err as Error).message}`));
    }
    popup.update();
  });
}
