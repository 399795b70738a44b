/**
 * Where a layer has data: the z14 tiles ("cells") over its bounds that some feature intersects, so that a tile at
 * z12 or above over none of a layer's cells leaves that layer out of its query, and a tile over no layer's cells is
 * answered empty without the database. On the benchmark's browsing list a fifth of the tiles are empty while inside
 * the layers' bounds (outside the province's outline, inside its box): each cost a full query.
 *
 * It only ever errs towards rendering: a layer without a known grid (not built yet, a table read in place, a grid of
 * too many cells, a change without a box) is always queried. Every change heard on the tile change channel marks the
 * cells of its box as occupied at once (before an editor's answer goes out: TileService.changesSeen), a change during
 * a build throws that build away, and a new data version builds the grid again. Ours: no library keeps such a grid.
 */
import type { Database } from '../db/database.ts';
import type { Layer } from '../catalog/catalog.ts';
import { rangeSize, tileRange, type BBox, type TileCoord, type TileRange } from './grid.ts';
import { occupiedCellsQuery } from './sql.ts';

/** The zoom of the cells. */
export const cellZoom = 14;

/** Below this zoom a tile spans too many cells to be worth testing (and nearly every such tile holds data). */
export const occupancyMinZoom = 12;

/** Most cells a layer's bounds may span for a grid to be built (the province spans about 1,700). */
const maxCells = 20_000;

/** Share of a tile's width its buffer reaches beyond each edge (64 of 4096 units), rounded up. */
const bufferShare = 1 / 32;

const cellKey = (x: number, y: number) => x * 2 ** cellZoom + y;

/** The cells a tile and its buffer touch (z >= occupancyMinZoom). */
export function tileCells({ z, x, y }: TileCoord): TileRange {
  const scale = 2 ** (cellZoom - z);
  return {
    z: cellZoom,
    minX: Math.floor((x - bufferShare) * scale),
    minY: Math.floor((y - bufferShare) * scale),
    maxX: Math.floor((x + 1 + bufferShare) * scale),
    maxY: Math.floor((y + 1 + bufferShare) * scale),
  };
}

interface Grid {
  /** The data version and relation of the layer the grid was built for. */
  dataVersion: number;
  relation: string;
  /** Occupied cells, or null while unknown (building, or given up). */
  cells: Set<number> | null;
  /** Bumped by every change: a build that started before a change is thrown away. */
  generation: number;
}

function builtFor(grid: Grid, layer: Layer): boolean {
  return grid.dataVersion === layer.dataVersion && grid.relation === layer.relationSql;
}

/** The occupancy grids of the layers of one app instance. */
export class Occupancy {
  private readonly grids = new Map<string, Grid>();

  constructor(private readonly db: Pick<Database, 'rows'>) {}

  /** Builds a layer's grid (in the background; until it is there the layer is always queried). */
  async load(layer: Layer): Promise<void> {
    const known = this.grids.get(layer.id);
    if (known && builtFor(known, layer)) return;
    const grid: Grid = { dataVersion: layer.dataVersion, relation: layer.relationSql, cells: null, generation: 0 };
    this.grids.set(layer.id, grid);
    // Tables read in place keep their own geometry column and SRID: they are always queried.
    if (layer.source || !layer.bounds) return;
    // One cell more on every side: the catalog's bounds may be a little short (single-precision extents).
    const inner = tileRange(layer.bounds, cellZoom, 0);
    const range = { z: cellZoom, minX: inner.minX - 1, minY: inner.minY - 1, maxX: inner.maxX + 1, maxY: inner.maxY + 1 };
    if (rangeSize(range) > maxCells) return;
    const generation = grid.generation;
    const q = occupiedCellsQuery(layer, range);
    const rows = await this.db.rows<{ x: number; y: number }>(q.sql, q.bindings);
    if (this.grids.get(layer.id) !== grid || grid.generation !== generation) return;
    grid.cells = new Set(rows.map((r) => cellKey(r.x, r.y)));
  }

  /**
   * A change to a layer's table over `bbox` (EPSG:4326, null = anywhere): its cells are occupied from now on;
   * without a box the grid is unknown until built again.
   */
  changed(layerId: string, bbox: BBox | null): void {
    const grid = this.grids.get(layerId);
    if (!grid) return;
    grid.generation++;
    if (!grid.cells) return;
    if (!bbox) {
      grid.cells = null;
      return;
    }
    const r = tileRange(bbox, cellZoom);
    if (rangeSize(r) > maxCells) {
      grid.cells = null;
      return;
    }
    for (let x = r.minX; x <= r.maxX; x++) for (let y = r.minY; y <= r.maxY; y++) grid.cells.add(cellKey(x, y));
  }

  /** Forgets a layer's grid (removed, or a new version that `load` builds). */
  forget(layerId: string): void {
    const grid = this.grids.get(layerId);
    if (grid) grid.generation++;
    this.grids.delete(layerId);
  }

  /** May the layer have features in this tile (or its buffer)? True unless its grid says no. */
  mayHaveData(layer: Layer, coord: TileCoord): boolean {
    if (coord.z < occupancyMinZoom) return true;
    const grid = this.grids.get(layer.id);
    if (!grid?.cells || !builtFor(grid, layer)) return true;
    const r = tileCells(coord);
    for (let x = r.minX; x <= r.maxX; x++) for (let y = r.minY; y <= r.maxY; y++) if (grid.cells.has(cellKey(x, y))) return true;
    return false;
  }
}
