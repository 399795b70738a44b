/**
 * The summary panel: for an area (drawn, or a picked commune), each visible thematic layer summarised by
 * POST /query/summary: a bar chart (area for polygons, length for lines, count for points), the totals,
 * a group-by choice and a CSV download; below them, what a land-use plan changes when the area touches one
 * (conversions.ts).
 */
import type { Geometry } from 'geojson';
import { summarise, type GroupValue, type Summary, type ViewerLayer } from './api.ts';
import { barChart } from './chart.ts';
import { toCsv } from './csv.ts';
import { h } from './dom.ts';
import { formatNumber, onLangChange, pick, t } from './i18n.ts';
import { layerTitle } from './layers.ts';
import { categoryText } from './vector-layer.ts';
import { colourOfFeature, legendEntryOf, type LayerLook, type Legend } from './map-style.ts';
import { boundsMeet, conversionsElement, loadConversions, type ConversionsSection } from './conversions.ts';

type Metric = 'area_ha' | 'length_km' | 'count';

/** Bar colours for groups that have no style colour (Okabe-Ito, readable by colour-blind users). */
const palette = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

function metricOf(layer: ViewerLayer): Metric {
  return layer.geometryType === 'Polygon' ? 'area_ha' : layer.geometryType === 'LineString' ? 'length_km' : 'count';
}

/** The distinct group-by properties of a section, in order. */
function groupByOf(s: Section): string[] {
  return [...new Set(s.groupBy.filter((g): g is string => g !== null))];
}

/** The property a layer is summarised by at first: its style's category, else its label property. */
export function defaultGroupBy(layer: ViewerLayer): string | null {
  return (layer.style.type === 'categorical' ? layer.style.property : undefined) ?? layer.style.labelProperty ?? null;
}

function valueLabel(legend: Legend | null | undefined, property: string, value: GroupValue): string {
  if (value === null || value === '') return t('none');
  const cat = legendEntryOf(legend, property, value);
  return cat?.value != null ? categoryText(cat.value, pick(cat.label ?? undefined)) : String(value);
}

/** The label of a group: its values, named by the style's legend where it can, joined by " / ". */
function groupLabel(legend: Legend | null | undefined, groupBy: string[], values: GroupValue[]): string {
  if (!groupBy.length) return t('total');
  return groupBy.map((property, i) => valueLabel(legend, property, values[i])).join(' / ');
}

function metricText(metric: Metric, v: number | null): string {
  if (v === null) return '—';
  return metric === 'count' ? formatNumber(v) : formatNumber(v, 2);
}

interface Section {
  layer: ViewerLayer;
  /** Group-by properties: the first, and optionally a second ("BTS by operator, then by technology"). */
  groupBy: [string | null, string | null];
  summary: Summary | null;
  error: string;
}

/** Owns the summary panel. */
export class SummaryPanel {
  private sections: Section[] = [];
  private plans: ConversionsSection[] = [];
  private geometry: Geometry | null = null;
  private areaName = '';

  /** `lookOf` gives a layer's look in the published style: bars grouped by its colour property take its colours. */
  constructor(
    private readonly panel: HTMLElement,
    private readonly lookOf: (id: string) => LayerLook | undefined,
  ) {
    onLangChange(() => this.render());
    panel.querySelector('.panel-close')!.addEventListener('click', () => this.close());
  }

  /** Hides the panel. */
  close(): void {
    this.panel.hidden = true;
  }

  /**
   * Summarises every given layer inside `geometry` (EPSG:4326) and shows the panel; for each land-use plan in
   * `plans` whose bounds the area meets, what the plan changes inside it (shown when the area touches the plan).
   */
  async show(geometry: Geometry, layers: ViewerLayer[], areaName = '', plans: ViewerLayer[] = []): Promise<void> {
    this.geometry = geometry;
    this.areaName = areaName;
    this.sections = layers.map((layer) => ({ layer, groupBy: [defaultGroupBy(layer), null], summary: null, error: '' }));
    this.plans = plans
      .filter((layer) => boundsMeet(layer, geometry))
      .map((layer) => ({ layer, look: this.lookOf(layer.id), answer: null, error: '' }));
    this.panel.hidden = false;
    this.render();
    // In panel order, two at a time: the server runs at most LIMIT_EXPENSIVE_PER_CLIENT (2) summaries per client
    // at once, so the first sections fill first and none waits in the server's queue past its limit.
    const sections = this.sections;
    const queue: Array<() => Promise<void>> = [
      ...sections.map((s) => () => this.load(s)),
      ...this.plans.map((p) => async () => {
        await loadConversions(p, geometry);
        this.render();
      }),
    ];
    const worker = async () => {
      for (let task = queue.shift(); task && this.sections === sections; task = queue.shift()) await task();
    };
    await Promise.all([worker(), worker()]);
  }

  private async load(section: Section): Promise<void> {
    if (!this.geometry) return;
    section.summary = null;
    section.error = '';
    this.render();
    try {
      section.summary = await summarise(section.layer.id, this.geometry, groupByOf(section));
    } catch (err) {
      section.error = (err as Error).message;
    }
    this.render();
  }

  private render(): void {
    const body = this.panel.querySelector('.panel-body')!;
    this.panel.querySelector('.panel-title')!.textContent = t('summary');
    // A plan's conversions right below the plan's own summary; those of plans not shown on the map at the end.
    const conversionsOf = (layerId: string | null) =>
      this.plans
        .filter((p) => (layerId === null ? !this.sections.some((s) => s.layer.id === p.layer.id) : p.layer.id === layerId))
        .map(conversionsElement)
        .filter((el): el is HTMLElement => el !== null);
    body.replaceChildren(
      ...this.sections.flatMap((s) => [this.sectionElement(s), ...conversionsOf(s.layer.id)]),
      ...conversionsOf(null),
    );
    if (this.areaName) body.prepend(h('p', { class: 'area-name' }, this.areaName));
    if (!this.sections.length) body.append(h('p', {}, t('noFeaturesInArea')));
  }

  private sectionElement(s: Section): HTMLElement {
    const { layer } = s;
    const metric = metricOf(layer);
    const choices = [null, ...layer.columns.filter((c) => c.type === 'string' || c.type === 'integer').map((c) => c.name)];
    const select = (k: 0 | 1, text: string) => {
      const id = `groupby-${k}-${layer.id}`;
      const el = h(
        'select',
        {
          id,
          onchange: (ev: Event) => {
            s.groupBy[k] = (ev.target as HTMLSelectElement).value || null;
            void this.load(s);
          },
        },
        choices.map((name) =>
          h(
            'option',
            { value: name ?? '', selected: name === s.groupBy[k] },
            name ? pick(layer.columns.find((c) => c.name === name)?.label, name) : '—',
          ),
        ),
      );
      return h('span', { class: 'groupby' }, h('label', { for: id }, `${text} `), el);
    };
    const head = [
      h('h3', {}, layerTitle(layer)),
      h('div', { class: 'groupby-row' }, select(0, t('groupBy')), select(1, t('thenBy'))),
    ];
    if (s.error)
      return h(
        'section',
        { class: 'summary', 'data-layer': layer.id },
        head,
        h('p', { class: 'error', role: 'alert' }, `${t('summaryFailed')}: ${s.error}`),
      );
    if (!s.summary)
      return h('section', { class: 'summary', 'data-layer': layer.id, 'aria-busy': 'true' }, head, h('p', {}, t('loading')));
    const sum = s.summary;
    const groups = [...sum.groups].sort((a, b) => (b[metric] ?? 0) - (a[metric] ?? 0));
    const look = this.lookOf(layer.id);
    const byStyle = look?.legend?.property != null && look.legend.property === sum.groupBy[0];
    const colour = (g: (typeof groups)[number], i: number) =>
      (byStyle && look ? colourOfFeature(look, layer.geometryType, { [sum.groupBy[0]]: g.values[0] }) : null) ??
      palette[i % palette.length];
    const bars = groups.map((g, i) => ({
      label: groupLabel(look?.legend, sum.groupBy, g.values),
      value: g[metric] ?? 0,
      color: colour(g, i),
      text: metricText(metric, g[metric]),
    }));
    const totals = h(
      'p',
      {
        class: 'totals',
        'data-total-count': sum.total.count,
        'data-total-area-ha': sum.total.area_ha ?? '',
        'data-total-length-km': sum.total.length_km ?? '',
      },
      [
        `${t('total')}: ${formatNumber(sum.total.count)}`,
        sum.total.area_ha !== null ? `${t('areaHa')}: ${formatNumber(sum.total.area_ha, 2)}` : '',
        sum.total.length_km !== null ? `${t('lengthKm')}: ${formatNumber(sum.total.length_km, 2)}` : '',
      ]
        .filter(Boolean)
        .join(' · '),
    );
    const csv = h('button', { type: 'button', class: 'csv', onclick: () => this.download(s) }, t('downloadCsv'));
    return h(
      'section',
      { class: 'summary', 'data-layer': layer.id },
      head,
      sum.total.count
        ? barChart(
            bars,
            `${layerTitle(layer)} – ${t(metric === 'count' ? 'count' : metric === 'area_ha' ? 'areaHa' : 'lengthKm')}`,
          )
        : h('p', {}, t('noFeaturesInArea')),
      totals,
      // How it was measured, in words; the server's technical description stays in an attribute for the curious.
      h('p', { class: 'method', 'data-method': sum.method }, t(`method_${metric}`)),
      csv,
    );
  }

  private download(s: Section): void {
    if (!s.summary) return;
    const { layer } = s;
    const { groupBy, groups } = s.summary;
    const rows = groups.map((g) => [
      layer.id,
      ...g.values.map((v) => (v === null ? '' : String(v))),
      groupLabel(this.lookOf(layer.id)?.legend, groupBy, g.values),
      g.count,
      g.area_ha,
      g.length_km,
    ]);
    const text = toCsv(['layer', ...groupBy, 'label', 'count', 'area_ha', 'length_km'], rows);
    const a = h('a', {
      href: URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' })),
      download: `summary-${layer.id}.csv`,
    });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}
