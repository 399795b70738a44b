/**
 * The tile service: cache lookups (in-process LRU, then Redis when configured), rendering on a miss with a
 * deadline and cancellation, and invalidation by area (NOTIFY tile_changes) or by layer (catalog reload).
 * One service per app instance, built by createApp and handed to the tile routes and the fast path.
 */
import type { AppContext } from '../context.ts';
import type { Layer } from '../catalog/catalog.ts';
import { ClientGoneError, TileTimeoutError } from '../errors.ts';
import { TileCache, type CachedTile } from './cache.ts';
import { randomUUID } from 'node:crypto';
import { ensureChangeTriggers, parseBarrier, parseTableChange, sendBarrier, tileChangesChannel } from './changes.ts';
import type { BBox } from './grid.ts';
import { describeTile, TileRenderer, type TileRequest } from './render.ts';
import { SharedTileCache } from './shared-cache.ts';
import { MemoryIndexes, renderTile } from './memory-index.ts';
import { Occupancy } from './occupancy.ts';
import { gzipBody } from '../gzip.ts';
import { tileQuerySlots } from '../config.ts';

/**
 * gzip level of stored tiles: the fastest. On 495 z12-16 composite tiles of bench:tiles (scale 10, 42 KB raw on
 * average) level 1 with memLevel 9 (gzipBody) took 16 % less CPU than level 2 with zlib's default memLevel, for tiles
 * 1.9 % larger; level 4 took 40 % more than level 1.
 */
const gzipLevel = 1;

/** ETag of the empty tile (served as 204). */
const emptyEtag = '"empty"';

interface InFlight {
  promise: Promise<CachedTile>;
  controller: AbortController;
  waiting: number;
  /** The invalidation epochs of the tile's layers when the render started. */
  epochs: number[];
}

/** Renders, caches and invalidates tiles for one app instance. */
export class TileService {
  readonly cache: TileCache;
  readonly shared: SharedTileCache | null;
  readonly renderer: TileRenderer;
  /** In-memory geojson-vt indexes of small layers (TILE_MEMORY_INDEX_MAX_FEATURES): tiles without a database round trip. */
  readonly memory: MemoryIndexes;
  /** Where each layer has data (z14 cells): a tile over none of a layer's cells leaves it out of the query. */
  readonly occupancy: Occupancy;
  private readonly inFlight = new Map<string, InFlight>();
  /** Bumped whenever a layer's tiles are invalidated: a render that straddles a bump is not cached. */
  private readonly epochs = new Map<string, number>();
  /** Per layer version: its change triggers are in place (or cannot be), so its tiles may be cached. */
  private readonly triggersReady = new Map<string, Promise<boolean>>();
  /** True once this instance LISTENs for edits; until then (or if that failed) nothing is cached. */
  private readonly listening: Promise<boolean>;
  /** Barriers sent by changesSeen and not yet heard back, by token. */
  private readonly barriers = new Map<string, () => void>();
  /** Invalidations started by changes and not finished (the Redis part is asynchronous). */
  private readonly invalidating = new Set<Promise<void>>();

  constructor(private readonly ctx: AppContext) {
    this.cache = new TileCache(ctx.config.tileCacheMb * 1024 * 1024);
    this.shared = ctx.config.redisUrl ? new SharedTileCache(ctx.config.redisUrl, ctx.log) : null;
    this.renderer = new TileRenderer(
      ctx.db,
      () => ctx.config.tileMaxFeatures,
      () => ctx.config.tileBudgetKb * 1024,
      () => tileQuerySlots(ctx.config),
    );
    ctx.metrics.tileStatementsWaiting.read = () => this.renderer.waiting;
    const { config } = ctx;
    const indexed = () =>
      config.tileMemoryIndex === 'both' || (config.tileMemoryIndex === 'embedded' && ctx.db.backend === 'embedded');
    this.memory = new MemoryIndexes(ctx.db, ctx.log, {
      maxFeatures: () => (indexed() ? config.tileMemoryIndexMaxFeatures : 0),
      rebuildDelayMs: 200,
    });
    this.occupancy = new Occupancy(ctx.db);
    const shared = this.shared;
    if (shared) ctx.onClose.push(() => shared.close());
    this.listening = this.start().then(
      () => true,
      (err: Error) => {
        ctx.log.error({ err }, 'cannot LISTEN for tile changes; tiles are rendered for every request');
        return false;
      },
    );
  }

  /** Listens for data and catalog changes; registers its closers in ctx.onClose. */
  private async start(): Promise<void> {
    const stopListening = await this.ctx.db.listen(tileChangesChannel, (payload) => {
      const barrier = parseBarrier(payload);
      if (barrier !== null) return this.barriers.get(barrier)?.();
      const change = parseTableChange(payload);
      if (!change) return;
      const ids = this.ctx.catalog
        .list(adminView)
        .filter((l) => l.table === change.table)
        .map((l) => l.id);
      for (const id of ids) {
        this.occupancy.changed(id, change.bbox);
        this.memory.changed(this.ctx.catalog.find(id)!, () => this.ctx.catalog.find(id));
      }
      if (ids.length) this.track(this.invalidate(ids, change.bbox));
    });
    const stopWatching = this.ctx.catalog.onChange((ids) => {
      this.track(this.invalidate(ids, null));
      for (const id of ids) {
        this.memory.forget(id);
        this.occupancy.forget(id);
        const layer = this.ctx.catalog.find(id);
        if (layer) void this.loadIndex(layer);
      }
    });
    this.ctx.onClose.push(async () => {
      stopWatching();
      await stopListening();
      this.cache.clear();
      this.memory.clear();
    });
    for (const layer of this.ctx.catalog.list(adminView)) void this.loadIndex(layer);
  }

  /**
   * Attaches a layer's change triggers, then builds its memory index when it is small and its occupancy grid: only a
   * layer that reports its edits to an instance that listens may be served from memory or skipped by its grid (else
   * they would go stale unseen).
   */
  async loadIndex(layer: Layer): Promise<void> {
    if (!(await this.listening) || !(await this.triggers(layer))) return;
    await Promise.all([
      this.memory.load(layer),
      (this.occupied() ? this.occupancy.load(layer) : Promise.resolve()).catch((err: Error) => {
        this.ctx.log.warn(
          { layer: layer.id, err: err.message },
          'cannot map where the layer has data; its tiles are always queried',
        );
      }),
    ]);
  }

  /** Does this backend keep occupancy grids (TILE_OCCUPANCY)? */
  private occupied(): boolean {
    const { tileOccupancy } = this.ctx.config;
    return tileOccupancy === 'both' || (tileOccupancy === 'server' && this.ctx.db.backend === 'server');
  }

  /** Makes sure a layer's table reports its edits; resolves false when it cannot (logged once). */
  triggers(layer: Layer): Promise<boolean> {
    const key = `${layer.id}@${layer.dataVersion}@${layer.table}`;
    let p = this.triggersReady.get(key);
    if (!p) {
      p = ensureChangeTriggers(this.ctx.db, layer).catch((err: Error) => {
        this.ctx.log.warn(
          { layer: layer.id, err: err.message },
          'cannot attach tile change triggers; edits reach tiles only on reload',
        );
        return false;
      });
      this.triggersReady.set(key, p);
    }
    return p;
  }

  /**
   * Resolves once this instance has dropped the tiles of every change committed before the call (a barrier through
   * the change channel): a writer's next tile request, answered here, shows its own write. Gives up after
   * `timeoutMs`; at once when this instance does not listen (it caches nothing then). Never fails: the write it
   * follows is committed, and its answer must say so (the change still arrives through the channel).
   */
  async changesSeen(timeoutMs = 5000): Promise<void> {
    if (!(await this.listening)) return;
    const token = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<void>((resolve) => {
      this.barriers.set(token, resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await sendBarrier(this.ctx.db, token);
      await heard;
      // The changes before the barrier dropped their tiles here at once; in Redis, when these finish.
      await Promise.race([this.invalidationsDone(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message }, 'cannot send the tile change barrier; answering the write without it');
    } finally {
      clearTimeout(timer);
      this.barriers.delete(token);
    }
  }

  /** Resolves when the invalidations started so far by changes (here and in Redis) are done. */
  async invalidationsDone(): Promise<void> {
    await Promise.all([...this.invalidating]);
  }

  private track(invalidation: Promise<void>): void {
    this.invalidating.add(invalidation);
    void invalidation.finally(() => this.invalidating.delete(invalidation));
  }

  /** Drops cached tiles of these layers over bbox (EPSG:4326), or all of them (bbox null), here and in Redis. */
  async invalidate(layerIds: readonly string[], bbox: BBox | null): Promise<void> {
    for (const id of layerIds) this.epochs.set(id, (this.epochs.get(id) ?? 0) + 1);
    const dropped = this.cache.invalidate(layerIds, bbox);
    const droppedShared = (await this.shared?.invalidate(layerIds, bbox)) ?? 0;
    this.ctx.log.debug({ layers: layerIds, bbox, dropped, droppedShared }, 'tiles invalidated');
  }

  /** The cache key of a request: layer versions, tile and property selection. */
  key(req: TileRequest): string {
    return this.coordKey(this.layersKey(req.layers), req);
  }

  /** The layers' part of a cache key (ids and data versions), which a caller may keep for a list of layers. */
  layersKey(layers: readonly Layer[]): string {
    let k = '';
    for (const l of layers) k += `${k ? ',' : ''}${l.id}@${l.dataVersion}`;
    return k;
  }

  /** The cache key of a request whose layers' part is known (`layersKey(req.layers)`). */
  coordKey(layersKey: string, req: TileRequest): string {
    let k = `${layersKey}/${req.coord.z}/${req.coord.x}/${req.coord.y}`;
    if (req.properties) {
      k += '?';
      for (const l of req.layers)
        k += `${l.id}:${req.properties
          .get(l.id)!
          .map((c) => c.name)
          .join(',')};`;
    }
    return k;
  }

  /** The in-process cached tile, synchronously (the warm path). */
  cached(key: string): CachedTile | undefined {
    const hit = this.cache.get(key);
    if (hit) this.ctx.metrics.tileCache.hits.inc();
    return hit;
  }

  /**
   * The tile for a request that missed the in-process cache: from Redis, from a render already running
   * for the same key, or rendered now. `signal` is the client's: when every waiting client has gone,
   * the query is cancelled.
   */
  async load(key: string, req: TileRequest, signal: AbortSignal): Promise<CachedTile> {
    const epochs = req.layers.map((l) => this.epochs.get(l.id) ?? 0);
    let flight = this.inFlight.get(key);
    // A render that started before a change to one of its layers may show the old data: a later request does not
    // join it (an editor's redraw after the answer must show the edit) but starts its own.
    if (!flight || flight.epochs.some((e, i) => e !== epochs[i])) {
      const controller = new AbortController();
      flight = { controller, waiting: 0, epochs, promise: this.produce(key, req, controller.signal) };
      const f = flight;
      this.inFlight.set(key, f);
      const done = () => {
        if (this.inFlight.get(key) === f) this.inFlight.delete(key);
      };
      f.promise.then(done, done);
    }
    const f = flight;
    f.waiting++;
    return new Promise<CachedTile>((resolve, reject) => {
      const onAbort = () => {
        if (--f.waiting === 0) f.controller.abort(new ClientGoneError());
        reject(new ClientGoneError());
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      f.promise.then(
        (t) => {
          signal.removeEventListener('abort', onAbort);
          resolve(t);
        },
        (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  private async produce(key: string, req: TileRequest, cancel: AbortSignal): Promise<CachedTile> {
    const meta = { key, layers: req.layers.map((l) => l.id), ...req.coord };
    if (this.shared) {
      const hit = await this.shared.get(key, meta);
      if (hit) {
        this.ctx.metrics.tileCache.hits.inc();
        this.cache.set(hit);
        return hit;
      }
    }
    this.ctx.metrics.tileCache.misses.inc();
    const ready = [await this.listening, ...(await Promise.all(req.layers.map((l) => this.triggers(l))))];
    const epochs = req.layers.map((l) => this.epochs.get(l.id) ?? 0);
    // Layers whose data lies elsewhere are left out; a tile over no layer's data is empty without a query.
    const present = this.occupied() ? req.layers.filter((l) => this.occupancy.mayHaveData(l, req.coord)) : req.layers;
    const raw = !present.length
      ? Buffer.alloc(0)
      : await this.renderWithDeadline(present.length === req.layers.length ? req : { ...req, layers: present }, cancel);
    const tile: CachedTile =
      raw.length === 0 ? { ...meta, gz: Buffer.alloc(0), etag: emptyEtag } : gzippedTile(meta, await gzipBody(raw, gzipLevel));
    // Cache only when no edit arrived meanwhile and every layer reports its edits (else it could go stale).
    const unchanged = req.layers.every((l, i) => (this.epochs.get(l.id) ?? 0) === epochs[i]);
    if (unchanged && ready.every(Boolean)) {
      this.cache.set(tile);
      if (this.shared) await this.shared.set(tile);
    }
    return tile;
  }

  /**
   * Renders with TILE_TIMEOUT_MS as deadline; the database query is cancelled when it passes. One controller and one
   * timer per tile: AbortSignal.timeout and AbortSignal.any (weak references, a finalisation registry) were 4 % of the
   * Node CPU of a cold tile.
   */
  private async renderWithDeadline(req: TileRequest, cancel: AbortSignal): Promise<Buffer> {
    const ms = this.ctx.config.tileTimeoutMs;
    const what = () => describeTile(req.layers, req.coord);
    const started = performance.now();
    const controller = new AbortController();
    let late = false;
    let stopWaiting: (err: Error) => void = () => undefined;
    const stop = new Promise<never>((_, reject) => (stopWaiting = reject));
    stop.catch(() => undefined);
    const abort = (err: Error) => {
      controller.abort(err);
      stopWaiting(err);
    };
    const timer = setTimeout(() => {
      late = true;
      abort(new TileTimeoutError(what(), ms));
    }, ms);
    const onCancel = () => abort(new ClientGoneError());
    if (cancel.aborted) onCancel();
    else cancel.addEventListener('abort', onCancel, { once: true });
    try {
      const limits = { maxFeatures: this.ctx.config.tileMaxFeatures, budgetBytes: this.ctx.config.tileBudgetKb * 1024 };
      const tile = await Promise.race([renderTile(req, this.renderer, this.memory, limits, controller.signal), stop]);
      // Embedded PostGIS runs on this thread and cannot be interrupted: its deadline is checked afterwards,
      // so both backends answer an overrun alike.
      if (performance.now() - started > ms) throw new TileTimeoutError(what(), ms);
      return tile;
    } catch (err) {
      if (err instanceof TileTimeoutError) throw err;
      if (late) throw new TileTimeoutError(what(), ms);
      if (cancel.aborted) throw new ClientGoneError();
      if ((err as { code?: string }).code === '57014') throw new TileTimeoutError(what(), this.ctx.config.statementTimeoutMs);
      throw err;
    } finally {
      clearTimeout(timer);
      cancel.removeEventListener('abort', onCancel);
    }
  }
}

/**
 * A stored tile with its strong ETag taken from the gzip trailer: CRC-32 and length of the uncompressed tile (RFC 1952),
 * free once the tile is gzipped. A changed tile keeps its tag only when both agree by chance (1 in 2^32 at the same
 * length); a SHA-1 over the tile was 3 % of the Node CPU of a cold tile.
 */
function gzippedTile(meta: Omit<CachedTile, 'gz' | 'etag'>, output: Buffer): CachedTile {
  // zlib's one-shot output up to 16 KB is a view of a 16 KB buffer: kept in the cache as it is, a 6 KB tile would hold
  // 16 KB, so TILE_CACHE_MB would hold up to 2.6 times what it counts. The copy costs no measurable CPU.
  const gz = output.byteLength < output.buffer.byteLength ? Buffer.from(output) : output;
  const crc = gz
    .readUInt32LE(gz.length - 8)
    .toString(16)
    .padStart(8, '0');
  return { ...meta, gz, etag: `"${crc}-${gz.readUInt32LE(gz.length - 4).toString(16)}"` };
}

/** The catalog as seen by internal work (invalidation), which must see restricted layers too. */
const adminView = { role: 'admin' as const, tokenId: 'internal', name: 'tile service' };
