/**
 * The "what the plan changes" part of the summary panel: for a land-use plan layer whose area the drawn shape
 * touches, the hectares planned to change from each current code to each planned code (POST /query/conversions),
 * all together and per commune of 1 July 2025, with a CSV download. Shown only when the shape touches the plan.
 */
import type { Geometry } from 'geojson';
import { bbox } from '@turf/bbox';
import { conversionsTable } from '../../server/wire/query.ts';
import { planConversions, type CodeName, type Conversion, type Conversions, type ViewerLayer } from './api.ts';
import { toCsv } from './csv.ts';
import { h } from './dom.ts';
import { currentLang, formatNumber, t } from './i18n.ts';
import { layerTitle } from './layers.ts';
import { colourOfFeature, type LayerLook } from './map-style.ts';

/** One plan layer's conversions inside the area: loading, loaded, or failed. */
export interface ConversionsSection {
  layer: ViewerLayer;
  /** The layer's look in the published style (its colours), when the style has it. */
  look: LayerLook | undefined;
  answer: Conversions | null;
  error: string;
}

/** True when the layer's bounds meet the box of the geometry (the server tells whether the plan itself is touched). */
export function boundsMeet(layer: ViewerLayer, geometry: Geometry): boolean {
  if (!layer.bounds) return false;
  const [x0, y0, x1, y1] = bbox(geometry);
  const [a0, b0, a1, b1] = layer.bounds;
  return x0 <= a1 && a0 <= x1 && y0 <= b1 && b0 <= y1;
}

/** Loads the conversions of a section inside `geometry`. */
export async function loadConversions(section: ConversionsSection, geometry: Geometry): Promise<void> {
  section.answer = null;
  section.error = '';
  try {
    section.answer = await planConversions(section.layer.id, geometry);
  } catch (err) {
    section.error = (err as Error).message;
  }
}

/** The code and its name in the current language ("LUC – Đất chuyên trồng lúa nước"). */
function codeText(c: CodeName): string {
  const name = c[currentLang()] ?? c.en;
  return name ? `${c.code} – ${name}` : c.code;
}

/**
 * A swatch of the planned code's colour in the published style, set through the CSSOM (the page's CSP forbids inline
 * style attributes).
 */
function swatch(s: ConversionsSection, code: string): HTMLElement {
  const el = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  const property = s.look?.legend?.property ?? 'code';
  const color = s.look ? colourOfFeature(s.look, s.layer.geometryType, { [property]: code }) : null;
  if (color && /^#[0-9a-f]{3,8}$/i.test(color)) el.style.setProperty('--c', color);
  return el;
}

function conversionRows(s: ConversionsSection, list: Conversion[]): HTMLElement[] {
  return list.map((c) =>
    h(
      'tr',
      { 'data-from': c.from.code, 'data-to': c.to.code, 'data-area-ha': c.area_ha },
      h('td', {}, codeText(c.from)),
      h('td', {}, swatch(s, c.to.code), ' ', codeText(c.to)),
      h('td', { class: 'num' }, formatNumber(c.area_ha, 2)),
    ),
  );
}

function table(s: ConversionsSection, list: Conversion[]): HTMLElement {
  return h(
    'table',
    { class: 'conversion-table' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, t('conversionFrom')), h('th', {}, t('conversionTo')), h('th', { class: 'num' }, t('areaHa'))),
    ),
    h('tbody', {}, conversionRows(s, list)),
  );
}

function download(s: ConversionsSection): void {
  if (!s.answer) return;
  // The same rows as the server's f=csv (server/wire/query.ts), grouped by today's commune as the panel shows them.
  const [header, ...rows] = conversionsTable(s.answer, ['commune_code_2025', 'commune_name_2025']);
  const text = toCsv(header.map(String), rows);
  const a = h('a', {
    href: URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' })),
    download: `conversions-${s.layer.id}.csv`,
  });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** The section's element, or null while it is known not to touch the plan (nothing to say then). */
export function conversionsElement(s: ConversionsSection): HTMLElement | null {
  const attrs = { class: 'summary conversions', 'data-layer': s.layer.id };
  const head = h('h3', {}, `${t('conversionsTitle')}: ${layerTitle(s.layer)}`);
  if (s.error) return h('section', attrs, head, h('p', { class: 'error', role: 'alert' }, `${t('summaryFailed')}: ${s.error}`));
  if (!s.answer) return null;
  const a = s.answer;
  if (!a.total.parcels) return null;
  const totals = h(
    'p',
    { class: 'totals', 'data-changed-ha': a.total.changed_ha, 'data-plan-area-ha': a.total.plan_area_ha },
    `${t('conversionsChanged')}: ${formatNumber(a.total.changed_ha, 2)} / ${t('conversionsPlanArea')}: ${formatNumber(a.total.plan_area_ha, 2)}`,
  );
  if (!a.conversions.length) return h('section', attrs, head, totals, h('p', {}, t('conversionsNone')));
  const communes = h(
    'details',
    { class: 'by-commune' },
    h('summary', {}, t('conversionsByCommune')),
    a.groups.map((g) =>
      h(
        'div',
        { class: 'commune', 'data-commune': String(g.key.commune_code_2025 ?? '') },
        h('h4', {}, `${g.key.commune_name_2025 ?? t('none')} (${formatNumber(g.changed_ha, 2)} ha)`),
        table(s, g.conversions),
      ),
    ),
  );
  return h(
    'section',
    attrs,
    head,
    table(s, a.conversions),
    totals,
    communes,
    h('p', { class: 'method', 'data-method': a.method }, t('method_conversions')),
    h('button', { type: 'button', class: 'csv', onclick: () => download(s) }, t('downloadCsv')),
  );
}
