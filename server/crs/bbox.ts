/**
 * A bounding box in a supported CRS, normalised to longitude/easting first (the HTTP edge parses the `bbox`
 * parameter into one, `server/http/params/bbox.ts`); its SQL is `bboxClause` in server/sql/where.ts.
 */
import type { CrsDefinition } from './registry.ts';

/** A box in the coordinates of `crs`, x (longitude or easting) first; minx > maxx crosses the antimeridian. */
export interface Bbox {
  minx: number;
  miny: number;
  maxx: number;
  maxy: number;
  crs: CrsDefinition;
}

/**
 * The box as one or two non-crossing boxes: a geographic box with minx > maxx crosses the antimeridian and
 * becomes [minx, 180] and [-180, maxx].
 */
export function splitAntimeridian(b: Bbox): Array<[number, number, number, number]> {
  if (b.crs.kind === 'geographic' && b.minx > b.maxx) {
    return [
      [b.minx, b.miny, 180, b.maxy],
      [-180, b.miny, b.maxx, b.maxy],
    ];
  }
  return [[b.minx, b.miny, b.maxx, b.maxy]];
}
