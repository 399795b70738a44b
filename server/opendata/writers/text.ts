/** The streamed text formats of a download: GeoJSON, CSV (WKT or X/Y) and KML, written row by row. */
import type { Writable } from 'node:stream';
import type { LayerColumn } from '../../catalog/definition.ts';
import type { CrsDefinition } from '../../crs/registry.ts';
import type { DownloadRow } from '../download-sql.ts';
import { Sink } from './sink.ts';

/** What every writer is told about the selection. */
export interface WriteTarget {
  /** Layer id: the KML schema name and the GeoJSON `name`. */
  name: string;
  title: string;
  columns: readonly LayerColumn[];
  crs: CrsDefinition;
}

/** Writes a GeoJSON FeatureCollection; a CRS other than WGS 84 is named in the (GeoJSON 2008) `crs` member GDAL reads. */
export async function writeGeoJson(out: Writable, rows: AsyncIterable<DownloadRow>, t: WriteTarget): Promise<number> {
  const sink = new Sink(out);
  const head: Record<string, unknown> = { type: 'FeatureCollection', name: t.name };
  if (t.crs.srid !== 4326) head.crs = { type: 'name', properties: { name: `urn:ogc:def:crs:EPSG::${t.crs.srid}` } };
  await sink.write(`${JSON.stringify(head).slice(0, -1)},"features":[\n`);
  let n = 0;
  for await (const row of rows) {
    const props: Record<string, unknown> = {};
    t.columns.forEach((c, i) => (props[c.name] = row[`c${i}`] ?? null));
    await sink.write(
      `${n ? ',\n' : ''}{"type":"Feature","id":${row.id},"geometry":${row.g ?? 'null'},"properties":${JSON.stringify(props)}}`,
    );
    n++;
  }
  await sink.write('\n]}\n');
  await sink.end();
  return n;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes CSV with a UTF-8 BOM (Excel opens Vietnamese text right): id, properties, then WKT or X and Y. */
export async function writeCsv(
  out: Writable,
  rows: AsyncIterable<DownloadRow>,
  t: WriteTarget,
  geometry: 'wkt' | 'xy',
): Promise<number> {
  const sink = new Sink(out);
  const geomHeader = geometry === 'wkt' ? ['WKT'] : ['X', 'Y'];
  await sink.write(`\ufeff${['id', ...t.columns.map((c) => c.name), ...geomHeader].map(csvField).join(',')}\r\n`);
  let n = 0;
  for await (const row of rows) {
    const fields = [row.id, ...t.columns.map((_, i) => row[`c${i}`]), ...(geometry === 'wkt' ? [row.g] : [row.x, row.y])];
    await sink.write(`${fields.map(csvField).join(',')}\r\n`);
    n++;
  }
  await sink.end();
  return n;
}

/** Escapes text for XML content and attributes. */
export function xmlText(value: unknown): string {
  return String(value)
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

const kmlTypes: Record<LayerColumn['type'], string> = {
  string: 'string',
  integer: 'int',
  number: 'double',
  boolean: 'bool',
  date: 'string',
  datetime: 'string',
};

/** Writes KML 2.2: a typed Schema and one Placemark per feature with its SchemaData (read by GDAL's LIBKML and KML drivers). */
export async function writeKml(out: Writable, rows: AsyncIterable<DownloadRow>, t: WriteTarget): Promise<number> {
  const sink = new Sink(out);
  const schemaId = xmlText(t.name);
  const fields = t.columns.map((c) => `<SimpleField name="${xmlText(c.name)}" type="${kmlTypes[c.type]}"/>`).join('');
  await sink.write(
    `<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document id="root">` +
      `<Schema name="${schemaId}" id="${schemaId}">${fields}</Schema>\n<Folder><name>${schemaId}</name>\n`,
  );
  let n = 0;
  for await (const row of rows) {
    const data = t.columns
      .map((c, i) => {
        const v = row[`c${i}`];
        if (v === null || v === undefined) return '';
        // xs:boolean allows true/false and 1/0; GDAL's KML readers parse only 1/0 (atoi).
        const text = typeof v === 'boolean' ? (v ? '1' : '0') : v;
        return `<SimpleData name="${xmlText(c.name)}">${xmlText(text)}</SimpleData>`;
      })
      .join('');
    await sink.write(
      `<Placemark id="${schemaId}.${row.id}"><ExtendedData><SchemaData schemaUrl="#${schemaId}">${data}</SchemaData>` +
        `</ExtendedData>${row.g ?? ''}</Placemark>\n`,
    );
    n++;
  }
  await sink.write('</Folder></Document></kml>\n');
  await sink.end();
  return n;
}
