/**
 * What a land-use plan changes: hectares of each current code planned to become another code, per commune, for the
 * whole plan, a commune of 1 July 2025, or an area (a drawn shape or a box, GeoJSON in EPSG:4326). A plan layer holds
 * one record per parcel with its current code (`current_code`) and its planned code (`code`), like
 * `landuse_plan_2030` (migration 014). Areas are geodesic (WGS 84 ellipsoid); a parcel belongs to the commune that
 * holds a point on its surface, so the communes add up to the whole (server/seed/commune-codes.ts).
 */
import type { Geometry } from 'geojson';
import type { Layer } from '../catalog/catalog.ts';
import type { LayerColumn, LayerStyle } from '../catalog/definition.ts';
import type { CodeName, Conversion, ConversionGroup, ConversionGrouping, Conversions, GroupValue } from '../wire/query.ts';

export type { CodeName, Conversion, ConversionGroup, ConversionGrouping, Conversions } from '../wire/query.ts';
export { conversionsTable } from '../wire/query.ts';

/** The columns of a plan layer: current code (from) and planned code (to). */
export const planColumns = { from: 'current_code', to: 'code' } as const;

/** The column naming today's commune (code of 1 July 2025), which `commune` filters on. */
export const communeColumn = 'commune_code_2025';

/** How conversions are split: by today's commune (default), by the commune before 1 July 2025, or not at all. */
export const conversionGroupings = {
  commune_2025: ['commune_code_2025', 'commune_name_2025'],
  commune: ['district_name', 'commune_code', 'commune_name'],
  none: [],
} as const satisfies Record<ConversionGrouping, readonly string[]>;

/** A conversions request whose names are resolved through the catalog (built at the HTTP edge). */
export interface ConversionsQuery {
  layer: Layer;
  from: LayerColumn;
  to: LayerColumn;
  grouping: ConversionGrouping;
  /** The columns of `grouping`, in order. */
  groupBy: readonly LayerColumn[];
  /** Only parcels of this commune of 1 July 2025 (its code), or null; `communeColumn` when set. */
  commune: { code: string; column: LayerColumn } | null;
  /** Only the parts of parcels inside this area (EPSG:4326), or null for whole parcels. */
  geometry: Geometry | null;
  /** The box the area came from (`bbox` parameter), echoed in the answer; null for a drawn area or none. */
  bbox: [number, number, number, number] | null;
}

/** One row of the conversions SQL: group keys k0.., current code f, planned code c, parcels, hectares. */
export type ConversionRow = Record<string, unknown> & { f: string | null; c: string | null; parcels: number; area_ha: number };

/** How the conversions are measured, stated in every answer. */
export const conversionsMethod =
  'hectares of each parcel (of its part inside the area, ST_Intersection in EPSG:4326, when an area is given), measured with ST_Area on the WGS 84 ellipsoid (geography); a parcel counts for the commune that holds ST_PointOnSurface of it';

/**
 * Vietnamese and English names of the codes, from a categorical style whose labels read "CODE: name" (the form the
 * land-use layers use, test/unit/landuse-legend.test.ts).
 */
export function codeNames(style: LayerStyle, property: string): Map<string, { vi: string; en: string }> {
  const names = new Map<string, { vi: string; en: string }>();
  if (style.type !== 'categorical' || style.property !== property) return names;
  for (const c of style.categories ?? []) {
    const code = String(c.value);
    const strip = (text: string) => (text.startsWith(`${code}: `) ? text.slice(code.length + 2) : text);
    names.set(code, { vi: strip(c.label.vi), en: strip(c.label.en) });
  }
  return names;
}

/** A group key's value as the answer sends it (a date as ISO 8601 text, as JSON would write it). */
export function groupValue(v: unknown): GroupValue {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.toISOString();
  return v as GroupValue;
}

function round(n: number): number {
  return Math.round(n * 1e4) / 1e4;
}

/** Largest first, then by codes, so equal answers read the same. */
function byArea(a: Conversion, b: Conversion): number {
  return b.area_ha - a.area_ha || a.from.code.localeCompare(b.from.code) || a.to.code.localeCompare(b.to.code);
}

/** Shapes the rows of conversionsQuery into the answer: groups, their conversions, and the same summed over groups. */
export function conversionsOf(q: ConversionsQuery, rows: readonly ConversionRow[]): Conversions {
  const names = codeNames(q.layer.style, q.to.name);
  const named = (code: string | null): CodeName => {
    const c = code ?? '';
    const n = names.get(c);
    return { code: c, vi: n?.vi ?? null, en: n?.en ?? null };
  };
  const groups = new Map<string, ConversionGroup>();
  const all = new Map<string, Conversion>();
  const total = { changed_ha: 0, plan_area_ha: 0, parcels_changed: 0, parcels: 0 };
  for (const r of rows) {
    const key = Object.fromEntries(q.groupBy.map((c, i) => [c.name, groupValue(r[`k${i}`])]));
    const id = JSON.stringify(q.groupBy.map((_, i) => r[`k${i}`] ?? null));
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key, changed_ha: 0, plan_area_ha: 0, conversions: [] }));
    const area = Number(r.area_ha);
    const parcels = Number(r.parcels);
    g.plan_area_ha += area;
    total.plan_area_ha += area;
    total.parcels += parcels;
    if ((r.f ?? '') === (r.c ?? '')) continue;
    g.changed_ha += area;
    total.changed_ha += area;
    total.parcels_changed += parcels;
    g.conversions.push({ from: named(r.f), to: named(r.c), area_ha: round(area), parcels });
    const pair = `${r.f}\u0000${r.c}`;
    const sum = all.get(pair) ?? { from: named(r.f), to: named(r.c), area_ha: 0, parcels: 0 };
    sum.area_ha += area;
    sum.parcels += parcels;
    all.set(pair, sum);
  }
  const out = [...groups.values()]
    .filter((g) => g.conversions.length)
    .map((g) => ({
      ...g,
      changed_ha: round(g.changed_ha),
      plan_area_ha: round(g.plan_area_ha),
      conversions: g.conversions.sort(byArea),
    }))
    .sort((a, b) => b.changed_ha - a.changed_ha || JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)));
  return {
    layer: q.layer.id,
    groupBy: q.grouping,
    commune: q.commune?.code ?? null,
    bbox: q.bbox,
    geometry: q.geometry !== null && q.bbox === null,
    method: conversionsMethod,
    total: {
      changed_ha: round(total.changed_ha),
      plan_area_ha: round(total.plan_area_ha),
      parcels_changed: total.parcels_changed,
      parcels: total.parcels,
    },
    conversions: [...all.values()].map((c) => ({ ...c, area_ha: round(c.area_ha) })).sort(byArea),
    groups: out,
  };
}
