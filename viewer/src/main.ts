/**
 * The viewer's start: read the permalink, build the map, learn the layers from the server, wire the panels.
 * Nothing is loaded from outside the server: Leaflet, its CSS and images, and the base map are all ours.
 */
import './leaflet-global.ts';
import L from 'leaflet';
import type { Geometry } from 'geojson';
import '@geoman-io/leaflet-geoman-free';
import 'leaflet/dist/leaflet.css';
import '@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css';
import './styles.css';
import { ApiError, currentToken, isPlanLayer, loadLayers, loadStyle, planningMapId, setToken, type ViewerLayer } from './api.ts';
import { addStyle, readStyle, type MapStyle } from './map-style.ts';
import { h } from './dom.ts';
import { currentLang, onLangChange, setLang, t } from './i18n.ts';
import { enableIdentify } from './identify.ts';
import { LayerManager } from './layers.ts';
import { dismissNotice, showNotice } from './notices.ts';
import { formatState, parseState } from './permalink.ts';
import { enableSearch } from './search.ts';
import { enableStatus } from './status.ts';
import { SummaryPanel } from './summary.ts';
import { Tools } from './tools.ts';
import { enableEditing } from './edit/mode.ts';
import { VintageSwitch } from './vintage.ts';

/** What the page tells tests and the curious about itself. */
interface ViewerStats {
  /** Milliseconds from navigation start until the first tile was drawn. */
  firstDrawMs: number | null;
  /** Milliseconds from navigation start until every visible layer had drawn all its tiles (first view only). */
  allTilesMs: number | null;
  /** Set once the layers are known (or their loading failed). */
  ready: boolean;
  layers: string[];
  /** The last area summarised (EPSG:4326). */
  summaryGeometry: Geometry | null;
  /** What the viewer did not understand in the published style (empty for the server's own styles). */
  styleProblems: string[];
}

declare global {
  interface Window {
    viewerStats: ViewerStats;
    viewerMap: L.Map;
  }
}

/** Where the map opens when neither the link nor the layers say: the merged Bắc Ninh province. */
const provinceBounds = L.latLngBounds([20.97, 105.88], [21.63, 107.03]);

const stats: ViewerStats = {
  firstDrawMs: null,
  allTilesMs: null,
  ready: false,
  layers: [],
  summaryGeometry: null,
  styleProblems: [],
};
window.viewerStats = stats;

const initial = parseState(window.location.hash);
setLang(initial.lang ?? 'vi');
document.documentElement.lang = currentLang();

const map = L.map('map', { zoomControl: false, minZoom: 5, maxZoom: 19, keyboard: true, attributionControl: true });
window.viewerMap = map;
map.attributionControl.setPrefix(false);
const zoom = L.control.zoom({ position: 'topleft' }).addTo(map);
L.control.scale({ metric: true, imperial: false, position: 'bottomleft' }).addTo(map);
map.getContainer().setAttribute('aria-label', t('appTitle'));
if (initial.zoom !== undefined) map.setView([initial.lat!, initial.lon!], initial.zoom);
else map.fitBounds(provinceBounds);

// The map's box changes when a panel opens or closes: let Leaflet re-measure it.
new ResizeObserver(() => map.invalidateSize({ animate: false })).observe(map.getContainer());

const layers = new LayerManager(map, document.getElementById('layer-panel')!);
layers.onDraw((timing) => {
  stats.firstDrawMs = timing.firstTileMs;
  stats.allTilesMs = timing.allTilesMs;
});
const vintage = new VintageSwitch(document.getElementById('layer-panel')!, layers);
const summary = new SummaryPanel(document.getElementById('summary-panel')!, (id) => layers.lookOf(id));
const tools = new Tools(map, document.getElementById('toolbar')!, {
  layers: () => layers.all(),
  summarise: (geometry, name) => {
    stats.summaryGeometry = geometry;
    void summary.show(
      geometry,
      layers.visible().filter((l) => l.group !== 'basemap'),
      name,
      layers.all().filter(isPlanLayer),
    );
  },
  permalink: () => window.location.href,
});
// Edit mode hears map clicks before identify does, so that a click that picks a feature opens no identify popup.
const editing = enableEditing(map, { layers: () => layers.all(), refreshArea: (id, bounds) => layers.refreshArea(id, bounds) });
enableIdentify(
  map,
  () => vintage.identifyLayers(map),
  () => tools.busy() || editing.busy(),
  (id) => layers.lookOf(id),
);
enableSearch(document.getElementById('search') as HTMLFormElement, map, () => layers.all());
enableStatus(document.getElementById('status')!, map);

// Keyboard users: arrows pan and +/- zoom (Leaflet); Enter acts as a click at the map's centre (identify, pick a commune).
map.getContainer().addEventListener('keydown', (ev) => {
  if (ev.key !== 'Enter' || ev.target !== map.getContainer()) return;
  const latlng = map.getCenter();
  map.fire('click', {
    latlng,
    layerPoint: map.latLngToLayerPoint(latlng),
    containerPoint: map.latLngToContainerPoint(latlng),
    originalEvent: ev,
  });
});

/** Writes the view into the URL hash (replacing, so Back leaves the viewer as expected). */
function writeHash(): void {
  if (!stats.layers.length) return; // keep the link's layers until the layers are known
  const c = map.getCenter();
  const hash = formatState({
    zoom: map.getZoom(),
    lat: c.lat,
    lon: c.lng,
    layers: layers.visible().map((l) => l.id),
    opacity: layers.opacities(),
    lang: currentLang(),
  });
  if (window.location.hash.slice(1) !== hash) history.replaceState(null, '', `#${hash}`);
}
map.on('moveend', writeHash);
layers.onChange(writeHash);
onLangChange(writeHash);
window.addEventListener('hashchange', () => {
  const s = parseState(window.location.hash);
  if (s.lang) setLang(s.lang);
  if (s.zoom !== undefined) map.setView([s.lat!, s.lon!], s.zoom);
  if (s.layers) layers.setVisibility(new Map(layers.all().map((l) => [l.id, s.layers!.includes(l.id)])));
});

function applyTexts(): void {
  document.title = t('appTitle');
  document.querySelector('#app-title')!.textContent = t('appTitle');
  document.querySelector('#layer-panel .panel-title')!.textContent = t('layers');
  document.getElementById('upload-link')!.textContent = t('uploadLink');
  const langButton = document.getElementById('lang')!;
  langButton.textContent = t('language');
  langButton.setAttribute('aria-label', t('languageLabel'));
  const zc = zoom.getContainer()!;
  for (const [selector, key] of [
    ['.leaflet-control-zoom-in', 'zoomIn'],
    ['.leaflet-control-zoom-out', 'zoomOut'],
  ] as const) {
    const button = zc.querySelector(selector)!;
    button.setAttribute('title', t(key));
    button.setAttribute('aria-label', t(key));
  }
  document.getElementById('toolbar')!.setAttribute('aria-label', t('tools'));
  document.querySelector('#summary-panel .panel-close')!.setAttribute('aria-label', t('close'));
  renderToken();
}
document.getElementById('lang')!.addEventListener('click', () => setLang(currentLang() === 'vi' ? 'en' : 'vi'));
onLangChange(applyTexts);

function renderToken(): void {
  const box = document.getElementById('token')!;
  const input = h('input', { id: 'token-input', type: 'password', autocomplete: 'off', value: currentToken() });
  box.replaceChildren(
    h('summary', {}, t('token')),
    h('p', {}, t('tokenHint')),
    h('label', { for: 'token-input', class: 'visually-hidden' }, t('token')),
    input,
    h('button', { type: 'button', onclick: () => (setToken(input.value), void start()) }, t('apply')),
  );
}

/** Shows a message in the map area itself (no blank map) until layers load. */
function mapMessage(text: string | null): void {
  const el = document.getElementById('map-message')!;
  el.hidden = text === null;
  el.textContent = text ?? '';
}

let loadedConfig = '';

/**
 * The looks of the layers from the published styles: the planning map, and the own style of a layer it lacks (one
 * published between the two requests). Returns the style and its documents as text (to notice a changed style).
 */
async function loadLooks(infos: ViewerLayer[], planning: Promise<Awaited<ReturnType<typeof loadStyle>>>) {
  const docs = [await planning];
  const style: MapStyle = docs[0] ? readStyle(docs[0]) : { order: [], looks: new Map(), problems: [] };
  for (const info of infos.filter((l) => !style.looks.has(l.id))) {
    const own = await loadStyle(info.id);
    docs.push(own);
    if (own) addStyle(style, readStyle(own));
  }
  return { style, text: JSON.stringify(docs) };
}

/**
 * Loads the layer list and puts the layers on the map; on failure says so and offers a retry. A refresh (`quiet`)
 * changes the map only when the catalog changed (an upload, a replaced layer), and keeps the map on failure.
 */
async function start(quiet = false): Promise<void> {
  let infos: ViewerLayer[];
  let looks: Awaited<ReturnType<typeof loadLooks>>;
  try {
    const planning = loadStyle(planningMapId);
    planning.catch(() => undefined); // awaited below, unless the layers fail first
    vintage.loadExtents();
    infos = await loadLayers();
    looks = await loadLooks(infos, planning);
  } catch (err) {
    const why = err instanceof ApiError && err.status ? `${err.status}: ${err.message}` : (err as Error).message;
    showNotice('server', `${t('serverDown')} (${why})`, () => void start());
    if (!stats.layers.length) mapMessage(`${t('serverDown')} — ${why}`);
    stats.ready = true;
    return;
  }
  dismissNotice('server');
  const config = JSON.stringify(infos) + looks.text;
  if (quiet && config === loadedConfig) return;
  loadedConfig = config;
  mapMessage(infos.length ? null : t('noLayers'));
  const current = parseState(window.location.hash);
  stats.styleProblems = looks.style.problems;
  const first = !stats.layers.length;
  const chosen = first ? (current.layers ?? initial.layers) : undefined;
  layers.setLayers(infos, looks.style, {
    visible: chosen,
    // The first view shows today's units only: the old ones are left out before the map is first drawn.
    hidden: first && !chosen ? await vintage.hiddenByDefault(infos) : undefined,
    opacity: current.opacity,
  });
  void vintage.layersLoaded(first, (current.layers ?? initial.layers) !== undefined);
  stats.layers = infos.map((l) => l.id);
  stats.ready = true;
  writeHash();
}

/** How often an open viewer looks for new or changed layers (ms). */
const refreshMs = 60_000;
setInterval(() => {
  if (document.visibilityState === 'visible') void start(true);
}, refreshMs);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void start(true);
});

applyTexts();
void start();
