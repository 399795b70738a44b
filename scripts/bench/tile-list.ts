/**
 * Tile lists of the benchmarks (bench:tiles, bench:peers): reading one, and warming a server child up before it is
 * measured. A running server has compiled its hot code long since, so a benchmark of cold tiles first renders tiles
 * near its list, never in it. On the peer harness's
 * z12-16 list with the cache off, server CPU per tile was 1.24-1.31 ms from a fresh server, 1.07 after 582 nearby
 * tiles and 0.85-0.93 after a whole pass: V8 was still compiling the hot path.
 */
import fs from 'node:fs';
import type { TileCoord } from '../../server/tiles/grid.ts';

/** The tiles of a list file, one z/x/y a line (anything after the address, and other lines, ignored). */
export function readTileList(file: string): TileCoord[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const m = /^(\d+)\/(\d+)\/(\d+)/.exec(line.trim());
      return m ? [{ z: Number(m[1]), x: Number(m[2]), y: Number(m[3]) }] : [];
    });
}

/**
 * The composite both tile benchmarks request: the public demo layers, bottom to top, which is also the composite of
 * the peer harness's project contract (conf/project.map.in, tilesql-project.mjs).
 */
export const benchComposite = [
  'admin_provinces',
  'admin_districts',
  'admin_communes',
  'landuse_parcels',
  'industrial_zones',
  'rivers',
  'roads',
  'places',
];

/** Tiles of a warm-up pass. */
export const warmUpTiles = 2000;

/** Up to `n` tiles in the zoom band near tiles of the list (1 to 3 tiles east, south or both) and not in it. */
export function nearbyTiles(tiles: readonly TileCoord[], n: number, band: { min: number; max: number }): TileCoord[] {
  const key = (t: TileCoord) => `${t.z}/${t.x}/${t.y}`;
  const listed = new Set(tiles.map(key));
  const out = new Map<string, TileCoord>();
  const offsets = [1, 2, 3].flatMap((d) => [
    [d, 0],
    [0, d],
    [d, d],
  ]);
  for (const [dx, dy] of offsets) {
    for (const t of tiles) {
      const next = { z: t.z, x: t.x + dx, y: t.y + dy };
      if (t.z >= band.min && t.z <= band.max && !listed.has(key(next))) out.set(key(next), next);
      if (out.size >= n) return [...out.values()];
    }
  }
  return [...out.values()];
}

/** GETs every path from `base` with `concurrency` requests at once (gzip accepted); the answers are dropped. */
export async function warmUp(base: string, paths: readonly string[], concurrency = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const res = await fetch(base + paths[next++], { headers: { 'Accept-Encoding': 'gzip' } });
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
