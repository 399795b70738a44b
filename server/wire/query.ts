/**
 * The answers of the spatial queries as the public API sends them: POST /query/summary and GET|POST
 * /query/conversions. The server builds them (server/query/) and the viewer reads them (viewer/src/api.ts).
 * Measures keep the unit in their published names (`area_ha`, `length_km`, `changed_ha`): see docs/ARCHITECTURE.md,
 * Naming. Pure types and one pure function (the CSV rows of conversions, written alike by the server's `f=csv`
 * and the viewer's download): see the `wire-is-pure` rule in .dependency-cruiser.cjs.
 */
import type { GeometryType } from './layer.ts';

/** A value of a group-by property (dates are sent as ISO 8601 text). */
export type GroupValue = string | number | boolean | null;

/** One group of a summary: the values of the groupBy properties, the count and the measure. */
export interface SummaryGroup {
  key: Record<string, GroupValue>;
  count: number;
  /** Hectares inside the drawn area (polygon layers). */
  area_ha?: number;
  /** Kilometres inside the drawn area (line layers). */
  length_km?: number;
}

/** The answer of POST /query/summary. */
export interface Summary {
  layer: string;
  geometryType: GeometryType;
  groupBy: string[];
  /** How the figures were measured, in words. */
  method: string;
  total: Omit<SummaryGroup, 'key'>;
  groups: SummaryGroup[];
}

/** How conversions are split: by today's commune (default), by the commune before 1 July 2025, or not at all. */
export type ConversionGrouping = 'commune_2025' | 'commune' | 'none';

/** A land-use code with its names, from the layer's style (the code data in `layers/`). */
export interface CodeName {
  code: string;
  vi: string | null;
  en: string | null;
}

/** Hectares and parcels of one conversion (current code -> planned code). */
export interface Conversion {
  from: CodeName;
  to: CodeName;
  area_ha: number;
  parcels: number;
}

/** The conversions of one group (a commune), with the plan area of the group inside the selection. */
export interface ConversionGroup {
  key: Record<string, GroupValue>;
  /** Hectares whose code the plan changes. */
  changed_ha: number;
  /** Hectares of the plan inside the selection, changed or not. */
  plan_area_ha: number;
  conversions: Conversion[];
}

/** The answer of /query/conversions. */
export interface Conversions {
  layer: string;
  groupBy: ConversionGrouping;
  /** The commune of 1 July 2025 asked for (its code), or null. */
  commune: string | null;
  /** The box the area came from (`bbox` parameter), or null. */
  bbox: [number, number, number, number] | null;
  /** True when a drawn area (POST `geometry`) was given. */
  geometry: boolean;
  method: string;
  total: { changed_ha: number; plan_area_ha: number; parcels_changed: number; parcels: number };
  /** Every conversion of the selection, all groups together, largest first. */
  conversions: Conversion[];
  groups: ConversionGroup[];
}

/** The conversions as CSV rows (one per group and conversion), header first; the caller writes them as CSV. */
export function conversionsTable(c: Conversions, groupColumns: readonly string[]): Array<Array<string | number>> {
  const head = [...groupColumns, 'from_code', 'from_vi', 'from_en', 'to_code', 'to_vi', 'to_en', 'area_ha', 'parcels'];
  const rows = c.groups.flatMap((g) =>
    g.conversions.map((v) => [
      ...groupColumns.map((name) => (g.key[name] === null || g.key[name] === undefined ? '' : String(g.key[name]))),
      v.from.code,
      v.from.vi ?? '',
      v.from.en ?? '',
      v.to.code,
      v.to.vi ?? '',
      v.to.en ?? '',
      v.area_ha,
      v.parcels,
    ]),
  );
  return [head, ...rows];
}
