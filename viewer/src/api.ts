/**
 * The server API as the viewer uses it: typed requests to /viewer/config.json, /styles/{id}.json, /query/identify,
 * /query/summary, /query/conversions and /search, resolved against the server root (the viewer lives at
 * `<root>/viewer/`). Errors carry the server's `{code, description}` so the page can say what failed.
 */
import type { Feature, Geometry } from 'geojson';
import type { StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import type { ViewerConfig, ViewerLayer } from '../../server/wire/layer.ts';
import type { Conversions, GroupValue, Summary as SummaryAnswer } from '../../server/wire/query.ts';

// The layer's JSON shape is the server's own (server/wire/layer.ts): one definition both sides compile against.
export type { Label, LayerColumn, LayerStyle, StyleCategory, ViewerConfig, ViewerLayer } from '../../server/wire/layer.ts';
export { layerGroups, type LayerGroup } from './layer-groups.ts';
// The answers of /query/* likewise (server/wire/query.ts).
export type { CodeName, Conversion, Conversions, GroupValue } from '../../server/wire/query.ts';

/** The features of one layer at a clicked point. */
export interface IdentifiedLayer {
  layer: string;
  features: Feature[];
}

/** One group of a summary: one value per group-by property. */
export interface SummaryGroup {
  values: GroupValue[];
  count: number;
  area_ha: number | null;
  length_km: number | null;
}

/** The answer of POST /query/summary. */
export interface Summary {
  layer: string;
  groupBy: string[];
  groups: SummaryGroup[];
  total: { count: number; area_ha: number | null; length_km: number | null };
  method: string;
}

/** One search result. */
export interface SearchResult {
  name: string;
  /** The name with its type ("Thành phố Bắc Giang"), when the server has one. */
  fullName?: string | null;
  layerTitle?: string;
  layer: string;
  id: string | number | null;
  kind: string;
  bbox: [number, number, number, number];
}

/** A failed API call: HTTP status and the server's description. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The server root, from the viewer's own URL (`…/viewer/` -> `…/`). */
export const apiRoot = new URL('../', window.location.href);

let token = sessionStorage.getItem('sdi-token') ?? '';

/** Sets (or clears with '') the access token sent with every request; kept for this browser tab only. */
export function setToken(value: string): void {
  token = value.trim();
  if (token) sessionStorage.setItem('sdi-token', token);
  else sessionStorage.removeItem('sdi-token');
}

/** The current access token, or ''. */
export function currentToken(): string {
  return token;
}

/** Headers for every API request (the token, when one is set). */
export function authHeaders(): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** An absolute URL of an API path ('tiles/…', 'query/…'). */
export function apiUrl(path: string, params: Record<string, string | number> = {}): string {
  const url = new URL(path, apiRoot);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  return url.href;
}

async function request<T>(path: string, init: RequestInit = {}, params: Record<string, string | number> = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path, params), {
      ...init,
      headers: { Accept: 'application/json', ...authHeaders(), ...(init.headers ?? {}) },
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NetworkError', `the server did not answer (${path})`);
  }
  if (!res.ok) {
    let code = 'HttpError';
    let description = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { code?: string; description?: string };
      code = body.code ?? code;
      description = body.description ?? description;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(res.status, code, description);
  }
  return (await res.json()) as T;
}

/** The layers the caller may read. */
export async function loadLayers(): Promise<ViewerLayer[]> {
  const body = await request<ViewerConfig>('viewer/config.json');
  return body.layers;
}

/** The id of the style with every layer the caller may read (the server's default style). */
export const planningMapId = 'planning-map';

/** A published style document (MapLibre style v8), or null when the server has none for this caller (404). */
export async function loadStyle(id: string): Promise<StyleSpecification | null> {
  try {
    return await request<StyleSpecification>(`styles/${encodeURIComponent(id)}.json`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** Features of the given layers at a point (EPSG:4326), topmost layer first. */
export async function identify(
  lon: number,
  lat: number,
  layers: string[],
  toleranceM: number,
  signal?: AbortSignal,
): Promise<IdentifiedLayer[]> {
  const body = await request<unknown>(
    'query/identify',
    { signal },
    {
      lon: lon.toFixed(7),
      lat: lat.toFixed(7),
      layers: layers.join(','),
      tolerance_m: Math.max(1, Math.round(toleranceM)),
    },
  );
  return readIdentify(body);
}

/**
 * Accepts the identify answer either as `{layers: [{layer|id, features}]}` or as one FeatureCollection whose
 * features name their layer (`layer` member or property).
 */
export function readIdentify(body: unknown): IdentifiedLayer[] {
  const b = body as { layers?: unknown[]; features?: Array<Feature & { layer?: string }> };
  if (!Array.isArray(b.features) && Array.isArray(b.layers)) {
    return (b.layers as Array<{ layer?: string; id?: string; features?: Feature[] }>).map((l) => ({
      layer: String(l.layer ?? l.id),
      features: l.features ?? [],
    }));
  }
  const byLayer = new Map<string, Feature[]>();
  for (const f of b.features ?? []) {
    const layer = String(f.layer ?? f.properties?.layer ?? '');
    if (!byLayer.has(layer)) byLayer.set(layer, []);
    byLayer.get(layer)!.push(f);
  }
  return [...byLayer].map(([layer, features]) => ({ layer, features }));
}

/** Counts, areas and lengths of a layer inside a geometry (EPSG:4326), grouped by properties (none: one total). */
export async function summarise(layer: string, geometry: Geometry, groupBy: string[]): Promise<Summary> {
  const payload: Record<string, unknown> = { layer, geometry };
  if (groupBy.length) payload.groupBy = groupBy;
  const body = await request<SummaryAnswer>('query/summary', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const num = (v: number | undefined) => (v === undefined ? null : Number(v));
  // Without group-by properties the server may send only the total: it is then the one group.
  const rawGroups: Array<Partial<SummaryAnswer['groups'][number]>> =
    body.groups.length || groupBy.length || !body.total ? body.groups : [body.total];
  const groups = rawGroups.map((g) => ({
    values: groupBy.map((name) => g.key?.[name] ?? null),
    count: Number(g.count ?? 0),
    area_ha: num(g.area_ha),
    length_km: num(g.length_km),
  }));
  const sum = (k: 'area_ha' | 'length_km') =>
    groups.some((g) => g[k] !== null) ? groups.reduce((s, g) => s + (g[k] ?? 0), 0) : null;
  return {
    layer,
    groupBy,
    groups,
    total: body.total
      ? { count: Number(body.total.count), area_ha: num(body.total.area_ha), length_km: num(body.total.length_km) }
      : { count: groups.reduce((s, g) => s + g.count, 0), area_ha: sum('area_ha'), length_km: sum('length_km') },
    method: body.method ?? '',
  };
}

/** A land-use plan: a layer with each parcel's current code and planned code (the server's /query/conversions rule). */
export function isPlanLayer(layer: ViewerLayer): boolean {
  return ['current_code', 'code'].every((name) => layer.columns.some((c) => c.name === name));
}

/** What a land-use plan changes inside a geometry (EPSG:4326), per commune of 1 July 2025. */
export async function planConversions(layer: string, geometry: Geometry): Promise<Conversions> {
  return request<Conversions>('query/conversions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ layer, geometry }),
  });
}

/** Ranked, diacritic-insensitive search over places, administrative units and layer titles. */
export async function search(q: string, signal?: AbortSignal): Promise<SearchResult[]> {
  const body = await request<{ results?: SearchResult[]; features?: Array<Feature & { bbox?: number[] }> }>(
    'search',
    { signal },
    { q, limit: 8 },
  );
  if (Array.isArray(body.results)) return body.results;
  return (body.features ?? []).map((f) => ({
    name: String(f.properties?.name ?? ''),
    layer: String(f.properties?.layer ?? ''),
    id: (f.id as string | number | undefined) ?? null,
    kind: String(f.properties?.kind ?? ''),
    bbox: (f.bbox ?? [0, 0, 0, 0]) as SearchResult['bbox'],
  }));
}
