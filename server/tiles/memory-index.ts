/**
 * In-memory tile index for small layers: the whole layer is read once, held as a geojson-vt index, and its
 * tiles are cut in Node with no database round trip. On embedded PostGIS a tile query is SQL in PGlite on
 * the same thread plus the Node encoder; cutting a tile from memory skips both.
 *
 * It gives the features of the SQL path (server/tiles/sql.ts): the same minzoom, tiny-polygon filter,
 * ranking by area or length with the same LIMIT below maxzoom, clusters on the same 16 x 16 grid, typed
 * properties, the 64-unit buffer and MVT winding. Geometry differs by simplification only (geojson-vt's
 * Douglas-Peucker in Web Mercator at the layer's simplifyPx, instead of ST_Simplify in EPSG:4326).
 *
 * An index is built when its layer loads (start, catalog reload, upload) and dropped the moment its
 * table reports a write (NOTIFY tile_changes): tiles then come from SQL until the rebuild is done.
 */
import GeoJSONVT from 'geojson-vt';
import type { Feature, Geometry } from 'geojson';
import type { Database } from '../db/database.ts';
import type { Layer } from '../catalog/catalog.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import type { Logger } from '../log.ts';
import { TileFeatureLimitError } from '../errors.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { encodeLayer, type VtFeature } from './encoder.ts';
import { latToTileY, lonToTileX, tileBuffer, tileExtent, tileUnitDegrees, type TileCoord } from './grid.ts';
import { describeTile, type TileRenderer, type TileRequest } from './render.ts';
import { clusterCellsAcross, isClustered, isRankable, maxCoarsen, propertyColumns, tileContent } from './sql.ts';

type Tags = VtFeature['tags'];

/** One row of a layer as the index holds it: id, EPSG:4326 geometry, MVT-typed properties (no nulls), size. */
export interface IndexedFeature {
  id: number;
  geometry: Geometry;
  properties: Tags;
  /** Planar area (polygons) or length (lines) in degrees, as ST_Area / ST_Length give it: the ranking key. */
  size: number;
}

/** What cutting a tile needs to know besides the layer: the feature cap and the byte budget of the tile. */
export interface CutLimits {
  maxFeatures: number;
  budgetBytes: number;
}

/** Bytes a feature is assumed to take in a dense low-zoom tile (as render.ts sizes the LIMIT of ranked layers). */
const bytesPerFeature = 64;

/** One layer's features in memory, cut into tiles on request. */
export class LayerIndex {
  private readonly vt: GeoJSONVT;
  private readonly sizes = new Map<number, number>();
  /** Points as [id, lon, lat], for clusters (geojson-vt does not cluster). */
  private readonly points: Array<[number, number, number]> = [];

  constructor(
    readonly layer: Layer,
    readonly features: readonly IndexedFeature[],
  ) {
    const collection: Feature[] = [];
    for (const f of features) {
      this.sizes.set(f.id, f.size);
      if (layer.geometryType === 'Point') collectPoints(f, this.points);
      collection.push({ type: 'Feature', id: f.id, geometry: f.geometry, properties: f.properties });
    }
    this.vt = new GeoJSONVT(
      { type: 'FeatureCollection', features: collection },
      {
        maxZoom: 24,
        indexMaxZoom: 5,
        tolerance: tileContent(layer).simplifyPx,
        extent: tileExtent,
        buffer: tileBuffer,
      },
    );
  }

  /**
   * The features of one tile, as the SQL path selects them; `keep` thins a tile over budget to its largest
   * features. Throws TileFeatureLimitError past the cap.
   */
  cut(coord: TileCoord, properties: readonly LayerColumn[] | undefined, limits: CutLimits, keep?: number): VtFeature[] {
    const { layer } = this;
    if (isClustered(layer, coord.z)) return this.clusters(coord, limits.maxFeatures + 1);
    let features: VtFeature[] = (this.vt.getTile(coord.z, coord.x, coord.y)?.features ?? []).map(
      (f) => ({ ...f, id: Number(f.id) }) as VtFeature,
    );
    const ranked = isRankable(layer, coord.z);
    if (layer.geometryType === 'Polygon' && ranked) {
      const unit = tileUnitDegrees(coord);
      const minArea = tileContent(layer).minAreaPx * 256 * unit.lon * unit.lat;
      features = features.filter((f) => this.sizes.get(f.id)! >= minArea);
    }
    let limit = keep ?? limits.maxFeatures + 1;
    if (ranked) {
      features.sort((a, b) => this.sizes.get(b.id)! - this.sizes.get(a.id)! || a.id - b.id);
      if (keep === undefined) limit = Math.min(limit, Math.max(1, Math.floor(limits.budgetBytes / bytesPerFeature)));
    }
    if (features.length > limit) features = features.slice(0, limit);
    if (features.length > limits.maxFeatures) {
      throw new TileFeatureLimitError(
        `${describeTile([layer], coord)} has more than ${limits.maxFeatures} features (TILE_MAX_FEATURES); zoom in, or raise the cap or the layer's minzoom`,
      );
    }
    if (!properties) return features;
    const names = properties.map((c) => c.name);
    return features.map((f) => ({ ...f, tags: pick(f.tags, names) }));
  }

  /** Clusters of the points inside the tile (no buffer): one per occupied cell, id the smallest, a `count`. */
  private clusters({ z, x, y }: TileCoord, limit: number): VtFeature[] {
    const cells = new Map<number, { id: number; n: number; lon: number; lat: number }>();
    for (const [id, lon, lat] of this.points) {
      const tx = lonToTileX(lon, z) - x;
      const ty = latToTileY(lat, z) - y;
      if (tx < 0 || tx > 1 || ty < 0 || ty > 1) continue;
      const key = Math.floor(tx * clusterCellsAcross) * 1024 + Math.floor(ty * clusterCellsAcross);
      const c = cells.get(key);
      if (c) {
        c.id = Math.min(c.id, id);
        c.n++;
        c.lon += lon;
        c.lat += lat;
      } else cells.set(key, { id, n: 1, lon, lat });
    }
    const out: VtFeature[] = [];
    for (const c of cells.values()) {
      if (out.length === limit) break;
      const px = Math.round((lonToTileX(c.lon / c.n, z) - x) * tileExtent);
      const py = Math.round((latToTileY(c.lat / c.n, z) - y) * tileExtent);
      out.push({ id: c.id, type: 1, geometry: [[px, py]], tags: { count: c.n } });
    }
    return out;
  }
}

function collectPoints(f: IndexedFeature, out: Array<[number, number, number]>): void {
  const g = f.geometry;
  if (g.type === 'Point') out.push([f.id, g.coordinates[0], g.coordinates[1]]);
  else if (g.type === 'MultiPoint') for (const p of g.coordinates) out.push([f.id, p[0], p[1]]);
}

function pick(tags: Tags, names: readonly string[]): Tags {
  const out: Tags = {};
  for (const n of names) if (n in tags) out[n] = tags[n];
  return out;
}

/** A column as the value the SQL path puts in a tile (render/sql.ts's propertyExpr): int8, float8, ISO text. */
function loadExpr(c: LayerColumn): string {
  const col = `t.${quoteIdent(c.name)}`;
  if (c.type === 'integer') return `${col}::int8`;
  if (c.type === 'number') return `${col}::float8`;
  if (c.type === 'boolean') return `${col}::boolean`;
  if (c.type === 'date' || c.type === 'datetime') return `to_json(${col}) #>> '{}'`;
  return `${col}::text`;
}

/** A property value as MVT can carry it; null drops the key (MVT has no null). */
function tagValue(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}

/** Reads every feature of a layer, or null when it has more than `max` (the SQL path serves it). */
export async function loadLayerFeatures(db: Database, layer: Layer, max: number): Promise<IndexedFeature[] | null> {
  const [{ n }] = await db.rows<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${layer.tableSql} LIMIT ?::int) s`,
    [max + 1],
  );
  if (n > max) return null;
  const cols = propertyColumns(layer);
  const size =
    layer.geometryType === 'Polygon' ? 'ST_Area(t.geom)' : layer.geometryType === 'LineString' ? 'ST_Length(t.geom)' : '0';
  const props = cols.map((c, i) => `, ${loadExpr(c)} AS p${i}`).join('');
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT t.${quoteIdent('id')} AS __fid${props}, ST_AsGeoJSON(t.geom, 9) AS __geom, ${size}::float8 AS __size
       FROM ${layer.tableSql} t WHERE t.geom IS NOT NULL`,
  );
  return rows.map((r) => {
    const properties: Tags = {};
    cols.forEach((c, i) => {
      const v = tagValue(r[`p${i}`]);
      if (v !== null) properties[c.name] = v;
    });
    return { id: Number(r.__fid), geometry: JSON.parse(r.__geom as string) as Geometry, properties, size: Number(r.__size) };
  });
}

interface Slot {
  /** The layer version the slot is for (`id@dataVersion@table`). */
  version: string;
  /** Bumped by every change; a build that finishes under an older generation is thrown away. */
  generation: number;
  index: LayerIndex | null;
  timer: NodeJS.Timeout | null;
  building: Promise<void> | null;
}

/** Settings of the indexes (read per use, so tests may change them). */
export interface MemoryIndexSettings {
  /** Layers with more features than this stay on the SQL path; 0 = no index at all. */
  maxFeatures: () => number;
  /** Delay (ms) before a changed layer is read again, so a burst of edits costs one rebuild. */
  rebuildDelayMs: number;
}

/** The in-memory indexes of one tile service, one per small layer, kept in step with the data. */
export class MemoryIndexes {
  private readonly slots = new Map<string, Slot>();
  /** Builds still running, also those of layers forgotten meanwhile (their result is dropped when they end). */
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly settings: MemoryIndexSettings,
  ) {}

  /** The ready index of this layer version, or undefined (SQL path). */
  get(layer: Layer): LayerIndex | undefined {
    const slot = this.slots.get(layer.id);
    return slot?.version === versionOf(layer) ? (slot.index ?? undefined) : undefined;
  }

  /** Builds the index of a layer version if it is small enough; resolves when built (or found too large). */
  load(layer: Layer): Promise<void> {
    if (this.settings.maxFeatures() <= 0) return Promise.resolve();
    let slot = this.slots.get(layer.id);
    if (slot?.version === versionOf(layer) && (slot.index || slot.building)) return slot.building ?? Promise.resolve();
    if (slot?.timer) clearTimeout(slot.timer);
    slot = { version: versionOf(layer), generation: (slot?.generation ?? 0) + 1, index: null, timer: null, building: null };
    this.slots.set(layer.id, slot);
    return this.build(layer, slot);
  }

  /**
   * The layer's table was written: its index is dropped now (the next tile comes from SQL) and rebuilt after
   * the rebuild delay. `current` finds the layer's current version when the rebuild starts.
   */
  changed(layer: Layer, current: () => Layer | undefined): void {
    const slot = this.slots.get(layer.id);
    if (!slot) return;
    slot.generation++;
    slot.index = null;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      slot.timer = null;
      const now = current();
      if (now && versionOf(now) === slot.version) void this.build(now, slot);
    }, this.settings.rebuildDelayMs);
    slot.timer.unref();
  }

  /** Forgets a layer (removed, or replaced by a new version that `load` will build). */
  forget(id: string): void {
    const slot = this.slots.get(id);
    if (slot?.timer) clearTimeout(slot.timer);
    if (slot) slot.generation++;
    this.slots.delete(id);
  }

  /** Drops every index (close). */
  clear(): void {
    for (const id of [...this.slots.keys()]) this.forget(id);
  }

  /** Number of indexed layers and their features (for logs and the benchmark). */
  stats(): { layers: number; features: number } {
    let layers = 0;
    let features = 0;
    for (const s of this.slots.values()) {
      if (!s.index) continue;
      layers++;
      features += s.index.features.length;
    }
    return { layers, features };
  }

  private build(layer: Layer, slot: Slot): Promise<void> {
    const generation = slot.generation;
    const started = performance.now();
    const work = loadLayerFeatures(this.db, layer, this.settings.maxFeatures()).then(
      (features) => {
        if (slot.generation !== generation || this.slots.get(layer.id) !== slot) return;
        slot.index = features ? new LayerIndex(layer, features) : null;
        if (features) {
          this.log.debug(
            { layer: layer.id, features: features.length, ms: Math.round(performance.now() - started) },
            'tile memory index built',
          );
        }
      },
      (err: Error) =>
        this.log.warn({ layer: layer.id, err: err.message }, 'cannot build the tile memory index; its tiles come from SQL'),
    );
    slot.building = work.finally(() => {
      if (slot.building === tracked) slot.building = null;
      this.running.delete(tracked);
    });
    const tracked = slot.building;
    this.running.add(tracked);
    return tracked;
  }

  /**
   * Resolves once no build runs or waits for its delay (a close, a benchmark or a memory measurement waits for the
   * indexes to stop allocating).
   */
  async settled(): Promise<void> {
    const waiting = () => [...this.slots.values()].some((s) => s.timer !== null);
    while (this.running.size || waiting()) {
      await Promise.all([...this.running]);
      if (waiting()) await new Promise((r) => setTimeout(r, this.settings.rebuildDelayMs));
    }
  }
}

function versionOf(layer: Layer): string {
  return `${layer.id}@${layer.dataVersion}@${layer.table}`;
}

/**
 * A whole tile from the indexes where a layer has one and from SQL for the others; the byte budget is
 * shared (the indexed layers get what the SQL layers left), and an indexed layer over it keeps only its
 * largest features, in proportion to the excess, as the SQL renderer does.
 */
export async function renderTile(
  req: TileRequest,
  renderer: TileRenderer,
  indexes: MemoryIndexes,
  limits: CutLimits,
  signal?: AbortSignal,
): Promise<Buffer> {
  const { z } = req.coord;
  const layers = req.layers.filter((l) => z >= l.minzoom);
  const indexed = layers.flatMap((l) => {
    const index = indexes.get(l);
    return index ? [index] : [];
  });
  if (indexed.length === 0) return renderer.tile(req, signal);
  const sqlLayers = layers.filter((l) => !indexes.get(l));
  const sqlPart = sqlLayers.length ? await renderer.tile({ ...req, layers: sqlLayers }, signal) : Buffer.alloc(0);
  const budget = Math.max(0, limits.budgetBytes - sqlPart.length);
  const cutLimits = { maxFeatures: limits.maxFeatures, budgetBytes: budget };
  const features = indexed.map((ix) => ix.cut(req.coord, req.properties?.get(ix.layer.id), cutLimits));
  const parts = indexed.map((ix, i) => encodeLayer(ix.layer.id, features[i]));
  const size = (i: number) => parts[i]?.length ?? 0;
  const levels = indexed.map(() => 0);
  for (;;) {
    const total = parts.reduce((sum, _, i) => sum + size(i), 0);
    if (total <= budget) break;
    let pick = -1;
    indexed.forEach((ix, i) => {
      const l = ix.layer;
      const thinnable = levels[i] < maxCoarsen && z < l.maxzoom && l.geometryType !== 'Point' && features[i].length > 1;
      if (thinnable && (pick < 0 || size(i) > size(pick))) pick = i;
    });
    if (pick < 0) break;
    const share = Math.max(0.05, Math.min(0.8, (size(pick) - (total - budget * 0.9)) / size(pick)));
    levels[pick]++;
    const keep = Math.max(1, Math.floor(features[pick].length * share));
    features[pick] = indexed[pick].cut(req.coord, req.properties?.get(indexed[pick].layer.id), cutLimits, keep);
    parts[pick] = encodeLayer(indexed[pick].layer.id, features[pick]);
  }
  return Buffer.concat([sqlPart, ...parts.filter((p): p is Buffer => p !== null)]);
}
