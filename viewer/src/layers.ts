/**
 * The layers on the map and their panel: grouped (base map, land use, industry, telecom), each with a toggle,
 * opacity, draw order, zoom-to-layer, a legend, and a warning when its tiles fail. The layers come from the
 * catalog, their paint, draw order and legends from the published style (map-style.ts); nothing here knows a layer
 * by name.
 */
import L from 'leaflet';
import { authHeaders, layerGroups, type ViewerLayer } from './api.ts';
import { h } from './dom.ts';
import { currentLang, formatNumber, onLangChange, pick, t, type TextKey } from './i18n.ts';
import { categoryText, compositeTileUrl, createCompositeLayer, type TileOutcome, type VectorLayer } from './vector-layer.ts';
import type { LayerLook, MapStyle } from './map-style.ts';
import { dismissNotice, showNotice } from './notices.ts';

interface Entry {
  info: ViewerLayer;
  visible: boolean;
  opacity: number;
  /** The last tile failure, or ''. */
  error: string;
}

/** Milliseconds from navigation start until the first tile was drawn, and until every visible layer had drawn all its tiles. */
export interface DrawTiming {
  firstTileMs: number | null;
  allTilesMs: number | null;
}

/** The title of a layer in the current language. */
export function layerTitle(info: ViewerLayer): string {
  return currentLang() === 'vi' ? info.title_vi || info.title : info.title;
}

/** Layers per composite tile request: below the server's bound on layers per tile (32). */
const layersPerComposite = 16;

/** Most tiles fetched anew after an edit (the visible part of the edited area at the map's zoom). */
const maxRefreshTiles = 64;

/** Owns the map layers, their order and visibility, and renders the layer panel. */
export class LayerManager {
  /** Entries in draw order, topmost first. */
  private entries: Entry[] = [];
  /** How each layer looks, from the published style. */
  private looks: ReadonlyMap<string, LayerLook> = new Map();
  /** The one map layer of the visible layers (one composite tile per map tile), or null when none is visible. */
  /** The composite layers drawn, bottom first: one per run of at most `layersPerComposite` visible layers. */
  private composites: VectorLayer[] = [];
  /** The layers of each composite, as drawn. */
  private runs: ViewerLayer[][] = [];
  private readonly changeListeners = new Set<() => void>();
  private readonly drawListeners = new Set<(timing: DrawTiming) => void>();
  private readonly timing: DrawTiming = { firstTileMs: null, allTilesMs: null };

  constructor(
    private readonly map: L.Map,
    private readonly panel: HTMLElement,
  ) {
    onLangChange(() => this.render());
  }

  /**
   * Replaces the layers and their style (a catalog load); keeps visibility and opacity of layers still present.
   * The style's draw order is the initial order (a layer it lacks goes by its catalog sortOrder, on top).
   * `visible` (a permalink's list, top first) sets visibility and order; else a new layer is shown unless `hidden`.
   */
  setLayers(
    infos: ViewerLayer[],
    style: MapStyle,
    state: { visible?: string[]; hidden?: ReadonlySet<string>; opacity?: Record<string, number> } = {},
  ): void {
    const previous = new Map(this.entries.map((e) => [e.info.id, e]));
    this.looks = style.looks;
    // The style lists the layers from the bottom; the panel lists the top first.
    const drawn = new Map(style.order.map((id, i) => [id, i]));
    const rank = (l: ViewerLayer) => drawn.get(l.id) ?? Infinity;
    const sorted = [...infos].sort((a, b) => rank(b) - rank(a) || b.sortOrder - a.sortOrder || a.id.localeCompare(b.id));
    const visible = state.visible ? new Set(state.visible) : null;
    if (state.visible) {
      // A permalink lists the visible layers top first: keep that order, then the others.
      const rank = new Map(state.visible.map((id, i) => [id, i]));
      sorted.sort((a, b) => (rank.get(a.id) ?? 1e6) - (rank.get(b.id) ?? 1e6));
    }
    this.entries = sorted.map((info) => {
      const old = previous.get(info.id);
      return {
        info,
        visible: visible ? visible.has(info.id) : (old?.visible ?? !state.hidden?.has(info.id)),
        opacity: state.opacity?.[info.id] ?? old?.opacity ?? 1,
        error: '',
      };
    });
    this.rebuild();
    this.render();
    this.changed();
  }

  /** The catalog layers, topmost first. */
  all(): ViewerLayer[] {
    return this.entries.map((e) => e.info);
  }

  /** The visible layers, topmost first. */
  visible(): ViewerLayer[] {
    return this.entries.filter((e) => e.visible).map((e) => e.info);
  }

  /** How a layer looks (paint, labels, legend), from the published style. */
  lookOf(id: string): LayerLook | undefined {
    return this.looks.get(id);
  }

  /** Opacity per layer id. */
  opacities(): Record<string, number> {
    return Object.fromEntries(this.entries.map((e) => [e.info.id, e.opacity]));
  }

  /** Calls `fn` whenever visibility, order or opacity changes. */
  onChange(fn: () => void): void {
    this.changeListeners.add(fn);
  }

  /** Calls `fn` when the first tile is drawn and when every visible layer has drawn all its tiles (the first time). */
  onDraw(fn: (timing: DrawTiming) => void): void {
    this.drawListeners.add(fn);
  }

  private onTileDrawn(): void {
    if (this.timing.allTilesMs !== null) return;
    const now = Math.round(performance.now());
    this.timing.firstTileMs ??= now;
    if (!this.composites.some((c) => c.isLoading())) this.timing.allTilesMs = now;
    for (const fn of this.drawListeners) fn(this.timing);
  }

  /** Shows or hides a layer. */
  setVisible(id: string, visible: boolean): void {
    this.setVisibility(new Map([[id, visible]]));
  }

  /**
   * Shows and hides several layers with one redraw: every change of the visible set is a new composite tile, so
   * changing them one by one would fetch the view's tiles once per layer.
   */
  setVisibility(changes: ReadonlyMap<string, boolean>): void {
    let changed = false;
    for (const e of this.entries) {
      const visible = changes.get(e.info.id);
      if (visible === undefined || visible === e.visible) continue;
      e.visible = visible;
      changed = true;
    }
    if (!changed) return;
    this.rebuild();
    this.changed();
  }

  private changed(): void {
    for (const fn of this.changeListeners) fn();
  }

  /**
   * Replaces the map layer by one for the visible layers in their order: a new set of layers is a new composite
   * tile (the server renders and caches each set), so the tiles are fetched anew.
   */
  private rebuild(): void {
    for (const c of this.composites) c.remove();
    this.composites = [];
    this.runs = [];
    const shown = this.entries.filter((e) => e.visible);
    if (!shown.length) return;
    const opacity = new Map(shown.map((e) => [e.info.id, e]));
    // The server takes a bounded number of layers per tile: runs of the draw order, added bottom first so that
    // a later (higher) run is drawn over an earlier one, as the layers are within one composite.
    for (let end = shown.length; end > 0; end -= layersPerComposite) {
      const run = shown.slice(Math.max(0, end - layersPerComposite), end).map((e) => e.info);
      const composite = createCompositeLayer(
        run,
        this.looks,
        (id) => opacity.get(id)?.opacity ?? 1,
        (o) => this.onTile(o),
      );
      composite.on('tileload load', () => this.onTileDrawn());
      composite.addTo(this.map);
      this.composites.push(composite);
      this.runs.push(run);
    }
  }

  /**
   * Redraws the map after an edit of `layerId` over `bounds` (EPSG:4326): the tiles of the visible part of that area
   * are fetched anew past the browser's HTTP cache (tiles may be cached for a minute: Cache-Control), which also
   * refreshes its entries, then the composites are rebuilt and read them from there.
   */
  async refreshArea(layerId: string, bounds: L.LatLngBounds): Promise<void> {
    const view = this.map.getBounds();
    if (!view.intersects(bounds)) return;
    const area = L.latLngBounds(
      [Math.max(bounds.getSouth(), view.getSouth()), Math.max(bounds.getWest(), view.getWest())],
      [Math.min(bounds.getNorth(), view.getNorth()), Math.min(bounds.getEast(), view.getEast())],
    );
    const urls: string[] = [];
    for (const run of this.runs) {
      if (!run.some((l) => l.id === layerId)) continue;
      // The map asks tiles at its rounded zoom, overzoomed beyond the largest maxzoom of the composite's layers.
      const z = Math.min(Math.round(this.map.getZoom()), Math.max(...run.map((l) => l.maxzoom)));
      const nw = this.map.project(area.getNorthWest(), z).divideBy(256).floor();
      const se = this.map.project(area.getSouthEast(), z).divideBy(256).floor();
      const ids = run.map((l) => l.id);
      for (let x = nw.x; x <= se.x; x++)
        for (let y = nw.y; y <= se.y; y++) if (urls.length < maxRefreshTiles) urls.push(compositeTileUrl(ids, { z, x, y }));
    }
    await Promise.all(urls.map((url) => fetch(url, { cache: 'reload', headers: authHeaders() }).catch(() => undefined)));
    this.rebuild();
  }

  /** A failed tile marks its layer (panel and notice) until the user retries; later successes do not hide it. */
  private onTile(o: TileOutcome): void {
    const e = this.entries.find((x) => x.info.id === o.layer);
    if (!e || e.error || (o.status !== 0 && o.status < 400)) return;
    e.error = o.message || String(o.status);
    const key = `layer:${o.layer}`;
    const why = o.status === 0 ? t('serverDown') : `${o.status}: ${e.error}`;
    showNotice(key, `${t('layerFailed')} “${layerTitle(e.info)}” (${why})`, () => {
      dismissNotice(key);
      e.error = '';
      this.render();
      this.rebuild();
    });
    this.render();
  }

  /** Moves a layer one place up (-1) or down (+1) among the layers of its group. */
  private move(id: string, step: -1 | 1): void {
    const i = this.entries.findIndex((e) => e.info.id === id);
    const group = this.entries[i].info.group;
    let j = i + step;
    while (j >= 0 && j < this.entries.length && this.entries[j].info.group !== group) j += step;
    if (j < 0 || j >= this.entries.length) return;
    [this.entries[i], this.entries[j]] = [this.entries[j], this.entries[i]];
    this.rebuild();
    this.render();
    this.panel.querySelector<HTMLButtonElement>(`[data-layer="${id}"] [data-move="${step}"]`)?.focus();
    this.changed();
  }

  private zoomTo(info: ViewerLayer): void {
    if (!info.bounds) return;
    const [x1, y1, x2, y2] = info.bounds;
    this.map.fitBounds([
      [y1, x1],
      [y2, x2],
    ]);
  }

  /** Draws the panel anew (on load, language change, reorder or a layer's error). */
  render(): void {
    const body = this.panel.querySelector('.panel-body')!;
    body.replaceChildren();
    if (!this.entries.length) {
      body.append(h('p', { class: 'empty' }, t('noLayers')));
      return;
    }
    for (const group of layerGroups) {
      const members = this.entries.filter((e) => e.info.group === group);
      if (!members.length) continue;
      body.append(
        h(
          'section',
          { class: 'layer-group', 'data-group': group },
          h('h3', {}, t(`group_${group}` as TextKey)),
          h(
            'ul',
            {},
            members.map((e, k) => this.row(e, k === 0, k === members.length - 1)),
          ),
        ),
      );
    }
  }

  private row(e: Entry, first: boolean, last: boolean): HTMLElement {
    const { info } = e;
    const title = layerTitle(info);
    const checkboxId = `layer-${info.id}`;
    const opacity = h('input', {
      type: 'range',
      min: 0,
      max: 100,
      step: 5,
      value: Math.round(e.opacity * 100),
      'aria-label': `${t('opacity')}: ${title}`,
      title: t('opacity'),
      oninput: (ev: Event) => {
        e.opacity = Number((ev.target as HTMLInputElement).value) / 100;
        for (const c of this.composites) c.rerenderTiles();
        this.changed();
      },
    });
    return h(
      'li',
      { class: 'layer', 'data-layer': info.id },
      h(
        'div',
        { class: 'layer-head' },
        h('input', {
          type: 'checkbox',
          id: checkboxId,
          checked: e.visible,
          onchange: (ev: Event) => this.setVisible(info.id, (ev.target as HTMLInputElement).checked),
        }),
        // The description as the label's tooltip: an attribute set as text, never parsed.
        h(
          'label',
          { for: checkboxId, title: info.description || undefined },
          title,
          info.access === 'restricted' ? h('small', {}, ` (${t('restricted')})`) : null,
        ),
        h(
          'span',
          { class: 'layer-tools' },
          h(
            'button',
            {
              type: 'button',
              'data-move': -1,
              disabled: first,
              'aria-label': `${t('moveUp')}: ${title}`,
              title: t('moveUp'),
              onclick: () => this.move(info.id, -1),
            },
            '▲',
          ),
          h(
            'button',
            {
              type: 'button',
              'data-move': 1,
              disabled: last,
              'aria-label': `${t('moveDown')}: ${title}`,
              title: t('moveDown'),
              onclick: () => this.move(info.id, 1),
            },
            '▼',
          ),
          h(
            'button',
            {
              type: 'button',
              disabled: !info.bounds,
              'aria-label': `${t('zoomTo')}: ${title}`,
              title: t('zoomTo'),
              onclick: () => this.zoomTo(info),
            },
            '⤢',
          ),
        ),
      ),
      h('div', { class: 'layer-opacity' }, opacity),
      legendOf(info, this.looks.get(info.id)),
      e.error ? h('p', { class: 'layer-error', role: 'status' }, `${t('layerFailed')}: ${e.error}`) : null,
      info.minzoom > 0 ? h('p', { class: 'layer-zoom' }, `z ≥ ${formatNumber(info.minzoom)}`) : null,
    );
  }
}

/** A legend swatch. The colour is set through the CSSOM: the page's CSP forbids inline style attributes. */
function swatch(color: string, geometryType: ViewerLayer['geometryType']): HTMLElement {
  const el = h('span', { class: `swatch swatch-${geometryType.toLowerCase()}`, 'aria-hidden': 'true' });
  if (/^#[0-9a-f]{3,8}$/i.test(color)) el.style.setProperty('--c', color);
  return el;
}

/** The legend of a layer, from the style: one entry per category, else its one colour (none without a legend). */
function legendOf(info: ViewerLayer, look: LayerLook | undefined): HTMLElement | null {
  const entries = look?.legend?.entries ?? [];
  if (entries.length === 1 && entries[0].value === null)
    return h('div', { class: 'legend legend-single' }, swatch(entries[0].colour, info.geometryType));
  if (!entries.length) return null;
  return h(
    'ul',
    { class: 'legend', 'aria-label': `${t('legend')}: ${layerTitle(info)}` },
    entries.map((c) =>
      h(
        'li',
        {},
        swatch(c.colour, info.geometryType),
        c.value === null ? '' : categoryText(c.value, c.label ? pick(c.label) : ''),
      ),
    ),
  );
}
