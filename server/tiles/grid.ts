/**
 * Tile maths for the WebMercatorQuad grid (XYZ scheme: x grows east, y grows south, z 0..24).
 * Pure functions; EPSG:3857 metres and EPSG:4326 degrees are named in every signature.
 */

/** The highest zoom we serve (OGC WebMercatorQuad defines 0..24). */
export const maxZoom = 24;

/** Half the width of the Web Mercator square, in EPSG:3857 metres. */
export const originShift = 20037508.342789244;

/** MVT extent: tile coordinates run 0..4096 on each axis. */
export const tileExtent = 4096;

/** Buffer around each tile in tile units (of 4096): polygon edges then meet across tile borders. */
export const tileBuffer = 64;

/** A tile address. */
export interface TileCoord {
  z: number;
  x: number;
  y: number;
}

/** A bounding box [minx, miny, maxx, maxy]. */
export type BBox = [number, number, number, number];

/** Number of tiles along one axis at zoom z. */
export function tilesAcross(z: number): number {
  return 2 ** z;
}

/** True when (z, x, y) lies on the grid. */
export function isValidTile(z: number, x: number, y: number): boolean {
  return (
    Number.isInteger(z) &&
    z >= 0 &&
    z <= maxZoom &&
    Number.isInteger(x) &&
    Number.isInteger(y) &&
    x >= 0 &&
    y >= 0 &&
    x < tilesAcross(z) &&
    y < tilesAcross(z)
  );
}

/** The tile's bounds in EPSG:3857 metres, [minx, miny, maxx, maxy]. */
export function tileBounds3857({ z, x, y }: TileCoord): BBox {
  const size = (2 * originShift) / tilesAcross(z);
  const minx = -originShift + x * size;
  const maxy = originShift - y * size;
  return [minx, maxy - size, minx + size, maxy];
}

/** Longitude (degrees) of the western edge of tile column x at zoom z. */
export function tileXToLon(x: number, z: number): number {
  return (x / tilesAcross(z)) * 360 - 180;
}

/** Latitude (degrees) of the northern edge of tile row y at zoom z. */
export function tileYToLat(y: number, z: number): number {
  const n = Math.PI - (2 * Math.PI * y) / tilesAcross(z);
  return (180 / Math.PI) * Math.atan(Math.sinh(n));
}

/** The tile's bounds in EPSG:4326 degrees, [west, south, east, north]. */
export function tileBounds4326({ z, x, y }: TileCoord): BBox {
  return [tileXToLon(x, z), tileYToLat(y + 1, z), tileXToLon(x + 1, z), tileYToLat(y, z)];
}

/** Latitude in degrees clamped to the Web Mercator range (±85.0511°). */
function clampLat(lat: number): number {
  return Math.max(-85.0511287798066, Math.min(85.0511287798066, lat));
}

/** Fractional tile column of a longitude (degrees) at zoom z. */
export function lonToTileX(lon: number, z: number): number {
  return ((lon + 180) / 360) * tilesAcross(z);
}

/** Fractional tile row of a latitude (degrees) at zoom z. */
export function latToTileY(lat: number, z: number): number {
  const r = (clampLat(lat) * Math.PI) / 180;
  return ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * tilesAcross(z);
}

/** An inclusive range of tiles at one zoom. */
export interface TileRange {
  z: number;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/**
 * The tiles at zoom z whose buffered area (buffer in tile units of 4096) touches an EPSG:4326 bbox.
 * Used to find cached tiles hit by an edit: a tile shows features lying in its buffer too.
 */
export function tileRange(bbox: BBox, z: number, buffer = tileBuffer): TileRange {
  const n = tilesAcross(z);
  const pad = buffer / tileExtent;
  const clamp = (v: number) => Math.max(0, Math.min(n - 1, v));
  return {
    z,
    minX: clamp(Math.floor(lonToTileX(bbox[0], z) - pad)),
    maxX: clamp(Math.floor(lonToTileX(bbox[2], z) + pad)),
    // y grows southwards: the northern edge gives the smallest row
    minY: clamp(Math.floor(latToTileY(bbox[3], z) - pad)),
    maxY: clamp(Math.floor(latToTileY(bbox[1], z) + pad)),
  };
}

/** True when tile (x, y) of the range's zoom lies in the range. */
export function inRange(r: TileRange, x: number, y: number): boolean {
  return x >= r.minX && x <= r.maxX && y >= r.minY && y <= r.maxY;
}

/** How many tiles the range holds. */
export function rangeSize(r: TileRange): number {
  return (r.maxX - r.minX + 1) * (r.maxY - r.minY + 1);
}

/**
 * Size of one tile unit (1/4096 of the tile) in degrees of longitude and latitude near the tile's centre.
 * Simplification and area thresholds are computed from it so that they run in EPSG:4326, before the
 * transform (Mercator stretches latitude by 1/cos(lat), so a degree of latitude covers more tile units).
 */
export function tileUnitDegrees({ z, y }: TileCoord): { lon: number; lat: number } {
  const lon = 360 / tilesAcross(z) / tileExtent;
  const centreLat = tileYToLat(y + 0.5, z);
  return { lon, lat: lon * Math.cos((centreLat * Math.PI) / 180) };
}

/** Size of one tile unit (1/4096 of the tile) in EPSG:3857 metres, the same on both axes. */
export function tileUnitMetres({ z }: Pick<TileCoord, 'z'>): number {
  return (2 * originShift) / tilesAcross(z) / tileExtent;
}
