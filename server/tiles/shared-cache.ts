/**
 * The shared tile cache (Redis) for several instances. Tiles are stored gzipped with their ETag; an index
 * set per layer and zoom lists what is cached so an edit drops only the tiles over its area. Redis trouble
 * never fails a tile: the shared cache is then skipped and the tile rendered.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { inRange, tileRange, type BBox, maxZoom } from './grid.ts';
import type { CachedTile } from './cache.ts';

/** How long a shared tile lives (seconds) when nothing invalidates it; old data versions expire by this. */
const ttlSeconds = 24 * 3600;
/** Redis calls slower than this (ms) are given up; the tile is then rendered. */
const commandTimeoutMs = 250;
const tilePrefix = 'sdi:tile:';
const indexPrefix = 'sdi:tidx:';

/** A tile cache in Redis shared by every instance. */
export class SharedTileCache {
  private readonly redis: Redis;
  private warned = false;

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    this.redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: commandTimeoutMs,
    });
    this.redis.on('error', (err: Error) => this.warn(err));
  }

  /** Connected now; while (re)connecting the shared cache is skipped rather than waited for. */
  private get connected(): boolean {
    return this.redis.status === 'ready';
  }

  private warn(err: Error): void {
    if (this.warned) return;
    this.warned = true;
    this.log.warn({ err: err.message }, 'shared tile cache (Redis) unavailable; rendering without it');
  }

  /** Waits (up to timeoutMs) until Redis is connected and answers (seed script and tests); false when it does not. */
  async ready(timeoutMs = 3000): Promise<boolean> {
    if (this.redis.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.redis.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** The shared tile, or null (missing, or Redis unavailable). */
  async get(key: string, meta: Omit<CachedTile, 'gz' | 'etag' | 'key'>): Promise<CachedTile | null> {
    if (!this.connected) return null;
    try {
      const v = await this.redis.getBuffer(tilePrefix + key);
      if (!v) return null;
      const etagLength = v[0];
      return {
        key,
        ...meta,
        etag: v.subarray(1, 1 + etagLength).toString('latin1'),
        gz: Buffer.from(v.subarray(1 + etagLength)),
      };
    } catch (err) {
      this.warn(err as Error);
      return null;
    }
  }

  /** Stores a tile and indexes it under each layer and zoom. */
  async set(tile: CachedTile): Promise<void> {
    if (!this.connected) return;
    try {
      const etag = Buffer.from(tile.etag, 'latin1');
      const multi = this.redis
        .multi()
        .set(tilePrefix + tile.key, Buffer.concat([Buffer.from([etag.length]), etag, tile.gz]), 'EX', ttlSeconds);
      for (const id of tile.layers) {
        const idx = `${indexPrefix}${id}:${tile.z}`;
        multi.sadd(idx, `${tile.x}/${tile.y}/${tile.key}`).expire(idx, ttlSeconds);
      }
      await multi.exec();
    } catch (err) {
      this.warn(err as Error);
    }
  }

  /** Drops the shared tiles of these layers over `bbox` (EPSG:4326), or all of them when bbox is null. */
  async invalidate(layerIds: readonly string[], bbox: BBox | null): Promise<number> {
    let dropped = 0;
    try {
      for (const id of layerIds) {
        for (let z = 0; z <= maxZoom; z++) {
          const idx = `${indexPrefix}${id}:${z}`;
          const members = await this.redis.smembers(idx);
          if (members.length === 0) continue;
          const range = bbox ? tileRange(bbox, z) : null;
          const hit = members.filter((m) => {
            if (!range) return true;
            const [x, y] = m.split('/', 2).map(Number);
            return inRange(range, x, y);
          });
          if (hit.length === 0) continue;
          const keys = hit.map((m) => tilePrefix + m.split('/').slice(2).join('/'));
          await this.redis
            .multi()
            .del(...keys)
            .srem(idx, ...hit)
            .exec();
          dropped += hit.length;
        }
      }
    } catch (err) {
      this.warn(err as Error);
    }
    return dropped;
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
