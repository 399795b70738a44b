/**
 * The `bbox` parameter of OGC API Features: 4 or 6 numbers in the axis order of `bbox-crs`.
 * Pure: parses, validates and normalises to longitude/easting first.
 */
import type { CrsDefinition } from '../../crs/registry.ts';
import { InvalidParameterError } from '../../errors.ts';
import type { Bbox } from '../../crs/bbox.ts';

/**
 * Parses "minx,miny,maxx,maxy" or "minx,miny,minz,maxx,maxy,maxz" (heights are ignored: the data is 2D).
 * For a latitude-first CRS (EPSG:4326, EPSG:4756 by URI) the numbers come as lat,lon and are swapped here.
 * Geographic boxes must lie within ±90°/±180°; minx > maxx is allowed there and means the box crosses 180°.
 */
export function parseBbox(value: string, crs: CrsDefinition, param = 'bbox'): Bbox {
  const parts = value.split(',');
  if (parts.length !== 4 && parts.length !== 6) {
    throw new InvalidParameterError(
      `parameter "${param}": expected 4 or 6 comma-separated numbers, got ${parts.length} in ${JSON.stringify(clip(value))}`,
    );
  }
  const nums = parts.map((p) => (/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(p) ? Number(p) : NaN));
  if (nums.some((n) => !Number.isFinite(n))) {
    throw new InvalidParameterError(`parameter "${param}": ${JSON.stringify(clip(value))} is not a list of finite numbers`);
  }
  const [a1, a2, b1, b2] = parts.length === 4 ? nums : [nums[0], nums[1], nums[3], nums[4]];
  if (parts.length === 6 && nums[2] > nums[5]) {
    throw new InvalidParameterError(`parameter "${param}": minimum height ${nums[2]} exceeds maximum height ${nums[5]}`);
  }
  const swap = crs.axisOrder === 'lat-lon';
  const [minx, miny, maxx, maxy] = swap ? [a2, a1, b2, b1] : [a1, a2, b1, b2];
  if (miny > maxy) {
    throw new InvalidParameterError(
      `parameter "${param}": the lower ${swap || crs.kind === 'geographic' ? 'latitude' : 'northing'} ${miny} exceeds the upper one ${maxy}`,
    );
  }
  if (crs.kind === 'geographic') {
    if (miny < -90 || maxy > 90)
      throw new InvalidParameterError(`parameter "${param}": latitudes must lie within -90..90, got ${miny}..${maxy}`);
    if (minx < -180 || minx > 180 || maxx < -180 || maxx > 180) {
      throw new InvalidParameterError(`parameter "${param}": longitudes must lie within -180..180, got ${minx}..${maxx}`);
    }
  } else if (minx > maxx) {
    throw new InvalidParameterError(`parameter "${param}": the lower easting ${minx} exceeds the upper one ${maxx}`);
  }
  return { minx, miny, maxx, maxy, crs };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
