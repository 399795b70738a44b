/**
 * The Node encoder for databases without ST_AsMVT (embedded PostGIS): rows whose geometry is already
 * clipped, in tile coordinates (0..4096, y down), snapped and wound in SQL, become one MVT 2.1 layer
 * through vt-pbf, which takes geojson-vt-shaped features ({id, type 1|2|3, geometry, tags}).
 */
import vtpbf from 'vt-pbf';
import { tileExtent } from './grid.ts';

type Position = [number, number];

/** A feature as geojson-vt hands it to vt-pbf: points are a list of positions, lines and polygons a list of rings. */
export interface VtFeature {
  id: number;
  type: 1 | 2 | 3;
  geometry: Position[] | Position[][];
  tags: Record<string, string | number | boolean>;
}

interface GeoJsonGeometry {
  type: string;
  coordinates: unknown;
}

/** Turns GeoJSON in tile coordinates into a vt-pbf feature geometry; null when nothing is left after clipping. */
export function toVtGeometry(g: GeoJsonGeometry): Pick<VtFeature, 'type' | 'geometry'> | null {
  switch (g.type) {
    case 'Point':
      return { type: 1, geometry: [g.coordinates as Position] };
    case 'MultiPoint': {
      const pts = g.coordinates as Position[];
      return pts.length ? { type: 1, geometry: pts } : null;
    }
    case 'LineString': {
      const line = g.coordinates as Position[];
      return line.length >= 2 ? { type: 2, geometry: [line] } : null;
    }
    case 'MultiLineString': {
      const lines = (g.coordinates as Position[][]).filter((l) => l.length >= 2);
      return lines.length ? { type: 2, geometry: lines } : null;
    }
    case 'Polygon': {
      const rings = (g.coordinates as Position[][]).filter((r) => r.length >= 4);
      return rings.length ? { type: 3, geometry: rings } : null;
    }
    case 'MultiPolygon': {
      // MVT has no multipolygon: rings follow one another, each exterior starting a new polygon.
      const rings = (g.coordinates as Position[][][]).flatMap((p) => (p[0]?.length >= 4 ? p.filter((r) => r.length >= 4) : []));
      return rings.length ? { type: 3, geometry: rings } : null;
    }
    default:
      return null;
  }
}

/** A row from the `node` tile query: `__fid`, `__geom` (GeoJSON text or null) and the properties. */
export type NodeTileRow = Record<string, unknown> & { __fid: number | string | bigint; __geom: string | null };

/** A property value as MVT can carry it; null drops the key (MVT has no null). */
function tagValue(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

/** The features of rows; rows whose geometry vanished in clipping or snapping are left out. */
export function rowsToFeatures(rows: readonly NodeTileRow[]): VtFeature[] {
  const features: VtFeature[] = [];
  for (const row of rows) {
    if (row.__geom === null) continue;
    const geometry = toVtGeometry(JSON.parse(row.__geom) as GeoJsonGeometry);
    if (!geometry) continue;
    const tags: VtFeature['tags'] = {};
    for (const key in row) {
      if (key === '__fid' || key === '__geom') continue;
      const v = tagValue(row[key]);
      if (v !== null) tags[key] = v;
    }
    features.push({ id: Number(row.__fid), ...geometry, tags });
  }
  return features;
}

/** Encodes one MVT layer named `name`; null when it has no features (the tile then omits it). */
export function encodeLayer(name: string, features: VtFeature[]): Buffer | null {
  if (features.length === 0) return null;
  const bytes = vtpbf.fromGeojsonVt({ [name]: { features } }, { version: 2, extent: tileExtent });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
