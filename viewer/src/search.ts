/**
 * The search box: suggestions from GET /search as you type (the server ignores diacritics, so "bac giang" finds
 * "Bắc Giang"), an ARIA combobox driven by the arrow keys, Enter and Escape; choosing a result fits its bbox.
 */
import L from 'leaflet';
import { search, type SearchResult, type ViewerLayer } from './api.ts';
import { h } from './dom.ts';
import { onLangChange, t } from './i18n.ts';
import { layerTitle } from './layers.ts';

/** Wires the search box in `form` to the map. */
export function enableSearch(form: HTMLFormElement, map: L.Map, layers: () => ViewerLayer[]): void {
  const input = form.querySelector('input')!;
  const list = form.querySelector<HTMLUListElement>('[role="listbox"]')!;
  const label = form.querySelector('label')!;
  let results: SearchResult[] = [];
  let active = -1;
  let controller: AbortController | null = null;
  let timer = 0;
  let highlight: L.Layer | null = null;

  const texts = () => {
    input.placeholder = t('search');
    label.textContent = t('searchLabel');
  };
  texts();
  onLangChange(texts);

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };

  const choose = (r: SearchResult) => {
    close();
    input.value = r.fullName || r.name;
    const [x1, y1, x2, y2] = r.bbox;
    const bounds = L.latLngBounds([y1, x1], [y2, x2]);
    highlight?.remove();
    highlight = (
      x1 === x2 && y1 === y2
        ? L.circleMarker([y1, x1], { radius: 10, color: '#d9480f' })
        : L.rectangle(bounds, { color: '#d9480f', weight: 2, fill: false, dashArray: '6 4' })
    ).addTo(map);
    map.fitBounds(bounds, { maxZoom: 15, padding: [20, 20] });
  };

  const show = () => {
    const byId = new Map(layers().map((l) => [l.id, l]));
    list.replaceChildren(
      ...(results.length
        ? results.map((r, i) =>
            h(
              'li',
              {
                id: `search-option-${i}`,
                role: 'option',
                'aria-selected': String(i === active),
                onmousedown: (ev: Event) => (ev.preventDefault(), choose(r)),
              },
              h('span', { class: 'result-name' }, r.fullName || r.name),
              h('small', {}, byId.has(r.layer) ? layerTitle(byId.get(r.layer)!) : r.layerTitle || r.kind || r.layer),
            ),
          )
        : [h('li', { class: 'empty', role: 'option', 'aria-disabled': 'true' }, t('noResults'))]),
    );
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    if (active >= 0) input.setAttribute('aria-activedescendant', `search-option-${active}`);
    else input.removeAttribute('aria-activedescendant');
  };

  const query = async () => {
    const q = input.value.trim();
    controller?.abort();
    if (q.length < 2) return close();
    controller = new AbortController();
    try {
      results = await search(q, controller.signal);
      active = results.length ? 0 : -1;
      show();
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      results = [];
      list.replaceChildren(
        h('li', { class: 'error', role: 'option', 'aria-disabled': 'true' }, `${t('searchFailed')}: ${(err as Error).message}`),
      );
      list.hidden = false;
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => void query(), 150);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      if (!results.length) return;
      ev.preventDefault();
      active = (active + (ev.key === 'ArrowDown' ? 1 : -1) + results.length) % results.length;
      show();
    } else if (ev.key === 'Escape') close();
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    if (list.hidden || !results.length) await query();
    const r = results[Math.max(active, 0)];
    if (r) choose(r);
  });
}
