/**
 * The map state in the URL hash, so a link reopens the same view:
 * `#map=<zoom>/<lat>/<lon>&layers=<id>,<id>&opacity=<id>:<0..1>,…&lang=vi|en`.
 * `layers` lists the visible layers top first (their draw order).
 */
import type { Lang } from './i18n.ts';

/** The state a permalink carries. */
export interface MapState {
  zoom: number;
  lat: number;
  lon: number;
  /** Visible layer ids, topmost first. */
  layers: string[];
  /** Opacity per layer id (only those not at 1). */
  opacity: Record<string, number>;
  lang: Lang;
}

/** Writes the state as a hash (without the leading '#'). Coordinates get ~1 m precision. */
export function formatState(s: MapState): string {
  const parts = [`map=${s.zoom}/${s.lat.toFixed(5)}/${s.lon.toFixed(5)}`, `layers=${s.layers.map(encodeURIComponent).join(',')}`];
  const op = Object.entries(s.opacity).filter(([, v]) => v < 1);
  if (op.length) parts.push(`opacity=${op.map(([id, v]) => `${encodeURIComponent(id)}:${Math.round(v * 100) / 100}`).join(',')}`);
  parts.push(`lang=${s.lang}`);
  return parts.join('&');
}

/** Reads a hash (with or without '#'); returns only the parts present and valid. */
export function parseState(hash: string): Partial<MapState> {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const state: Partial<MapState> = {};
  const map = params.get('map')?.split('/').map(Number);
  if (map && map.length === 3 && map.every(Number.isFinite) && Math.abs(map[1]) <= 90 && Math.abs(map[2]) <= 180) {
    [state.zoom, state.lat, state.lon] = map;
  }
  const layers = params.get('layers');
  if (layers !== null) state.layers = layers.split(',').filter(Boolean);
  const opacity = params.get('opacity');
  if (opacity) {
    state.opacity = {};
    for (const pair of opacity.split(',')) {
      const [id, v] = pair.split(':');
      const n = Number(v);
      if (id && Number.isFinite(n) && n >= 0 && n <= 1) state.opacity[id] = n;
    }
  }
  const lang = params.get('lang');
  if (lang === 'vi' || lang === 'en') state.lang = lang;
  return state;
}
