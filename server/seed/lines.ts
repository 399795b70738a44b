/**
 * Plausible lines between fixed points: a smooth seeded meander added to each straight leg, then the
 * line is clipped to the province outline in PostGIS. Coordinates are lon/lat (EPSG:4326).
 */
import type { LineString } from 'geojson';
import { outlineTable } from './sql.ts';
import type { Random } from './random.ts';

/** A lon/lat pair. */
export type LonLat = [number, number];

/** Metres per degree of latitude, and of longitude at the equator (spherical approximation, good to 0.5 %). */
const metresPerDegree = 111_320;

/** Approximate distance in metres between two lon/lat points (equirectangular; fine over a province). */
export function distanceM(a: LonLat, b: LonLat): number {
  const k = Math.cos((((a[1] + b[1]) / 2) * Math.PI) / 180);
  return Math.hypot((b[0] - a[0]) * k, b[1] - a[1]) * metresPerDegree;
}

/**
 * Adds a smooth sideways wander to every leg of `points`: the offset is a sum of three sine modes that
 * vanish at the leg's ends, at most about `amplitude` times the leg length. `stepM` is the vertex spacing.
 */
export function meander(points: LonLat[], rng: Random, amplitude: number, stepM: number): LonLat[] {
  const out: LonLat[] = [points[0]];
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1], points[i]];
    const k = Math.cos((a[1] * Math.PI) / 180);
    // Work in local metres: x east, y north.
    const dx = (b[0] - a[0]) * k * metresPerDegree;
    const dy = (b[1] - a[1]) * metresPerDegree;
    const length = Math.hypot(dx, dy);
    const modes = [1, 2, 3].map((m) => rng.range(-amplitude, amplitude) / m);
    const n = Math.max(2, Math.ceil(length / stepM));
    for (let j = 1; j <= n; j++) {
      const t = j / n;
      const offset = j === n ? 0 : length * modes.reduce((s, c, m) => s + c * Math.sin((m + 1) * Math.PI * t), 0);
      const x = dx * t + (-dy / length) * offset;
      const y = dy * t + (dx / length) * offset;
      out.push([a[0] + x / (k * metresPerDegree), a[1] + y / metresPerDegree]);
    }
  }
  return out.map(([x, y]) => [Math.round(x * 1e6) / 1e6, Math.round(y * 1e6) / 1e6]);
}

/** GeoJSON of a line. */
export function lineString(coords: LonLat[]): LineString {
  return { type: 'LineString', coordinates: coords };
}

/**
 * SQL (a FROM item) of the records in the bound JSON array `rows` (each with a GeoJSON `geom`) clipped to
 * the province outline: one row per remaining LineString piece, with `r.*`, `piece` and `geom`.
 * Pieces shorter than 30 m (corner cuts at the border) are left out.
 */
export function clippedLinesFrom(recordType: string): string {
  return `(
    SELECT r.*, coalesce(d.path[1], 0) AS piece, d.geom AS clipped
    FROM jsonb_to_recordset(?::jsonb) AS r(${recordType}, geom jsonb)
    CROSS JOIN ${outlineTable} o
    CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_GeomFromGeoJSON(r.geom::text), 4326) AS g) l
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(
      CASE WHEN ST_CoveredBy(l.g, o.geom) THEN l.g ELSE ST_Intersection(l.g, o.geom) END, 2)) d
    WHERE ST_Length(d.geom::geography) >= 30
  ) AS x`;
}

/** What every generated line record carries; modules add their own columns. */
export interface LineRow {
  /** Draw/insert order: ids follow it. */
  ord: number;
  name: string;
  geom: LineString;
}
