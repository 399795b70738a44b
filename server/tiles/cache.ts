/**
 * The in-process tile cache: an LRU bounded in bytes (gzipped tiles, as they are sent), with an index
 * by layer and area so that edits drop only the tiles they touch.
 */
import { LRUCache } from 'lru-cache';
import type { BBox } from './grid.ts';
import { TileIndex, type IndexedTile } from './tile-index.ts';

/** A rendered tile as cached and served: gzipped bytes (empty for a tile without features) and its ETag. */
export interface CachedTile extends IndexedTile {
  /** The tile gzipped; length 0 for an empty tile (served as 204). */
  gz: Buffer;
  /** Strong ETag, quoted: a hash of the uncompressed tile. */
  etag: string;
}

/** Bytes counted per entry besides the tile itself (key, object, index), so many empty tiles stay bounded. */
const entryOverhead = 300;

/** An LRU of tiles bounded in bytes; `maxBytes` 0 disables it. */
export class TileCache {
  private readonly lru: LRUCache<string, CachedTile> | null;
  private readonly index = new TileIndex();

  constructor(maxBytes: number) {
    this.lru =
      maxBytes > 0
        ? new LRUCache<string, CachedTile>({
            maxSize: maxBytes,
            sizeCalculation: (v, k) => v.gz.length + k.length * 2 + entryOverhead,
            dispose: (v) => this.index.remove(v),
          })
        : null;
  }

  /** The cached tile, or undefined. Synchronous: the warm path makes no async hop. */
  get(key: string): CachedTile | undefined {
    return this.lru?.get(key);
  }

  /** Caches a tile (unless it alone is larger than the cache). */
  set(tile: CachedTile): void {
    if (!this.lru) return;
    this.lru.set(tile.key, tile);
    if (this.lru.get(tile.key) === tile) this.index.add(tile);
  }

  /** Drops the tiles of these layers that touch `bbox` (EPSG:4326), or all their tiles when bbox is null. */
  invalidate(layerIds: readonly string[], bbox: BBox | null): number {
    if (!this.lru) return 0;
    const keys = bbox ? this.index.keysInArea(layerIds, bbox) : this.index.keysOfLayers(layerIds);
    for (const k of keys) this.lru.delete(k);
    return keys.length;
  }

  /** Entries and bytes held, for metrics and tests. */
  stats(): { entries: number; bytes: number } {
    return { entries: this.lru?.size ?? 0, bytes: this.lru?.calculatedSize ?? 0 };
  }

  /** Empties the cache. */
  clear(): void {
    this.lru?.clear();
  }
}
