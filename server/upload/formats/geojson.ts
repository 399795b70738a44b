/**
 * GeoJSON files: a FeatureCollection, a Feature or a bare geometry. RFC 7946 GeoJSON is WGS 84 lon/lat; the
 * 2008 `crs` member (often written by QGIS for VN-2000 data) is honoured. Parse errors name line and column.
 */
import type { Feature, Geometry } from 'geojson';
import { findJsonError } from './json-position.ts';
import { badInput, readWholeText, type DeclaredCrs, type SourceDataset, type SourceFeature, type SourceValue } from '../types.ts';

const geometryTypes = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection']);

/** Line and column (1-based) of a character offset in a text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/** Parses JSON text; a syntax error becomes 400 naming the line, column and character offset. */
export function parseJsonWithPosition(text: string, fileName: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const found = findJsonError(text) ?? { offset: text.length, expected: (err as Error).message };
    const { line, column } = lineColumn(text, found.offset);
    const near = JSON.stringify(text.slice(found.offset, found.offset + 20));
    throw badInput(`${fileName} is not valid JSON at line ${line}, column ${column} (character ${found.offset}): expected ${found.expected}, found ${near}`);
  }
}

function declaredCrsOf(doc: Record<string, unknown>): DeclaredCrs | null {
  const crs = doc.crs as { type?: string; properties?: { name?: unknown } } | undefined;
  if (!crs || typeof crs !== 'object') return null;
  const name = crs.properties?.name;
  if (typeof name === 'string') return { source: 'GeoJSON "crs" member', uri: name };
  throw badInput('the GeoJSON "crs" member has no properties.name; give the CRS as {"type":"name","properties":{"name":"EPSG:9214"}}');
}

function checkGeometry(g: unknown, where: string): Geometry | null {
  if (g === null || g === undefined) return null;
  const t = (g as { type?: unknown }).type;
  if (typeof t !== 'string' || !geometryTypes.has(t)) throw badInput(`${where}: "${String(t)}" is not a GeoJSON geometry type`);
  if (t === 'GeometryCollection') {
    const parts = (g as { geometries?: unknown }).geometries;
    if (!Array.isArray(parts)) throw badInput(`${where}: a GeometryCollection needs "geometries"`);
    parts.forEach((p, i) => checkGeometry(p, `${where}, member ${i}`));
  } else if (!Array.isArray((g as { coordinates?: unknown }).coordinates)) {
    throw badInput(`${where}: a ${t} needs "coordinates"`);
  }
  return g as Geometry;
}

function plainProperties(p: unknown): Record<string, SourceValue> {
  const out: Record<string, SourceValue> = {};
  if (!p || typeof p !== 'object') return out;
  for (const [k, v] of Object.entries(p)) {
    out[k] = v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
  }
  return out;
}

/** The features of a parsed GeoJSON document, checked; throws 400 naming the feature. */
export function geojsonFeatures(doc: unknown, fileName: string): Array<Pick<Feature, 'geometry' | 'properties'>> {
  if (!doc || typeof doc !== 'object') throw badInput(`${fileName} is not a GeoJSON object`);
  const d = doc as Record<string, unknown>;
  if (d.type === 'FeatureCollection') {
    if (!Array.isArray(d.features)) throw badInput(`${fileName}: a FeatureCollection needs a "features" array`);
    return d.features.map((f, i) => {
      if (!f || (f as { type?: unknown }).type !== 'Feature') throw badInput(`${fileName}: features[${i}] is not a Feature`);
      const feat = f as Record<string, unknown>;
      return { geometry: checkGeometry(feat.geometry, `${fileName}: features[${i}].geometry`)!, properties: feat.properties as Feature['properties'] };
    });
  }
  if (d.type === 'Feature') return [{ geometry: checkGeometry(d.geometry, `${fileName}: geometry`)!, properties: d.properties as Feature['properties'] }];
  if (typeof d.type === 'string' && geometryTypes.has(d.type)) return [{ geometry: checkGeometry(d, fileName)!, properties: {} }];
  throw badInput(`${fileName}: "type" must be FeatureCollection, Feature or a geometry type, got ${JSON.stringify(d.type)}`);
}

/** Largest GeoJSON parsed in one piece (bytes): V8 strings stop near 512 MiB, and the parsed objects take several times more. */
export const maxGeoJsonBytes = 200 << 20;

/** Reads a GeoJSON file. The whole document is parsed at once (JSON has no record boundaries), up to maxGeoJsonBytes. */
export function openGeoJson(name: string, file: string, fileName: string): SourceDataset {
  const text = readWholeText(file, fileName, 'GeoJSON', maxGeoJsonBytes);
  const doc = parseJsonWithPosition(text, fileName);
  const features = geojsonFeatures(doc, fileName);
  return {
    name,
    format: 'GeoJSON',
    crs: declaredCrsOf(doc as Record<string, unknown>),
    encoding: null,
    rawText: false,
    notes: [],
    async *features(): AsyncGenerator<SourceFeature> {
      let row = 0;
      for (const f of features) yield { geometry: f.geometry, properties: plainProperties(f.properties), row: ++row };
    },
  };
}
