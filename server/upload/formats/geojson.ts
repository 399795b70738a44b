/**
 * GeoJSON files: a FeatureCollection, a Feature or a bare geometry. RFC 7946 GeoJSON is WGS 84 lon/lat; the
 * 2008 `crs` member (often written by QGIS for VN-2000 data) is honoured. Parse errors name line and column.
 *
 * The file is read as a stream of JSON tokens (stream-json): each member of `features` is assembled on its own and
 * handed out, so memory is bounded by the largest feature, not the file, and the event loop runs between chunks.
 * Other top-level members (`type`, `crs`) are assembled whole wherever they stand; the `crs` member is known once
 * the first pass (the inspection) has read the file, which always precedes the CRS decision.
 * JSON tells "" from null, and so do we: an empty string is stored as an empty string, null as null.
 */
import fs from 'node:fs';
import type { Feature, Geometry } from 'geojson';
import Assembler from 'stream-json/assembler.js';
import { jsonParser, type Token } from 'stream-json/parser.js';
import { getManyValues, isMany, none } from 'stream-chain/defs.js';
import { findJsonError } from './json-position.ts';
import { DomainError } from '../../errors.ts';
import { badInput, type DeclaredCrs, type SourceDataset, type SourceFeature, type SourceValue } from '../types.ts';

const geometryTypes = new Set([
  'Point',
  'MultiPoint',
  'LineString',
  'MultiLineString',
  'Polygon',
  'MultiPolygon',
  'GeometryCollection',
]);

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
    throw badInput(
      `${fileName} is not valid JSON at line ${line}, column ${column} (character ${found.offset}): expected ${found.expected}, found ${near}`,
    );
  }
}

function declaredCrsOf(doc: Record<string, unknown>): DeclaredCrs | null {
  const crs = doc.crs as { type?: string; properties?: { name?: unknown } } | undefined;
  if (!crs || typeof crs !== 'object') return null;
  const name = crs.properties?.name;
  if (typeof name === 'string') return { source: 'GeoJSON "crs" member', uri: name };
  throw badInput(
    'the GeoJSON "crs" member has no properties.name; give the CRS as {"type":"name","properties":{"name":"EPSG:9214"}}',
  );
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

/** Largest GeoJSON whose syntax error is located by reading it whole (the streaming parser names no position). */
export const maxGeoJsonBytes = 200 << 20;

/** How many features are handed out before the reader lets the event loop run (timers, /health, other requests). */
const YIELD_EVERY = 200;

/** Top-level members of a GeoJSON document, and features as they complete, from a token stream. */
class GeoJsonTokens {
  /** Top-level members other than a `features` array, assembled. */
  readonly top: Record<string, unknown> = {};
  sawFeatures = false;
  private depth = 0;
  private started = false;
  private key: string | null = null;
  private inFeatures = false;
  private asm: Assembler | null = null;
  private index = 0;

  constructor(
    private readonly fileName: string,
    private readonly onFeature: (f: Pick<Feature, 'geometry' | 'properties'>) => void,
    private readonly onMember: (key: string, value: unknown) => void,
  ) {}

  consume(tok: Token): void {
    if (this.asm) {
      this.asm.consume(tok);
      if (this.asm.done) this.finish();
      return;
    }
    if (this.depth === 0) {
      if (tok.name !== 'startObject' || this.started) throw badInput(`${this.fileName} is not a GeoJSON object`);
      this.depth = 1;
      this.started = true;
      return;
    }
    if (this.inFeatures) {
      if (tok.name === 'endArray') {
        this.inFeatures = false;
        this.key = null;
        return;
      }
      this.startValue(tok);
      return;
    }
    if (tok.name === 'endObject') {
      this.depth = 0;
      return;
    }
    if (tok.name === 'keyValue') {
      this.key = tok.value;
      return;
    }
    if (this.key === 'features' && tok.name === 'startArray') {
      this.inFeatures = true;
      this.sawFeatures = true;
      return;
    }
    this.startValue(tok);
  }

  private startValue(tok: Token): void {
    this.asm = new Assembler();
    this.asm.consume(tok);
    if (this.asm.done) this.finish();
  }

  private finish(): void {
    const value = this.asm!.current;
    this.asm = null;
    if (this.inFeatures) {
      const i = this.index++;
      const f = value as Record<string, unknown> | null;
      if (!f || typeof f !== 'object' || f.type !== 'Feature')
        throw badInput(`${this.fileName}: features[${i}] is not a Feature`);
      const geometry = checkGeometry(f.geometry, `${this.fileName}: features[${i}].geometry`)!;
      this.onFeature({ geometry, properties: f.properties as Feature['properties'] });
      return;
    }
    this.top[this.key!] = value;
    this.onMember(this.key!, value);
    this.key = null;
  }

  /** True once the top-level object has been read to its end. */
  get complete(): boolean {
    return this.started && this.depth === 0;
  }

  /** Checks the document once it has been read whole, and hands out a lone Feature or geometry. */
  end(): void {
    const d = this.top;
    if (d.type === 'FeatureCollection') {
      if (!this.sawFeatures) throw badInput(`${this.fileName}: a FeatureCollection needs a "features" array`);
      return;
    }
    if (this.sawFeatures) {
      throw badInput(
        `${this.fileName}: a "features" array belongs to a FeatureCollection, but "type" is ${JSON.stringify(d.type)}`,
      );
    }
    if (d.type === 'Feature') {
      this.onFeature({
        geometry: checkGeometry(d.geometry, `${this.fileName}: geometry`)!,
        properties: d.properties as Feature['properties'],
      });
    } else if (typeof d.type === 'string' && geometryTypes.has(d.type))
      this.onFeature({ geometry: checkGeometry(d, this.fileName)!, properties: {} });
    else
      throw badInput(
        `${this.fileName}: "type" must be FeatureCollection, Feature or a geometry type, got ${JSON.stringify(d.type)}`,
      );
  }
}

/** The 400 for a syntax error met while streaming: located by re-reading the text whole when it is not too large. */
function syntaxError(file: string, fileName: string, err: Error): DomainError {
  if (fs.statSync(file).size <= maxGeoJsonBytes) {
    try {
      parseJsonWithPosition(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''), fileName);
    } catch (located) {
      if (located instanceof DomainError) return located;
    }
  }
  return badInput(`${fileName} is not valid JSON: ${err.message}`);
}

/** Reads a GeoJSON file as a stream (see the module comment). */
export function openGeoJson(name: string, file: string, fileName: string): SourceDataset {
  const dataset: SourceDataset = {
    name,
    format: 'GeoJSON',
    crs: null,
    encoding: null,
    rawText: false,
    notes: [],
    async *features(): AsyncGenerator<SourceFeature> {
      const ready: Array<Pick<Feature, 'geometry' | 'properties'>> = [];
      const tokens = new GeoJsonTokens(
        fileName,
        (f) => ready.push(f),
        (key, value) => {
          if (key === 'crs') dataset.crs = declaredCrsOf({ crs: value });
        },
      );
      const parser = jsonParser({ streamValues: false });
      const decoder = new TextDecoder('utf-8'); // drops a byte-order mark; invalid bytes become U+FFFD
      const feed = (out: unknown) => {
        if (isMany(out)) for (const tok of getManyValues(out) as Token[]) tokens.consume(tok);
        else if (out !== none) tokens.consume(out as Token);
      };
      const parse = (text: string | typeof none) => {
        try {
          feed(parser(text as string));
        } catch (err) {
          if (err instanceof DomainError) throw err;
          throw syntaxError(file, fileName, err as Error);
        }
      };
      let row = 0;
      const drain = async function* () {
        for (let i = 0; i < ready.length; i++) {
          yield { geometry: ready[i].geometry, properties: plainProperties(ready[i].properties), row: ++row };
          if (row % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
        }
        ready.length = 0;
      };
      for await (const chunk of fs.createReadStream(file)) {
        parse(decoder.decode(chunk as Buffer, { stream: true }));
        yield* drain();
      }
      parse(decoder.decode());
      parse(none);
      if (!tokens.complete) throw syntaxError(file, fileName, new Error('the text ends early'));
      tokens.end();
      yield* drain();
    },
  };
  return dataset;
}
