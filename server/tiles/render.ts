/**
 * Rendering one tile from the database: one query per layer (run in parallel on the server pool), each
 * giving one MVT layer; the layers are concatenated (an MVT tile is a sequence of layer messages).
 * The SQL text is built once per layer version, property selection and mode, and cached.
 */
import type { Database } from '../db/database.ts';
import type { Layer } from '../catalog/catalog.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import { HttpError, InvalidParameterError } from '../http/errors.ts';
import { encodeLayer, rowsToFeatures, type NodeTileRow } from './encoder.ts';
import type { TileCoord } from './grid.ts';
import { isClustered, propertyColumns, tileBindings, tileQuery, type Encoder, type TileQueryShape } from './sql.ts';

/** What one tile request asks for, resolved through the catalog. */
export interface TileRequest {
  layers: readonly Layer[];
  coord: TileCoord;
  /** Property names per layer id; absent = all of the layer's properties. */
  properties?: ReadonlyMap<string, readonly LayerColumn[]>;
}

/**
 * Resolves `?properties=a,b` for the layers of a tile: each layer carries the names it has; a name that
 * no layer has is a 400 naming it.
 */
export function selectProperties(layers: readonly Layer[], names: readonly string[] | undefined): Map<string, LayerColumn[]> | undefined {
  if (names === undefined) return undefined;
  const out = new Map<string, LayerColumn[]>();
  for (const layer of layers) {
    const allowed = new Map(propertyColumns(layer).map((c) => [c.name, c]));
    out.set(layer.id, names.flatMap((n) => allowed.get(n) ?? []));
  }
  for (const n of names) {
    if (!layers.some((l) => l.column(n) && n !== 'id' && n !== 'geom')) {
      throw new InvalidParameterError(`properties: "${n}" is not a property of ${layers.map((l) => l.id).join(', ')}`);
    }
  }
  return out;
}

/** "layer a tile z/x/y" for messages. */
export function describeTile(layers: readonly Layer[], { z, x, y }: TileCoord): string {
  return `${layers.length > 1 ? 'layers' : 'layer'} ${layers.map((l) => l.id).join(',')} tile ${z}/${x}/${y}`;
}

/** A tile whose layer holds more features than the cap (TILE_MAX_FEATURES). */
export class TileFeatureLimitError extends HttpError {
  constructor(layer: Layer, coord: TileCoord, cap: number) {
    super(500, 'TileFeatureLimit', `${describeTile([layer], coord)} has more than ${cap} features (TILE_MAX_FEATURES); zoom in, or raise the cap or the layer's minzoom`);
  }
}

/** Builds and runs tile SQL for one database. */
export class TileRenderer {
  private readonly sqlCache = new Map<string, string>();
  readonly encoder: Encoder;

  constructor(private readonly db: Database, private readonly maxFeatures: () => number) {
    this.encoder = db.capabilities.mvt ? 'mvt' : 'node';
  }

  /** The query shape of a layer at a zoom with an optional property selection. */
  shape(layer: Layer, z: number, properties: readonly LayerColumn[] | undefined, encoder: Encoder = this.encoder): TileQueryShape {
    return { encoder, cluster: isClustered(layer, z), properties: properties ?? propertyColumns(layer) };
  }

  /** The SQL text and bindings of one layer's tile (also used by the benchmark's raw run). */
  query(layer: Layer, coord: TileCoord, properties?: readonly LayerColumn[], encoder: Encoder = this.encoder): { sql: string; bindings: unknown[] } {
    const shape = this.shape(layer, coord.z, properties, encoder);
    const cacheKey = `${layer.id}@${layer.dataVersion}|${layer.tableSql}|${shape.encoder}|${shape.cluster ? 'c' : 'f'}|${shape.properties.map((c) => `${c.name}:${c.type}`).join(',')}`;
    let sql = this.sqlCache.get(cacheKey);
    if (sql === undefined) {
      sql = tileQuery(layer, shape);
      if (this.sqlCache.size > 1000) this.sqlCache.clear(); // old layer versions; rebuilt on use
      this.sqlCache.set(cacheKey, sql);
    }
    return { sql, bindings: tileBindings(layer, shape, coord, this.maxFeatures() + 1) };
  }

  /** One layer's MVT bytes, or null when it has no feature in the tile (or the zoom is below its minzoom). */
  async layer(layer: Layer, coord: TileCoord, properties: readonly LayerColumn[] | undefined, signal?: AbortSignal, encoder: Encoder = this.encoder): Promise<Buffer | null> {
    if (coord.z < layer.minzoom) return null;
    const { sql, bindings } = this.query(layer, coord, properties, encoder);
    const cap = this.maxFeatures();
    if (encoder === 'mvt') {
      const [row] = await this.db.cancellableRows<{ tile: Buffer | null; n: number }>(sql, bindings, signal);
      if (row && row.n > cap) throw new TileFeatureLimitError(layer, coord, cap);
      return row?.tile && row.tile.length > 0 ? Buffer.from(row.tile) : null;
    }
    const rows = await this.db.cancellableRows<NodeTileRow>(sql, bindings, signal);
    if (rows.length > cap) throw new TileFeatureLimitError(layer, coord, cap);
    return encodeLayer(layer.id, rowsToFeatures(rows));
  }

  /** The whole tile (uncompressed MVT); empty when no layer has a feature there. */
  async tile(req: TileRequest, signal?: AbortSignal, encoder: Encoder = this.encoder): Promise<Buffer> {
    const parts = await Promise.all(req.layers.map((l) => this.layer(l, req.coord, req.properties?.get(l.id), signal, encoder)));
    return Buffer.concat(parts.filter((p): p is Buffer => p !== null));
  }
}
