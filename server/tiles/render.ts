/**
 * Rendering one tile from the database: one query per layer (run in parallel on the server pool), each
 * giving one MVT layer; the layers are concatenated (an MVT tile is a sequence of layer messages).
 * The SQL text is built once per layer version, property selection and mode, and cached.
 */
import PQueue from 'p-queue';
import type { Database } from '../db/database.ts';
import { queryRows } from '../db/rows.ts';
import type { Layer } from '../catalog/catalog.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import { InvalidParameterError, TileFeatureLimitError } from '../errors.ts';
import { encodeLayer, rowsToFeatures, type NodeTileRow } from './encoder.ts';
import type { TileCoord } from './grid.ts';
import {
  isClustered,
  isRankable,
  maxCoarsen,
  propertyColumns,
  tileBindings,
  tileQuery,
  type Encoder,
  type TileQueryShape,
} from './sql.ts';

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
export function selectProperties(
  layers: readonly Layer[],
  names: readonly string[] | undefined,
): Map<string, LayerColumn[]> | undefined {
  if (names === undefined) return undefined;
  const out = new Map<string, LayerColumn[]>();
  for (const layer of layers) {
    const allowed = new Map(propertyColumns(layer).map((c) => [c.name, c]));
    out.set(
      layer.id,
      names.flatMap((n) => allowed.get(n) ?? []),
    );
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

/** The error of a tile whose layer holds more features than the cap (TILE_MAX_FEATURES). */
function featureLimitError(layer: Layer, coord: TileCoord, cap: number): TileFeatureLimitError {
  return new TileFeatureLimitError(
    `${describeTile([layer], coord)} has more than ${cap} features (TILE_MAX_FEATURES); zoom in, or raise the cap or the layer's minzoom`,
  );
}

/** Bytes a feature is assumed to take in a dense low-zoom tile, to size the LIMIT of ranked layers from the budget. */
const bytesPerFeature = 64;

/**
 * One statement for a whole tile with the ST_AsMVT encoder: column t holds the layers' MVT (base64), n<i> and s<i>
 * layer i's feature count and bytes.
 */
export interface TileStatement {
  sql: string;
  bindings: unknown[];
  /** The layers in the statement (those at or above their minzoom), in column order. */
  layers: Layer[];
}

/**
 * What rendering needs of a database. On server PostGIS the tile SQL runs as named prepared statements
 * (db.statements): its parameters are plain values (z, x, y, tolerances, limit, layer name), and planning the
 * composite statement cost 1.3-1.5 ms per tile, as much as executing it at z15-16 (bench:tiles --explain).
 */
export type TileDatabase = Pick<Database, 'capabilities' | 'cancellableRows' | 'backend' | 'statements' | 'knex' | 'rows'>;

/** Builds and runs tile SQL for one database. */
export class TileRenderer {
  private readonly sqlCache = new Map<string, string>();
  private readonly layerKeys = new WeakMap<Layer, string>();
  private readonly layerProperties = new WeakMap<Layer, readonly LayerColumn[]>();
  readonly encoder: Encoder;
  /** Tile statements waiting for, or holding, one of the database slots (server PostGIS with `slots`). */
  private readonly queue = new PQueue();

  /**
   * `maxFeatures` is the feature cap per layer and tile; `budgetBytes` the size a layer's tile below its maxzoom
   * should stay under (it is re-rendered coarser until it does, up to maxCoarsen steps); `slots` how many tile
   * statements may run in a PostgreSQL server at once (config tileQuerySlots; absent = as many as the pool gives).
   * All are read per tile.
   */
  constructor(
    private readonly db: TileDatabase,
    private readonly maxFeatures: () => number,
    private readonly budgetBytes: () => number = () => Infinity,
    private readonly slots?: () => number,
  ) {
    this.encoder = db.capabilities.mvt ? 'mvt' : 'node';
  }

  /** Tile statements waiting for a database slot now. */
  get waiting(): number {
    return this.queue.size;
  }

  /** The query shape of a layer at a zoom with an optional property selection. */
  shape(
    layer: Layer,
    z: number,
    properties: readonly LayerColumn[] | undefined,
    encoder: Encoder = this.encoder,
    ranked = false,
  ): TileQueryShape {
    return {
      encoder,
      cluster: isClustered(layer, z),
      ranked: ranked && isRankable(layer, z),
      detailed: z >= layer.maxzoom,
      properties: properties ?? this.allProperties(layer),
    };
  }

  /**
   * How many features a rankable layer (lines and polygons below their maxzoom) keeps in a tile, its largest ones:
   * as many as fit the byte budget at a modest 64 bytes each; null when that is no fewer than the feature cap.
   */
  keepLimit(layer: Layer, z: number): number | null {
    if (!isRankable(layer, z)) return null;
    const keep = Math.max(1, Math.floor(this.budgetBytes() / bytesPerFeature));
    return keep < this.maxFeatures() ? keep : null;
  }

  /**
   * The LIMIT of a layer's query: a thinning's keep (ranked); else the feature cap plus one (more is an error), or
   * for a layer with a keep limit that limit plus one: a tile that returns more is rendered again ranked.
   */
  private limit(layer: Layer, z: number, thin?: Thinning): number {
    if (thin) return thin.keep;
    return (this.keepLimit(layer, z) ?? this.maxFeatures()) + 1;
  }

  /**
   * Runs tile SQL: prepared on server PostGIS (plain-value parameters only), through the connection otherwise. On a
   * server, at most `slots()` statements at once, first come first served: a statement that waits past its deadline
   * or whose clients left leaves the queue (p-queue rejects with the signal's reason).
   */
  private rows<T>(sql: string, bindings: unknown[], signal?: AbortSignal): Promise<T[]> {
    if (this.db.backend === 'server' && this.db.statements) {
      const run = () => queryRows<T>(this.db as Database, sql, bindings, signal, { prepare: true });
      if (!this.slots) return run();
      const slots = this.slots();
      if (this.queue.concurrency !== slots) this.queue.concurrency = slots;
      return this.queue.add(run, { signal });
    }
    return this.db.cancellableRows<T>(sql, bindings, signal);
  }

  private cachedSql(key: string, build: () => string): string {
    let sql = this.sqlCache.get(key);
    if (sql === undefined) {
      sql = build();
      if (this.sqlCache.size > 1000) this.sqlCache.clear(); // old layer versions; rebuilt on use
      this.sqlCache.set(key, sql);
    }
    return sql;
  }

  private shapeKey(layer: Layer, shape: TileQueryShape): string {
    // The layer part once per catalog layer object (a reload makes new ones): joining every property name of eight
    // layers for each cold tile was a visible share of the renderer's CPU.
    let base = this.layerKeys.get(layer);
    if (base === undefined) {
      base = `${layer.id}@${layer.dataVersion}|${layer.tableSql}${layer.tileGeometry ? '|3857' : ''}|${propertyColumns(layer)
        .map((c) => `${c.name}:${c.type}`)
        .join(',')}`;
      this.layerKeys.set(layer, base);
    }
    const props =
      shape.properties === this.allProperties(layer) ? '*' : shape.properties.map((c) => `${c.name}:${c.type}`).join(',');
    return `${base}|${shape.encoder}|${shape.cluster ? 'c' : 'f'}${shape.ranked ? 'r' : ''}${shape.detailed ? 'd' : ''}|${props}`;
  }

  /** The layer's property columns, the same array for every tile (so a selection of all of them is known by identity). */
  private allProperties(layer: Layer): readonly LayerColumn[] {
    let all = this.layerProperties.get(layer);
    if (!all) this.layerProperties.set(layer, (all = propertyColumns(layer)));
    return all;
  }

  /** The SQL text and bindings of one layer's tile. */
  query(
    layer: Layer,
    coord: TileCoord,
    properties?: readonly LayerColumn[],
    encoder: Encoder = this.encoder,
    thin?: Thinning,
  ): { sql: string; bindings: unknown[] } {
    const shape = this.shape(layer, coord.z, properties, encoder, thin !== undefined);
    const sql = this.cachedSql(this.shapeKey(layer, shape), () => tileQuery(layer, shape));
    return { sql, bindings: tileBindings(layer, shape, coord, this.limit(layer, coord.z, thin), thin?.coarsen) };
  }

  /**
   * The whole tile as one ST_AsMVT statement: one round trip and one plan per tile whatever the number of
   * layers (each layer's query is a CTE). Also what the benchmark's raw run executes.
   */
  statement(req: TileRequest, thin?: Thinning): TileStatement {
    const layers = req.layers.filter((l) => req.coord.z >= l.minzoom);
    const shapes = layers.map((l) => this.shape(l, req.coord.z, req.properties?.get(l.id), 'mvt', thin !== undefined));
    const sql = this.cachedSql(layers.map((l, i) => this.shapeKey(l, shapes[i])).join('&'), () => {
      const ctes = layers.map((l, i) => `l${i} AS (${tileQuery(l, shapes[i])})`);
      // The layers' MVT messages are concatenated in SQL (an MVT tile is a sequence of layer messages) and sent as
      // one base64 text, with each layer's byte length: one value to decode per tile. base64, not bytea: pg hands
      // bytea over as hex text, and decoding base64 text costs node a quarter less CPU per composite tile than hex
      // (and less than pg's binary results); the wrapped lines are skipped by Buffer.from.
      const whole = layers.map((_, i) => `coalesce(l${i}.tile, ''::bytea)`).join(' || ');
      const cols = layers.map((_, i) => `l${i}.n AS n${i}, coalesce(length(l${i}.tile), 0) AS s${i}`);
      return `WITH ${ctes.join(',\n')}\nSELECT encode(${whole}, 'base64') AS t, ${cols.join(', ')} FROM ${layers
        .map((_, i) => `l${i}`)
        .join(', ')}`;
    });
    const bindings = layers.flatMap((l, i) =>
      tileBindings(l, shapes[i], req.coord, this.limit(l, req.coord.z, thin), thin?.coarsen),
    );
    return { sql, bindings, layers };
  }

  /** One layer's MVT bytes from the Node encoder (null when empty) and its feature count. */
  private async nodeLayer(
    layer: Layer,
    coord: TileCoord,
    properties: readonly LayerColumn[] | undefined,
    thin?: Thinning,
    signal?: AbortSignal,
  ): Promise<LayerPart> {
    const { sql, bindings } = this.query(layer, coord, properties, 'node', thin);
    const rows = await this.rows<NodeTileRow>(sql, bindings, signal);
    const cap = this.maxFeatures();
    if (rows.length > cap) throw featureLimitError(layer, coord, cap);
    return { bytes: encodeLayer(layer.id, rowsToFeatures(rows)), features: rows.length };
  }

  /** Renders the layers of a tile (all at level 0, or one thinned); each layer's bytes and feature count, in order. */
  private async render(req: TileRequest, encoder: Encoder, thin?: Thinning, signal?: AbortSignal): Promise<LayerPart[]> {
    if (encoder === 'node') {
      return Promise.all(req.layers.map((l) => this.nodeLayer(l, req.coord, req.properties?.get(l.id), thin, signal)));
    }
    const st = this.statement(req, thin);
    const [row] = await this.rows<Record<string, string | number | null>>(st.sql, st.bindings, signal);
    const cap = this.maxFeatures();
    const whole = Buffer.from(row.t as string, 'base64');
    let at = 0;
    return st.layers.map((l, i) => {
      const features = row[`n${i}`] as number;
      if (features > cap) throw featureLimitError(l, req.coord, cap);
      const size = row[`s${i}`] as number;
      at += size;
      return { bytes: size ? whole.subarray(at - size, at) : null, features };
    });
  }

  /**
   * The whole tile (uncompressed MVT, one layer message per layer with features); empty when none has any.
   * While the tile is over the byte budget, its largest layer (polygons and lines below their maxzoom) is
   * rendered again, simplified more and keeping only its largest features, in proportion to the excess.
   */
  async tile(req: TileRequest, signal?: AbortSignal, encoder: Encoder = this.encoder): Promise<Buffer> {
    const { z } = req.coord;
    const layers = req.layers.filter((l) => z >= l.minzoom);
    if (layers.length === 0) return Buffer.alloc(0);
    const parts = await this.render({ ...req, layers }, encoder, undefined, signal);
    // A layer with more candidates than it may keep: its largest features, sorted by size (tippecanoe's
    // drop-smallest). Only such tiles pay for the sort; where everything fits, the order changes nothing.
    for (const [i, l] of layers.entries()) {
      const keep = this.keepLimit(l, z);
      if (keep !== null && parts[i].features > keep)
        [parts[i]] = await this.render({ ...req, layers: [l] }, encoder, { coarsen: 0, keep }, signal);
    }
    const levels = layers.map(() => 0);
    const size = (i: number) => parts[i].bytes?.length ?? 0;
    const budget = this.budgetBytes();
    for (;;) {
      const total = parts.reduce((sum, _, i) => sum + size(i), 0);
      if (total <= budget) break;
      let pick = -1;
      layers.forEach((l, i) => {
        const thinnable = levels[i] < maxCoarsen && z < l.maxzoom && l.geometryType !== 'Point' && parts[i].features > 1;
        if (thinnable && (pick < 0 || size(i) > size(pick))) pick = i;
      });
      if (pick < 0) break;
      // Features are about the same size: keep the share that brings the tile 10 % under budget.
      const share = Math.max(0.05, Math.min(0.8, (size(pick) - (total - budget * 0.9)) / size(pick)));
      levels[pick]++;
      const thin = { coarsen: levels[pick], keep: Math.max(1, Math.floor(parts[pick].features * share)) };
      [parts[pick]] = await this.render({ ...req, layers: [layers[pick]] }, encoder, thin, signal);
    }
    return Buffer.concat(parts.map((p) => p.bytes).filter((p): p is Buffer => p !== null));
  }
}

/** A layer ranked to its largest features: coarsening step (0 = as usual) and how many of them to keep. */
export interface Thinning {
  coarsen: number;
  keep: number;
}

interface LayerPart {
  bytes: Buffer | null;
  features: number;
}
