/**
 * Parsing of tile requests: z/x/y, the `{y}.mvt` file name, layer lists and `?properties=`. The router and the
 * fast path below express (`server/http/tiles.ts`) read a tile URL with these same functions, so both accept and
 * refuse the same addresses. Every message names the parameter and the value, so a 400 says what to fix.
 */
import { InvalidParameterError } from '../../errors.ts';
import { maxZoom, tilesAcross, type TileCoord } from '../../tiles/grid.ts';
import { maxCompositeLayers } from '../../tiles/tilejson.ts';

export { maxCompositeLayers };

const wholeNumber = /^\d{1,10}$/;

function parseIndex(name: string, raw: string): number {
  if (!wholeNumber.test(raw)) throw new InvalidParameterError(`${name}=${JSON.stringify(raw)} is not a whole number`, name);
  return Number(raw);
}

/** Parses and checks a tile address: z in 0..24, x and y in 0..2^z-1. The one validity check of a tile address. */
export function parseTileCoord(zRaw: string, xRaw: string, yRaw: string): TileCoord {
  const z = parseIndex('z', zRaw);
  if (z > maxZoom) throw new InvalidParameterError(`z=${z} is outside 0..${maxZoom}`, 'z');
  const x = parseIndex('x', xRaw);
  const y = parseIndex('y', yRaw);
  const last = tilesAcross(z) - 1;
  if (x > last) throw new InvalidParameterError(`x=${x} is outside 0..${last} at z=${z}`, 'x');
  if (y > last) throw new InvalidParameterError(`y=${y} is outside 0..${last} at z=${z}`, 'y');
  return { z, x, y };
}

/** Splits `{y}.mvt` / `{y}.pbf` into the row; any other extension is a 400 naming it. */
export function parseTileFile(raw: string): string {
  const m = /^([^.]*)\.(mvt|pbf)$/.exec(raw);
  if (!m) throw new InvalidParameterError(`tile "${raw}" must end in .mvt or .pbf`, 'y');
  return m[1];
}

/** Splits a comma list of layer ids; empty entries and repeats are 400s. Ids are checked by the catalog. */
export function parseLayerList(raw: string): string[] {
  const ids = raw.split(',');
  if (ids.length > maxCompositeLayers) {
    throw new InvalidParameterError(`layers: ${ids.length} layers requested, at most ${maxCompositeLayers} per tile`, 'layers');
  }
  const seen = new Set<string>();
  for (const id of ids) {
    if (id === '') throw new InvalidParameterError(`layers=${JSON.stringify(raw)} has an empty entry`, 'layers');
    if (seen.has(id)) throw new InvalidParameterError(`layers=${JSON.stringify(raw)} names "${id}" twice`, 'layers');
    seen.add(id);
  }
  return ids;
}

/** The layer ids and the address of an XYZ tile (`/tiles/{layers}/{z}/{x}/{y}.mvt`). */
export interface XyzTileAddress {
  layerIds: string[];
  coord: TileCoord;
}

/** Reads the decoded path segments of `/tiles/{layers}/{z}/{x}/{y}.mvt`. */
export function parseXyzTile(layers: string, z: string, x: string, file: string): XyzTileAddress {
  return { layerIds: parseLayerList(layers), coord: parseTileCoord(z, x, parseTileFile(file)) };
}

/**
 * Reads the path of a raw request URL as an XYZ tile address for the fast path, or null when it is not one the
 * fast path may answer: any query string (`?properties=`), percent-escape or other shape goes to the router,
 * which reads the same segments with parseXyzTile and answers the errors.
 */
export function parseXyzTileUrl(url: string): XyzTileAddress | null {
  if (!url.startsWith('/tiles/') || url.includes('?') || url.includes('%')) return null;
  const segments = url.split('/');
  if (segments.length !== 6) return null;
  try {
    return parseXyzTile(segments[2], segments[3], segments[4], segments[5]);
  } catch {
    return null;
  }
}

/**
 * Reads `?properties=a,b`: undefined when absent (all properties), [] when empty (none).
 * Names are checked against the layers by the caller (`selectProperties`).
 */
export function parsePropertyList(raw: unknown): string[] | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new InvalidParameterError('properties must be given once, as a comma list', 'properties');
  if (raw.includes('\u0000')) throw new InvalidParameterError('parameter "properties" holds a NUL character (%00)', 'properties');
  if (raw.trim() === '') return [];
  return [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
}
