/**
 * KML and KMZ (a zip whose main document is a .kml), read as a stream with sax: one placemark at a time, so memory
 * stays bounded by the largest placemark, not the file. KML is always WGS 84 lon/lat.
 *
 * What a placemark becomes: `name`; `description` as text (an HTML description, as Google Earth and QGIS write
 * them, is kept as its text content: tags dropped, entities decoded, rows and paragraphs on their own lines;
 * values are shown as text, so nothing of it is ever markup again); each ExtendedData `Data`/`SimpleData` by its
 * name; `timestamp` (or `begin`/`end`); and `folder`, the path of the Folder names it sits in ("A / B"). Style
 * elements are left out. Geometries: Point, LineString, LinearRing, Polygon, gx:Track and MultiGeometry of them.
 */
import fs from 'node:fs';
import sax from 'sax';
import type { Geometry, Position } from 'geojson';
import { htmlToText, looksLikeHtml } from '../../text/html.ts';
import { badInput, type SourceDataset, type SourceFeature, type SourceValue } from '../types.ts';

/** Elements whose text we keep, by local name. */
const TEXT_ELEMENTS = new Set(['name', 'description', 'value', 'SimpleData', 'coordinates', 'when', 'begin', 'end', 'coord']);

interface PlacemarkState {
  props: Record<string, SourceValue>;
  points: Position[];
  lines: Position[][];
  polygons: Position[][][];
  /** Rings of the Polygon being read (outer first). */
  rings: Position[][] | null;
  track: Position[] | null;
}

const localName = (qname: string) => qname.slice(qname.indexOf(':') + 1);

/** Positions of a KML `coordinates` text: "lon,lat[,alt]" tuples separated by white space (altitude dropped). */
export function parseKmlCoordinates(text: string, where: string): Position[] {
  const out: Position[] = [];
  for (const tuple of text.trim().split(/\s+/)) {
    if (tuple === '') continue;
    const [lon, lat] = tuple.split(',').map(Number);
    if (!Number.isFinite(lon) || !Number.isFinite(lat))
      throw badInput(`${where}: "${tuple.slice(0, 40)}" is not a "longitude,latitude" position`);
    out.push([lon, lat]);
  }
  return out;
}

function geometryOf(p: PlacemarkState): Geometry | null {
  const parts: Geometry[] = [
    ...p.points.map((coordinates): Geometry => ({ type: 'Point', coordinates })),
    ...p.lines.map((coordinates): Geometry => ({ type: 'LineString', coordinates })),
    ...p.polygons.map((coordinates): Geometry => ({ type: 'Polygon', coordinates })),
  ];
  if (parts.length <= 1) return parts[0] ?? null;
  if (parts.length === p.points.length) return { type: 'MultiPoint', coordinates: p.points };
  if (parts.length === p.lines.length) return { type: 'MultiLineString', coordinates: p.lines };
  if (parts.length === p.polygons.length) return { type: 'MultiPolygon', coordinates: p.polygons };
  return { type: 'GeometryCollection', geometries: parts };
}

/** What the reading found besides the placemarks, for the report. */
interface KmlCounts {
  htmlDescriptions: number;
}

/**
 * A push parser of KML text: `write` chunks, placemarks come out through `emit`. Errors (bad XML, bad
 * coordinates) are thrown from `write`/`close` as 400 naming the file and the position.
 */
function kmlParser(fileName: string, emit: (f: SourceFeature) => void, counts: KmlCounts) {
  const parser = sax.parser(true, { trim: false, normalize: false, position: true });
  const path: string[] = [];
  const folders: Array<string | null> = [];
  let placemark: PlacemarkState | null = null;
  let text: string[] | null = null;
  let dataName: string | null = null;
  let row = 0;
  let seenRoot = false;
  const where = () => `${fileName} line ${parser.line + 1}, placemark ${row + 1}`;

  parser.onerror = (err) => {
    // sax counts lines and columns from 0 and appends them to its message: name them once, from 1.
    throw badInput(
      `${fileName} is not valid XML at line ${parser.line + 1}, column ${parser.column + 1}: ${err.message.split('\n')[0]}`,
    );
  };
  parser.onopentag = (tag) => {
    seenRoot = true;
    const name = localName(tag.name);
    const parent = path[path.length - 1];
    path.push(name);
    if (name === 'Folder') folders.push(null);
    else if (name === 'Placemark') placemark = { props: {}, points: [], lines: [], polygons: [], rings: null, track: null };
    if (!placemark) {
      if (name === 'name' && parent === 'Folder') text = [];
      return;
    }
    if (TEXT_ELEMENTS.has(name)) text = [];
    if (name === 'Data' || name === 'SimpleData') dataName = String(tag.attributes.name ?? '');
    else if (name === 'Polygon') placemark.rings = [];
    else if (name === 'Track') placemark.track = [];
  };
  const onText = (t: string) => {
    if (text) text.push(t);
  };
  parser.ontext = onText;
  parser.oncdata = onText;
  parser.onclosetag = (qname) => {
    const name = path.pop() ?? localName(qname);
    const parent = path[path.length - 1];
    const value = text?.join('') ?? '';
    if (TEXT_ELEMENTS.has(name)) text = null;
    if (name === 'Folder') {
      folders.pop();
      return;
    }
    if (!placemark) {
      if (name === 'name' && parent === 'Folder') folders[folders.length - 1] = value.trim() || null;
      return;
    }
    const p: PlacemarkState = placemark;
    switch (name) {
      case 'Placemark': {
        const inside = folders.filter((f): f is string => f !== null);
        if (inside.length) p.props.folder = inside.join(' / ');
        if (p.track?.length) p.lines.push(p.track);
        row++;
        emit({ geometry: geometryOf(p), properties: p.props, row });
        placemark = null;
        break;
      }
      case 'name':
        if (parent === 'Placemark') p.props.name = value.trim();
        break;
      case 'description':
        if (parent === 'Placemark') {
          const html = looksLikeHtml(value);
          if (html) counts.htmlDescriptions++;
          p.props.description = html ? htmlToText(value) : value.trim();
        }
        break;
      case 'value':
        if (parent === 'Data' && dataName) p.props[dataName] = value;
        break;
      case 'SimpleData':
        if (dataName) p.props[dataName] = value;
        break;
      case 'when':
        if (parent === 'TimeStamp') p.props.timestamp = value.trim();
        break;
      case 'begin':
      case 'end':
        if (parent === 'TimeSpan') p.props[name] = value.trim();
        break;
      case 'coord':
        if (p.track) {
          const [lon, lat] = value.trim().split(/\s+/).map(Number);
          if (!Number.isFinite(lon) || !Number.isFinite(lat)) {
            throw badInput(`${where()}: gx:coord "${value.trim().slice(0, 40)}" is not "lon lat [alt]"`);
          }
          p.track.push([lon, lat]);
        }
        break;
      case 'coordinates': {
        const positions = parseKmlCoordinates(value, where());
        if (parent === 'Point') {
          if (positions.length) p.points.push(positions[0]);
        } else if (parent === 'LineString') p.lines.push(positions);
        else if (parent === 'LinearRing') {
          if (p.rings) p.rings.push(positions);
          else p.polygons.push([positions]); // a LinearRing on its own is a polygon without holes
        }
        break;
      }
      case 'Polygon':
        if (p.rings?.length) p.polygons.push(p.rings);
        p.rings = null;
        break;
    }
  };
  return {
    write: (chunk: string) => void parser.write(chunk),
    close() {
      parser.close();
      if (!seenRoot) throw badInput(`${fileName} is not valid XML: no root element`);
    },
  };
}

/** How many placemarks are handed out before the reader lets the event loop run (timers, /health, other requests). */
const YIELD_EVERY = 200;

/** Reads a KML document from disk as a stream; 400 when it is not XML or a coordinate is not a number. */
export function openKml(name: string, file: string, fileName: string): SourceDataset {
  const notes: string[] = [];
  let passes = 0;
  return {
    name,
    format: 'KML',
    crs: { source: 'KML (always WGS 84 longitude/latitude)', srid: 4326 },
    encoding: null,
    rawText: false,
    notes,
    async *features(): AsyncGenerator<SourceFeature> {
      const first = passes++ === 0;
      const counts: KmlCounts = { htmlDescriptions: 0 };
      const ready: SourceFeature[] = [];
      const parser = kmlParser(fileName, (f) => ready.push(f), counts);
      const decoder = new TextDecoder('utf-8'); // drops a byte-order mark; invalid bytes become U+FFFD
      let handed = 0;
      const drain = async function* () {
        for (let i = 0; i < ready.length; i++) {
          yield ready[i];
          if (++handed % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
        }
        ready.length = 0;
      };
      for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 << 10 })) {
        parser.write(decoder.decode(chunk as Buffer, { stream: true }));
        yield* drain();
      }
      parser.write(decoder.decode());
      parser.close();
      yield* drain();
      if (first && counts.htmlDescriptions) {
        notes.push(`${counts.htmlDescriptions} HTML descriptions were kept as their text (tags left out, entities decoded)`);
      }
    },
  };
}
