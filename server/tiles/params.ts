/**
 * Parsing of tile request parameters: z/x/y, layer lists, property lists, If-None-Match.
 * Pure functions; every message names the parameter and the value, so a 400 says what to fix.
 */
import { InvalidParameterError } from '../errors.ts';
import { maxZoom, tilesAcross, type TileCoord } from './grid.ts';

/** The most layers one composite tile may combine. */
export const maxCompositeLayers = 32;

const wholeNumber = /^\d{1,10}$/;

function parseIndex(name: string, raw: string): number {
  if (!wholeNumber.test(raw)) throw new InvalidParameterError(`${name}=${JSON.stringify(raw)} is not a whole number`);
  return Number(raw);
}

/** Parses and checks a tile address: z in 0..24, x and y in 0..2^z-1. */
export function parseTileCoord(zRaw: string, xRaw: string, yRaw: string): TileCoord {
  const z = parseIndex('z', zRaw);
  if (z > maxZoom) throw new InvalidParameterError(`z=${z} is outside 0..${maxZoom}`);
  const x = parseIndex('x', xRaw);
  const y = parseIndex('y', yRaw);
  const last = tilesAcross(z) - 1;
  if (x > last) throw new InvalidParameterError(`x=${x} is outside 0..${last} at z=${z}`);
  if (y > last) throw new InvalidParameterError(`y=${y} is outside 0..${last} at z=${z}`);
  return { z, x, y };
}

/** Splits `{y}.mvt` / `{y}.pbf` into the row; any other extension is a 400 naming it. */
export function parseTileFile(raw: string): string {
  const m = /^([^.]*)\.(mvt|pbf)$/.exec(raw);
  if (!m) throw new InvalidParameterError(`tile "${raw}" must end in .mvt or .pbf`);
  return m[1];
}

/** Splits a comma list of layer ids; empty entries and repeats are 400s. Ids are checked by the catalog. */
export function parseLayerList(raw: string): string[] {
  const ids = raw.split(',');
  if (ids.length > maxCompositeLayers) {
    throw new InvalidParameterError(`layers: ${ids.length} layers requested, at most ${maxCompositeLayers} per tile`);
  }
  const seen = new Set<string>();
  for (const id of ids) {
    if (id === '') throw new InvalidParameterError(`layers=${JSON.stringify(raw)} has an empty entry`);
    if (seen.has(id)) throw new InvalidParameterError(`layers=${JSON.stringify(raw)} names "${id}" twice`);
    seen.add(id);
  }
  return ids;
}

/**
 * Reads `?properties=a,b`: undefined when absent (all properties), [] when empty (none).
 * Names are checked against the layers by the caller (`selectProperties`).
 */
export function parsePropertyList(raw: unknown): string[] | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new InvalidParameterError('properties must be given once, as a comma list');
  if (raw.trim() === '') return [];
  return [...new Set(raw.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
}

/** True when an If-None-Match header matches this ETag (a list, weak validators and `*` included). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  for (const part of header.split(',')) {
    const tag = part.trim().replace(/^W\//, '');
    if (tag === etag) return true;
  }
  return false;
}

/** True when an Accept-Encoding header allows gzip (q=0 refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  const m = /(?:^|,)\s*(?:gzip|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*(?:,|$)/i.exec(header);
  return m !== null && (m[1] === undefined || Number(m[1]) > 0);
}

/**
 * Cache-Control of a tile: the layers' own setting when they agree, else the default; `private` when any
 * layer is restricted (a shared cache must not hand it to callers without a token).
 */
export function cacheControlFor(layers: readonly { access: string; tileOptions: { cacheControl?: string } }[], fallback: string): string {
  const own = new Set(layers.map((l) => l.tileOptions.cacheControl ?? fallback));
  const value = own.size === 1 ? [...own][0] : fallback;
  if (!layers.some((l) => l.access === 'restricted')) return value;
  const rest = value.split(',').map((s) => s.trim()).filter((s) => s && !/^(public|private|s-maxage=.*)$/i.test(s));
  return ['private', ...rest].join(', ');
}
