/**
 * Spatial queries for planners over catalog layers: identify, nearest, within, intersects, summary, and the conversions
 * of a land-use plan.
 * Input and output geometry are GeoJSON in EPSG:4326; distances in metres, areas in hectares, lengths in km.
 */
import type { Geometry } from 'geojson';
import type { Layer } from '../catalog/catalog.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import type { Database } from '../db/database.ts';
import { queryRows } from '../db/rows.ts';
import { InvalidParameterError } from '../errors.ts';
import { Utf8Builder } from '../features/bytes.ts';
import {
  communeKnownQuery,
  conversionsQuery,
  identifyQuery,
  intersectsQuery,
  measureOf,
  nearestQuery,
  summaryQuery,
  withinQuery,
} from './sql.ts';
import { conversionsOf, groupValue, type ConversionRow, type Conversions, type ConversionsQuery } from './conversions.ts';
import type { Summary, SummaryGroup } from '../wire/query.ts';

export type { Summary, SummaryGroup } from '../wire/query.ts';
import type { LonLat } from './distance.ts';

interface FeatureRow {
  layer?: string;
  /** The feature id as JSON text (a number, or a quoted string for a text key). */
  id: string;
  g: string | null;
  p: string;
  d: number | null;
}

/** A GeoJSON FeatureCollection as UTF-8 bytes, plus how many features it holds. */
export interface FeatureCollectionText {
  json: Buffer;
  count: number;
}

/** How the summary measures, stated in every response. */
export const summaryMethod = {
  area: 'hectares of ST_Intersection(feature, geometry) in EPSG:4326, measured with ST_Area on the WGS 84 ellipsoid (geography)',
  length:
    'kilometres of ST_Intersection(feature, geometry) in EPSG:4326, measured with ST_Length on the WGS 84 ellipsoid (geography)',
  count: 'features intersecting the geometry (ST_Intersects)',
} as const;

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A Feature with the foreign members `layer` and, where measured, `distance_m` (ellipsoidal metres, mm precision). */
function featureText(row: FeatureRow, layerId: string): string {
  const distance = row.d === null || row.d === undefined ? '' : `,"distance_m":${round(Number(row.d), 3)}`;
  return `{"type":"Feature","id":${row.id},"layer":${JSON.stringify(layerId)}${distance},"geometry":${row.g ?? 'null'},"properties":${row.p}}`;
}

function collection(features: string[], members: Record<string, unknown>): FeatureCollectionText {
  const head = JSON.stringify({ type: 'FeatureCollection', ...members });
  const body = new Utf8Builder()
    .add(`${head.slice(0, -1)},"features":[`)
    .addList(features)
    .add(']}');
  return { json: body.take(), count: features.length };
}

/** Runs the spatial queries. */
export class QueryService {
  constructor(private readonly db: Database) {}

  /** Features at a point in every given layer, topmost (highest sortOrder) first. */
  async identify(
    layers: readonly Layer[],
    at: LonLat,
    toleranceM: number,
    perLayer: number,
    signal?: AbortSignal,
  ): Promise<FeatureCollectionText> {
    const ordered = [...layers].sort((a, b) => b.sortOrder - a.sortOrder || a.id.localeCompare(b.id));
    if (!ordered.length) return collection([], { point: [at.lon, at.lat], tolerance_m: toleranceM, layers: [] });
    const q = identifyQuery(ordered, at, toleranceM, perLayer);
    const rows = await queryRows<FeatureRow & { layer: string }>(this.db, q.sql, q.bindings, signal, { prepare: true });
    return collection(
      rows.map((r) => featureText(r, r.layer)),
      { point: [at.lon, at.lat], tolerance_m: toleranceM, layers: ordered.map((l) => l.id) },
    );
  }

  /** The k nearest features with their distance in metres on the ellipsoid. */
  async nearest(layer: Layer, at: LonLat, k: number, signal?: AbortSignal): Promise<FeatureCollectionText> {
    const q = nearestQuery(layer, at, k);
    const rows = await queryRows<FeatureRow>(this.db, q.sql, q.bindings, signal, { prepare: true });
    return collection(
      rows.map((r) => featureText(r, layer.id)),
      { layer: layer.id, point: [at.lon, at.lat], k },
    );
  }

  /** Features within a radius (metres, ellipsoid), nearest first. */
  async within(layer: Layer, at: LonLat, radiusM: number, limit: number, signal?: AbortSignal): Promise<FeatureCollectionText> {
    const q = withinQuery(layer, at, radiusM, limit);
    const rows = await queryRows<FeatureRow>(this.db, q.sql, q.bindings, signal, { prepare: true });
    return collection(
      rows.slice(0, limit).map((r) => featureText(r, layer.id)),
      {
        layer: layer.id,
        point: [at.lon, at.lat],
        radius_m: radiusM,
        limit,
        truncated: rows.length > limit,
      },
    );
  }

  /** Features intersecting a geometry. */
  async intersects(layer: Layer, geometry: Geometry, limit: number, signal?: AbortSignal): Promise<FeatureCollectionText> {
    const q = intersectsQuery(layer, JSON.stringify(geometry), limit);
    const rows = await queryRows<FeatureRow>(this.db, q.sql, q.bindings, signal);
    return collection(
      rows.slice(0, limit).map((r) => featureText(r, layer.id)),
      { layer: layer.id, limit, truncated: rows.length > limit },
    );
  }

  /** Count and area/length inside a geometry, grouped by columns (already resolved through the catalog). */
  async summary(layer: Layer, geometry: Geometry, groupBy: readonly LayerColumn[], signal?: AbortSignal): Promise<Summary> {
    const q = summaryQuery(layer, JSON.stringify(geometry), groupBy);
    const rows = await queryRows<Record<string, unknown>>(this.db, q.sql, q.bindings, signal);
    const measure = measureOf(layer);
    const measureOfRow = (r: Record<string, unknown>): Omit<SummaryGroup, 'key'> => {
      const out: Omit<SummaryGroup, 'key'> = { count: Number(r.count) };
      if (measure === 'area') out.area_ha = round(Number(r.area_ha ?? 0), 4);
      if (measure === 'length') out.length_km = round(Number(r.length_km ?? 0), 4);
      return out;
    };
    const groups = groupBy.length
      ? rows.map((r) => ({
          key: Object.fromEntries(groupBy.map((c, i) => [c.name, groupValue(r[`k${i}`])])),
          ...measureOfRow(r),
        }))
      : [];
    const total = groupBy.length
      ? groups.reduce<Omit<SummaryGroup, 'key'>>(
          (acc, g) => ({
            count: acc.count + g.count,
            ...(measure === 'area' ? { area_ha: round((acc.area_ha ?? 0) + (g.area_ha ?? 0), 4) } : {}),
            ...(measure === 'length' ? { length_km: round((acc.length_km ?? 0) + (g.length_km ?? 0), 4) } : {}),
          }),
          { count: 0, ...(measure === 'area' ? { area_ha: 0 } : {}), ...(measure === 'length' ? { length_km: 0 } : {}) },
        )
      : measureOfRow(rows[0] ?? { count: 0 });
    return {
      layer: layer.id,
      geometryType: layer.geometryType,
      groupBy: groupBy.map((c) => c.name),
      method: summaryMethod[measure],
      total,
      groups,
    };
  }

  /** Hectares each current code is planned to become another code, per group (see conversions.ts). */
  async conversions(q: ConversionsQuery, signal?: AbortSignal): Promise<Conversions> {
    const sql = conversionsQuery(q);
    const rows = await queryRows<ConversionRow>(this.db, sql.sql, sql.bindings, signal);
    if (q.commune && !rows.length) {
      // Nothing in the commune: a commune the plan does not reach has no conversions, an unknown code is a mistake.
      const check = communeKnownQuery(q.commune.code);
      const [{ known, mapped }] = await queryRows<{ known: boolean; mapped: boolean }>(
        this.db,
        check.sql,
        check.bindings,
        signal,
      );
      if (mapped && !known) {
        throw new InvalidParameterError(
          `parameter "commune": "${q.commune.code}" is not the code of a commune or ward of 1 July 2025 in this province`,
          'commune',
        );
      }
    }
    return conversionsOf(q, rows);
  }
}
