/**
 * CSV with coordinate columns: lon/lat or x/y (Vietnamese survey tables: X is the northing, Y the easting; the
 * axis check of the pipeline catches that). Column names are detected and can be named by the uploader; the
 * coordinate columns stay attributes too (survey coordinates are records in their own right), marked by role.
 * Cells and column names are read as raw bytes (Excel in Vietnam writes UTF-8, Windows-1258 or TCVN3) and decoded
 * once the encoding is settled. A UTF-8 byte-order mark (Excel's "CSV UTF-8") is ours to strip: csv-parse's own
 * `bom` option switches it to decoding UTF-8 itself, which would hand latin1-decoded bytes back already decoded.
 * Empty cells are null; a quoted empty cell ("") is an empty string, as PostgreSQL's COPY reads CSV.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse';
import { detectVietnameseEncoding } from '../../text/encodings/index.ts';
import { BYTE_ORDER_MARK, decodeText } from '../text.ts';
import { badInput, RawText, type DeclaredColumn, type SourceDataset, type SourceFeature, type SourceValue } from '../types.ts';

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

const X_NAMES = [
  'lon',
  'lng',
  'long',
  'longitude',
  'kinhdo',
  'x',
  'toadox',
  'coordx',
  'easting',
  'east',
  'e',
  'xcoord',
  'point_x',
  'pointx',
];
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

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** True when the file starts with the UTF-8 byte-order mark. */
export function startsWithUtf8Bom(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(3);
    return fs.readSync(fd, buf, 0, 3, 0) === 3 && buf.equals(UTF8_BOM);
  } finally {
    fs.closeSync(fd);
  }
}

/** A quoted empty cell, told apart from an empty one by csv-parse's cast context. */
const QUOTED_EMPTY = '\u0000quoted-empty\u0000';

/**
 * The header as people read it, to find the coordinate columns before the encoding is settled: UTF-8 after a BOM,
 * else the best Vietnamese reading of the names themselves (they are decoded again with the table's encoding).
 */
function readableHeader(raw: readonly string[], bom: boolean): string[] {
  const bytes = raw.map((h) => Buffer.from(h, 'latin1'));
  const encoding = bom ? 'utf-8' : detectVietnameseEncoding(bytes.filter((b) => b.some((c) => c >= 0x80))).encoding;
  return bytes.map((b) => decodeText(b, encoding).trim());
}

/** Opens a CSV; reads its header at once so a missing coordinate column fails the upload with 400 up front. */
export async function openCsv(
  name: string,
  file: string,
  fileName: string,
  given: { x?: string; y?: string },
): Promise<SourceDataset> {
  const delimiter = sniffDelimiter(file);
  const bom = startsWithUtf8Bom(file);
  const rows = () =>
    fs.createReadStream(file, { start: bom ? UTF8_BOM.length : 0 }).pipe(
      parse({
        delimiter,
        encoding: 'latin1',
        bom: false,
        relax_column_count: true,
        skip_empty_lines: true,
        info: true,
        cast: (value, context) => (value === '' && context.quoting ? QUOTED_EMPTY : value),
      }),
    ) as AsyncIterable<{ record: string[]; info: { lines: number } }>;
  let raw: string[] | null = null;
  for await (const r of rows()) {
    raw = r.record.map((h) => (h === QUOTED_EMPTY ? '' : h.trim()));
    break;
  }
  if (!raw) throw badInput(`${fileName} is empty`);
  const header = raw;
  const readable = readableHeader(header, bom);
  const cols = detectCoordinateColumns(readable, given);
  const xi = readable.indexOf(cols.x);
  const yi = readable.indexOf(cols.y);
  const decimalComma = delimiter !== ',';
  const declaredColumns = new Map<string, DeclaredColumn>([
    [header[xi], { role: 'x' }],
    [header[yi], { role: 'y' }],
  ]);
  const notes = [`coordinate columns ${cols.how}; they are kept as attributes too`];
  return {
    name,
    format: 'CSV',
    crs: null,
    encoding: bom ? { source: BYTE_ORDER_MARK, value: 'UTF-8', encoding: 'utf-8' } : null,
    rawText: true,
    rawNames: true,
    notes,
    declaredColumns,
    async *features(): AsyncGenerator<SourceFeature> {
      let row = 0;
      let first = true;
      for await (const { record, info } of rows()) {
        if (first) {
          first = false;
          continue;
        }
        row++;
        const cellAt = (i: number) => (record[i] === QUOTED_EMPTY ? '' : (record[i] ?? ''));
        const x = parseCoordinate(cellAt(xi), decimalComma);
        const y = parseCoordinate(cellAt(yi), decimalComma);
        for (const [v, col, cell] of [
          [x, cols.x, cellAt(xi)],
          [y, cols.y, cellAt(yi)],
        ] as const) {
          if (Number.isNaN(v)) {
            throw badInput(
              `${fileName} row ${row} (line ${info.lines}): column "${col}" value ${JSON.stringify(cell)} is not a number`,
            );
          }
        }
        const props: Record<string, SourceValue> = {};
        header.forEach((h, i) => {
          if (i === xi || i === yi) {
            props[h] = i === xi ? x : y;
            return;
          }
          const cell = record[i] ?? '';
          props[h] = cell === QUOTED_EMPTY ? '' : cell === '' ? null : new RawText(Buffer.from(cell, 'latin1'));
        });
        yield { geometry: x === null || y === null ? null : { type: 'Point', coordinates: [x, y] }, properties: props, row };
      }
    },
  };
}
