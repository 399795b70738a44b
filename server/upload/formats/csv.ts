/**
 * CSV with coordinate columns: lon/lat or x/y (Vietnamese survey tables: X is the northing, Y the easting; the
 * axis check of the pipeline catches that). Column names are detected and can be named by the uploader.
 * Cells are read as raw bytes (Excel in Vietnam writes UTF-8, Windows-1258 or TCVN3) and decoded once the
 * encoding is settled.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse';
import { badInput, RawText, type SourceDataset, type SourceFeature, type SourceValue } from '../types.ts';

/** Which columns hold the coordinates: `x` is written first in the geometry (lon/easting, unless swapped later). */
export interface CoordinateColumns {
  x: string;
  y: string;
  /** How they were found, for the report. */
  how: string;
}

const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

const X_NAMES = ['lon', 'lng', 'long', 'longitude', 'kinhdo', 'x', 'toadox', 'coordx', 'easting', 'east', 'e', 'xcoord', 'point_x', 'pointx'];
const Y_NAMES = ['lat', 'latitude', 'vido', 'y', 'toadoy', 'coordy', 'northing', 'north', 'n', 'ycoord', 'point_y', 'pointy'];

/** Finds the coordinate columns in a header, or uses the uploader's names; 400 naming the header when none fit. */
export function detectCoordinateColumns(header: readonly string[], given: { x?: string; y?: string } = {}): CoordinateColumns {
  if (given.x || given.y) {
    for (const name of [given.x, given.y]) {
      if (!name || !header.includes(name)) {
        throw badInput(`the CSV has no column "${name ?? ''}" (columns: ${header.join(', ')}); give both xField and yField`);
      }
    }
    return { x: given.x!, y: given.y!, how: `named by the uploader (x = "${given.x}", y = "${given.y}")` };
  }
  const pick = (names: string[]) => {
    for (const n of names) {
      const found = header.find((h) => fold(h) === n.replace(/_/g, ''));
      if (found) return found;
    }
    return undefined;
  };
  const x = pick(X_NAMES);
  const y = pick(Y_NAMES);
  if (!x || !y || x === y) {
    throw badInput(
      `no coordinate columns found in the CSV header (${header.join(', ')}); name them lon/lat or x/y, or give the form fields xField and yField`,
    );
  }
  return { x, y, how: `detected from the header (x = "${x}", y = "${y}")` };
}

function sniffDelimiter(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const line = buf.subarray(0, n).toString('latin1').split(/\r?\n/)[0];
    const counts = [',', ';', '\t', '|'].map((d) => [d, line.split(d).length - 1] as const);
    return counts.sort((a, b) => b[1] - a[1])[0][1] > 0 ? counts[0][0] : ',';
  } finally {
    fs.closeSync(fd);
  }
}

function parseCoordinate(cell: string, decimalComma: boolean): number | null {
  const s = cell.trim();
  if (s === '') return null;
  const n = Number(decimalComma ? s.replace(',', '.') : s);
  return Number.isFinite(n) ? n : NaN;
}

/** Opens a CSV; reads its header at once so a missing coordinate column fails the upload with 400 up front. */
export async function openCsv(name: string, file: string, fileName: string, given: { x?: string; y?: string }): Promise<SourceDataset> {
  const delimiter = sniffDelimiter(file);
  const rows = () =>
    fs.createReadStream(file).pipe(
      parse({ delimiter, encoding: 'latin1', bom: true, relax_column_count: true, skip_empty_lines: true, info: true }),
    ) as AsyncIterable<{ record: string[]; info: { lines: number } }>;
  let header: string[] | null = null;
  for await (const r of rows()) {
    header = r.record.map((h) => Buffer.from(h, 'latin1').toString('utf8').trim());
    break;
  }
  if (!header) throw badInput(`${fileName} is empty`);
  const cols = detectCoordinateColumns(header, given);
  const xi = header.indexOf(cols.x);
  const yi = header.indexOf(cols.y);
  const decimalComma = delimiter !== ',';
  return {
    name,
    format: 'CSV',
    crs: null,
    encoding: null,
    rawText: true,
    notes: [`coordinate columns ${cols.how}`],
    async *features(): AsyncGenerator<SourceFeature> {
      let row = 0;
      let first = true;
      for await (const { record, info } of rows()) {
        if (first) {
          first = false;
          continue;
        }
        row++;
        const x = parseCoordinate(record[xi] ?? '', decimalComma);
        const y = parseCoordinate(record[yi] ?? '', decimalComma);
        for (const [v, col, raw] of [[x, cols.x, record[xi]], [y, cols.y, record[yi]]] as const) {
          if (Number.isNaN(v)) {
            throw badInput(`${fileName} row ${row} (line ${info.lines}): column "${col}" value ${JSON.stringify(raw)} is not a number`);
          }
        }
        const props: Record<string, SourceValue> = {};
        header!.forEach((h, i) => {
          if (i === xi || i === yi) return;
          const cell = record[i] ?? '';
          props[h] = cell === '' ? null : new RawText(Buffer.from(cell, 'latin1'));
        });
        yield { geometry: x === null || y === null ? null : { type: 'Point', coordinates: [x, y] }, properties: props, row };
      }
    },
  };
}
