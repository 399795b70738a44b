/**
 * Which cached tiles show which layer where: layer id -> zoom -> "x/y" -> cache keys. Lets an edit drop
 * only the tiles that cover its area, at every zoom, without scanning the whole cache.
 */
import { inRange, rangeSize, tileRange, type BBox } from './grid.ts';

/** What the index needs to know about a cached tile. */
export interface IndexedTile {
  key: string;
  layers: readonly string[];
  z: number;
  x: number;
  y: number;
}

/** An index of cache keys by layer, zoom and tile. */
export class TileIndex {
  private byLayer = new Map<string, Map<number, Map<string, Set<string>>>>();

  /** Records a cached tile under each of its layers. */
  add(t: IndexedTile): void {
    for (const id of t.layers) {
      let zooms = this.byLayer.get(id);
      if (!zooms) this.byLayer.set(id, (zooms = new Map()));
      let cells = zooms.get(t.z);
      if (!cells) zooms.set(t.z, (cells = new Map()));
      const cell = `${t.x}/${t.y}`;
      let keys = cells.get(cell);
      if (!keys) cells.set(cell, (keys = new Set()));
      keys.add(t.key);
    }
  }

  /** Forgets a tile (it left the cache). */
  remove(t: IndexedTile): void {
    for (const id of t.layers) {
      const cells = this.byLayer.get(id)?.get(t.z);
      const cell = `${t.x}/${t.y}`;
      const keys = cells?.get(cell);
      if (!keys) continue;
      keys.delete(t.key);
      if (keys.size === 0) cells!.delete(cell);
    }
  }

  /** Keys of every cached tile of these layers. */
  keysOfLayers(ids: readonly string[]): string[] {
    const out: string[] = [];
    for (const id of ids) {
      for (const cells of this.byLayer.get(id)?.values() ?? []) for (const keys of cells.values()) out.push(...keys);
    }
    return out;
  }

  /** Keys of cached tiles of these layers whose buffered area touches an EPSG:4326 bbox, at every zoom. */
  keysInArea(ids: readonly string[], bbox: BBox): string[] {
    const out: string[] = [];
    for (const id of ids) {
      for (const [z, cells] of this.byLayer.get(id) ?? []) {
        const range = tileRange(bbox, z);
        if (rangeSize(range) < cells.size) {
          // A small edit at a busy zoom: look up the few tiles it covers.
          for (let x = range.minX; x <= range.maxX; x++) {
            for (let y = range.minY; y <= range.maxY; y++) out.push(...(cells.get(`${x}/${y}`) ?? []));
          }
        } else {
          for (const [cell, keys] of cells) {
            const [x, y] = cell.split('/').map(Number);
            if (inRange(range, x, y)) out.push(...keys);
          }
        }
      }
    }
    return out;
  }
}
