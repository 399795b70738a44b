/**
 * The map tools, as labelled buttons: draw a polygon or circle (then summarise the area), pick a commune
 * (the smallest base-map polygon at the click, then summarise it), measure distance and area on the ellipsoid,
 * clear the drawings, copy the permalink. Drawing is done by Leaflet-Geoman.
 */
import L from 'leaflet';
import type { Feature, Geometry, Polygon } from 'geojson';
import { area } from '@turf/area';
import { length } from '@turf/length';
import { circle } from '@turf/circle';
import { apiUrl, authHeaders, identify, type ViewerLayer } from './api.ts';
import { h } from './dom.ts';
import { currentLang, formatNumber, onLangChange, t, type TextKey } from './i18n.ts';
import { showNotice } from './notices.ts';

type Mode = 'polygon' | 'circle' | 'pick' | 'distance' | 'area' | null;

/** What the tools need from the rest of the viewer. */
export interface ToolHost {
  /** Every catalog layer. */
  layers(): ViewerLayer[];
  /** Summarises an area (EPSG:4326) under a name. */
  summarise(geometry: Geometry, name: string): void;
  /** The permalink of the current view. */
  permalink(): string;
}

/** Formats metres or square metres for the measure read-out. */
export function formatMeasure(kind: 'distance' | 'area', value: number): string {
  if (kind === 'distance') return value >= 1000 ? `${formatNumber(value / 1000, 2)} km` : `${formatNumber(value, 0)} m`;
  return value >= 10_000 ? `${formatNumber(value / 10_000, 2)} ha` : `${formatNumber(value, 0)} m²`;
}

/** The map tools and their toolbar. */
export class Tools {
  private mode: Mode = null;
  private lastCreate = 0;
  private readonly drawn = L.featureGroup();

  constructor(
    private readonly map: L.Map,
    private readonly bar: HTMLElement,
    private readonly host: ToolHost,
  ) {
    this.drawn.addTo(map);
    map.pm.setGlobalOptions({ pathOptions: { color: '#d9480f', weight: 2, fillOpacity: 0.08 } } as L.PM.GlobalOptions);
    map.on('pm:create', (e) => this.onCreate(e.layer as L.Path));
    map.on('pm:drawend', () => {
      if (this.mode !== 'pick') this.setMode(null);
    });
    map.on('click', (ev: L.LeafletMouseEvent) => {
      if (this.mode === 'pick') void this.pick(ev.latlng);
    });
    map.getContainer().addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && this.mode) this.setMode(null);
    });
    onLangChange(() => this.render());
    this.render();
  }

  /** Geoman's drawing hints in the current language (it ships no Vietnamese: ours are given here). */
  private translateDrawing(): void {
    if (currentLang() === 'en') {
      this.map.pm.setLang('en');
      return;
    }
    this.map.pm.setLang(
      'vi' as L.PM.SupportLocales,
      {
        tooltips: {
          firstVertex: 'Nhấp để đặt điểm đầu tiên',
          continueLine: 'Nhấp để vẽ tiếp',
          finishLine: 'Nhấp đúp (hoặc nhấp điểm cuối) để kết thúc',
          finishPoly: 'Nhấp vào điểm đầu tiên để kết thúc',
          startCircle: 'Nhấp để đặt tâm hình tròn',
          finishCircle: 'Nhấp để chọn bán kính',
        },
      },
      'en',
    );
  }

  /** True while a tool owns map clicks (identify stays quiet then). */
  busy(): boolean {
    return this.mode !== null || Date.now() - this.lastCreate < 400;
  }

  private setMode(mode: Mode): void {
    if (this.map.pm.globalDrawModeEnabled()) this.map.pm.disableDraw();
    this.mode = mode;
    const shape = { polygon: 'Polygon', circle: 'Circle', area: 'Polygon', distance: 'Line' } as const;
    if (mode && mode !== 'pick')
      this.map.pm.enableDraw(shape[mode], {
        snappable: false,
        finishOn: mode === 'distance' ? 'dblclick' : null,
      } as L.PM.DrawModeOptions);
    this.map.getContainer().classList.toggle('picking', mode === 'pick');
    this.render();
    const hint = this.bar.querySelector('.tool-hint');
    if (hint) hint.textContent = mode === 'pick' ? t('pickHint') : mode ? t('drawHint') : '';
  }

  private onCreate(layer: L.Path): void {
    this.lastCreate = Date.now();
    const mode = this.mode;
    this.drawn.addLayer(layer);
    if (mode === 'distance' || mode === 'area') {
      const gj = (layer as L.Polyline).toGeoJSON() as Feature;
      const text =
        mode === 'distance'
          ? formatMeasure('distance', length(gj, { units: 'kilometers' }) * 1000)
          : formatMeasure('area', area(gj));
      layer
        .bindTooltip(h('span', {}, `${t(mode)}: ${text}`), { permanent: true, direction: 'center', className: 'measure-label' })
        .openTooltip();
      layer.getElement()?.setAttribute('data-measure', text);
      return;
    }
    let geometry: Geometry;
    if (layer instanceof L.Circle) {
      const c = layer.getLatLng();
      geometry = circle([c.lng, c.lat], layer.getRadius() / 1000, { steps: 64, units: 'kilometers' }).geometry;
    } else {
      geometry = (layer as L.Polygon).toGeoJSON().geometry as Polygon;
    }
    this.host.summarise(geometry, '');
  }

  /** Summarises the smallest base-map polygon at the point (a commune, where communes are loaded). */
  private async pick(latlng: L.LatLng): Promise<void> {
    this.setMode(null);
    this.lastCreate = Date.now();
    const candidates = this.host.layers().filter((l) => l.group === 'basemap' && l.geometryType === 'Polygon');
    if (!candidates.length) return;
    try {
      const found = await identify(
        latlng.lng,
        latlng.lat,
        candidates.map((l) => l.id),
        1,
      );
      let best: { feature: Feature; layer: string; area: number } | null = null;
      for (const g of found) {
        for (const f of g.features) {
          const withGeometry = f.geometry ? f : await this.fetchFeature(g.layer, f.id);
          if (!withGeometry?.geometry) continue;
          const a = area(withGeometry);
          if (!best || a < best.area) best = { feature: withGeometry, layer: g.layer, area: a };
        }
      }
      if (!best) return;
      const outline = L.geoJSON(best.feature, { style: { color: '#d9480f', weight: 2, fillOpacity: 0.05 } });
      this.drawn.clearLayers();
      this.drawn.addLayer(outline);
      const p = best.feature.properties ?? {};
      this.host.summarise(best.feature.geometry, String(p.full_name ?? p.name ?? p.ten ?? ''));
    } catch (err) {
      showNotice('pick', `${t('identifyFailed')}: ${(err as Error).message}`);
    }
  }

  private async fetchFeature(layer: string, id: Feature['id']): Promise<Feature | null> {
    if (id === undefined) return null;
    const res = await fetch(apiUrl(`collections/${encodeURIComponent(layer)}/items/${encodeURIComponent(String(id))}`), {
      headers: { Accept: 'application/geo+json', ...authHeaders() },
    });
    return res.ok ? ((await res.json()) as Feature) : null;
  }

  private async copyLink(): Promise<void> {
    const link = this.host.permalink();
    try {
      await navigator.clipboard.writeText(link);
      showNotice('copied', t('copied'));
    } catch {
      window.prompt(t('permalink'), link);
    }
  }

  private render(): void {
    this.translateDrawing();
    const button = (mode: Exclude<Mode, null>, key: TextKey, icon: string) =>
      h(
        'button',
        {
          type: 'button',
          'data-tool': mode,
          'aria-pressed': String(this.mode === mode),
          title: t(key),
          onclick: () => this.setMode(this.mode === mode ? null : mode),
        },
        h('span', { 'aria-hidden': 'true' }, icon),
        ` ${t(key)}`,
      );
    this.bar.replaceChildren(
      h('span', { class: 'toolbar-title' }, t('tools')),
      button('polygon', 'drawPolygon', '⬠'),
      button('circle', 'drawCircle', '◯'),
      button('pick', 'pickCommune', '◎'),
      button('distance', 'measureDistance', '↔'),
      button('area', 'measureArea', '▱'),
      h(
        'button',
        { type: 'button', 'data-tool': 'clear', onclick: () => this.drawn.clearLayers() },
        h('span', { 'aria-hidden': 'true' }, '✕'),
        ` ${t('clear')}`,
      ),
      h(
        'button',
        { type: 'button', 'data-tool': 'permalink', onclick: () => void this.copyLink() },
        h('span', { 'aria-hidden': 'true' }, '#'),
        ` ${t('permalink')}`,
      ),
      h('span', { class: 'tool-hint', role: 'status' }),
    );
  }
}
