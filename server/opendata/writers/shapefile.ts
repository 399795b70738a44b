/**
 * Our own Shapefile writer (.shp, .shx, .dbf, .prj, .cpg and a field-name mapping). The installed `shapefile` package
 * only reads, and no installed library writes Shapefiles incrementally; the format is small and fixed (ESRI
 * Shapefile Technical Description, 1998; dBASE III), so a writer that appends records to files as rows arrive and
 * patches the headers at the end keeps memory flat in the feature count.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { LayerColumn } from '../../catalog/definition.ts';
import { normalizeSearchText } from '../../text/normalize.ts';
import type { DownloadRow } from '../download-sql.ts';
import { readWkb } from './wkb.ts';

/** Shape types by layer geometry: Point 1 (MultiPoint 8 when a row has several), PolyLine 3, Polygon 5. */
const shapeTypes = { Point: 1, LineString: 3, Polygon: 5 } as const;

/** Bytes gathered before a file write. */
const chunkBytes = 1 << 20;

/** Buffers gathered before a file write, whatever their size. */
const maxParts = 2048;

/** Appends buffers to a file in ~1 MiB writes; `patch` rewrites bytes at a position (headers). */
class FileWriter {
  private parts: Buffer[] = [];
  private size = 0;
  /** Bytes written or pending. */
  length = 0;
  private constructor(private readonly fh: fs.FileHandle) {}

  static async create(file: string): Promise<FileWriter> {
    return new FileWriter(await fs.open(file, 'w'));
  }

  /** Appends without waiting; true when a chunk is full and should be flushed. */
  push(b: Buffer): boolean {
    this.parts.push(b);
    this.size += b.length;
    this.length += b.length;
    // Count the parts too: the .shx gets 8 bytes a record, so 1 MiB would hold 131,072 small Buffer objects.
    return this.size >= chunkBytes || this.parts.length >= maxParts;
  }

  async write(b: Buffer): Promise<void> {
    if (this.push(b)) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.parts.length) return;
    const chunk = Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    await this.fh.write(chunk);
  }

  async patch(b: Buffer, position: number): Promise<void> {
    await this.flush();
    await this.fh.write(b, 0, b.length, position);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fh.close();
  }
}

/** One DBF field: its short name and how values are written. */
interface DbfField {
  column: LayerColumn;
  name: string;
  type: 'C' | 'N' | 'L' | 'D';
  length: number;
  decimals: number;
}

/**
 * DBF field names: at most 10 ASCII characters (dBASE III), unique; diacritics dropped ("chủ sở hữu" ->
 * "chu_so_huu"), other characters become "_", a clash gets a numbered suffix.
 */
export function shortFieldNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const base =
      normalizeSearchText(name)
        .replace(/[^a-z0-9_]+/g, '_')
        .replace(/^_+|_+$/g, '')
        .slice(0, 10) || 'field';
    let short = base;
    for (let i = 1; used.has(short.toUpperCase()); i++) short = `${base.slice(0, 10 - String(i).length - 1)}_${i}`;
    used.add(short.toUpperCase());
    return short;
  });
}

function dbfFields(columns: readonly LayerColumn[], textBytes: readonly number[]): DbfField[] {
  const names = shortFieldNames(columns.map((c) => c.name));
  return columns.map((column, i) => {
    const name = names[i];
    switch (column.type) {
      case 'integer':
        return { column, name, type: 'N', length: 18, decimals: 0 };
      case 'number':
        return { column, name, type: 'N', length: 24, decimals: 15 };
      case 'boolean':
        return { column, name, type: 'L', length: 1, decimals: 0 };
      case 'date':
        return { column, name, type: 'D', length: 8, decimals: 0 };
      default:
        return { column, name, type: 'C', length: Math.min(254, Math.max(1, textBytes[i] ?? 1)), decimals: 0 };
    }
  });
}

/** The UTF-8 bytes of `s`, cut at a character boundary to at most `max` bytes. */
function utf8Within(s: string, max: number): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return b;
  let end = max;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}

function numberText(v: number, f: DbfField): string {
  let s = f.decimals ? v.toFixed(f.decimals) : Math.round(v).toString();
  if (s.length > f.length) s = v.toPrecision(15); // very large values: exponent form, which readers parse
  return s.padStart(f.length, ' ');
}

/** One DBF record (deletion flag, then the fields) written into one buffer pre-filled with spaces: no allocation per field. */
function dbfRecord(row: DownloadRow, fields: readonly DbfField[], recordLength: number): Buffer {
  const out = Buffer.alloc(recordLength, 0x20);
  let o = 1;
  fields.forEach((f, i) => {
    const v = row[`c${i}`];
    if (v === null || v === undefined) {
      if (f.type === 'L') out.write('?', o, 'latin1');
    } else if (f.type === 'N') {
      out.write(numberText(Number(v), f), o, f.length, 'latin1');
    } else if (f.type === 'L') {
      out.write(v === true ? 'T' : 'F', o, 'latin1');
    } else if (f.type === 'D') {
      out.write(String(v).replace(/-/g, '').slice(0, 8), o, 8, 'latin1');
    } else {
      const text = String(v);
      // Most values fit and are written in place; a longer one is cut at a UTF-8 character boundary.
      if (Buffer.byteLength(text, 'utf8') <= f.length) out.write(text, o, f.length, 'utf8');
      else utf8Within(text, f.length).copy(out, o);
    }
    o += f.length;
  });
  return out;
}

function dbfHeader(fields: readonly DbfField[], count: number): Buffer {
  const recordLength = 1 + fields.reduce((s, f) => s + f.length, 0);
  const headerLength = 32 + fields.length * 32 + 1;
  const h = Buffer.alloc(headerLength);
  const now = new Date();
  h.writeUInt8(0x03, 0);
  h.writeUInt8(now.getUTCFullYear() - 1900, 1);
  h.writeUInt8(now.getUTCMonth() + 1, 2);
  h.writeUInt8(now.getUTCDate(), 3);
  h.writeUInt32LE(count, 4);
  h.writeUInt16LE(headerLength, 8);
  h.writeUInt16LE(recordLength, 10);
  h.writeUInt8(0x00, 29); // no code page byte: the .cpg says UTF-8
  fields.forEach((f, i) => {
    const o = 32 + i * 32;
    h.write(f.name, o, 10, 'latin1');
    h.write(f.type, o + 11, 1, 'latin1');
    h.writeUInt8(f.length, o + 16);
    h.writeUInt8(f.decimals, o + 17);
  });
  h.writeUInt8(0x0d, headerLength - 1);
  return h;
}

function mainHeader(shapeType: number, fileBytes: number, box: number[]): Buffer {
  const h = Buffer.alloc(100);
  h.writeInt32BE(9994, 0);
  h.writeInt32BE(fileBytes / 2, 24);
  h.writeInt32LE(1000, 28);
  h.writeInt32LE(shapeType, 32);
  const [x0, y0, x1, y1] = Number.isFinite(box[0]) ? box : [0, 0, 0, 0];
  h.writeDoubleLE(x0, 36);
  h.writeDoubleLE(y0, 44);
  h.writeDoubleLE(x1, 52);
  h.writeDoubleLE(y1, 60);
  return h;
}

/** The content of one shape record (after its 8-byte record header). */
function shapeContent(layerType: number, wkb: Uint8Array | null | undefined, box: number[]): Buffer {
  if (!wkb) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(0, 0); // null shape
    return b;
  }
  const geom = readWkb(wkb);
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  let points = 0;
  for (const p of geom.parts) {
    for (let i = 0; i < p.length; i += 2) {
      x0 = Math.min(x0, p[i]);
      x1 = Math.max(x1, p[i]);
      y0 = Math.min(y0, p[i + 1]);
      y1 = Math.max(y1, p[i + 1]);
    }
    points += p.length / 2;
  }
  box[0] = Math.min(box[0], x0);
  box[1] = Math.min(box[1], y0);
  box[2] = Math.max(box[2], x1);
  box[3] = Math.max(box[3], y1);
  if (layerType === 1 && geom.parts.length === 1) {
    const b = Buffer.alloc(20);
    b.writeInt32LE(1, 0);
    b.writeDoubleLE(geom.parts[0][0], 4);
    b.writeDoubleLE(geom.parts[0][1], 12);
    return b;
  }
  if (layerType === 1) throw new Error('a point layer holds a multipoint; the Shapefile writer writes one point per record');
  const b = Buffer.alloc(44 + geom.parts.length * 4 + points * 16);
  b.writeInt32LE(layerType, 0);
  b.writeDoubleLE(x0, 4);
  b.writeDoubleLE(y0, 12);
  b.writeDoubleLE(x1, 20);
  b.writeDoubleLE(y1, 28);
  b.writeInt32LE(geom.parts.length, 36);
  b.writeInt32LE(points, 40);
  let start = 0;
  let o = 44 + geom.parts.length * 4;
  geom.parts.forEach((p, i) => {
    b.writeInt32LE(start, 44 + i * 4);
    start += p.length / 2;
    for (let k = 0; k < p.length; k++, o += 8) b.writeDoubleLE(p[k], o);
  });
  return b;
}

/** What the Shapefile writer needs besides the rows. */
export interface ShapefileTarget {
  dir: string;
  /** File name without extension (ASCII-safe; the zip keeps it). */
  baseName: string;
  geometryType: keyof typeof shapeTypes;
  columns: readonly LayerColumn[];
  /** Bytes of the longest value of each text column (textLengthsQuery), so the DBF fields are wide enough. */
  textBytes: readonly number[];
  /** WKT of the CRS for the .prj. */
  prj: string;
}

/** Writes the Shapefile set into `dir`; returns the file names (in zip order) and the feature count. */
export async function writeShapefile(
  rows: AsyncIterable<DownloadRow>,
  t: ShapefileTarget,
): Promise<{ files: string[]; count: number }> {
  const type = shapeTypes[t.geometryType];
  const fields = dbfFields(t.columns, t.textBytes);
  const file = (ext: string) => path.join(t.dir, `${t.baseName}${ext}`);
  const shp = await FileWriter.create(file('.shp'));
  const shx = await FileWriter.create(file('.shx'));
  const dbf = await FileWriter.create(file('.dbf'));
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  let count = 0;
  try {
    await shp.write(Buffer.alloc(100));
    await shx.write(Buffer.alloc(100));
    await dbf.write(dbfHeader(fields, 0));
    const recordLength = 1 + fields.reduce((sum, f) => sum + f.length, 0);
    for await (const row of rows) {
      const content = shapeContent(type, row.g as Uint8Array | null, box);
      const rec = Buffer.alloc(8);
      rec.writeInt32BE(count + 1, 0);
      rec.writeInt32BE(content.length / 2, 4);
      const index = Buffer.alloc(8);
      index.writeInt32BE(shp.length / 2, 0);
      index.writeInt32BE(content.length / 2, 4);
      // Only a full chunk waits for the disk; the other appends are synchronous (no await per row).
      if (shx.push(index)) await shx.flush();
      shp.push(rec);
      if (shp.push(content)) await shp.flush();
      if (dbf.push(dbfRecord(row, fields, recordLength))) await dbf.flush();
      count++;
    }
    await dbf.write(Buffer.from([0x1a]));
    await shp.patch(mainHeader(type, shp.length, box), 0);
    await shx.patch(mainHeader(type, shx.length, box), 0);
    await dbf.patch(dbfHeader(fields, count), 0);
  } finally {
    await Promise.all([shp.close(), shx.close(), dbf.close()]);
  }
  await fs.writeFile(file('.prj'), t.prj);
  await fs.writeFile(file('.cpg'), 'UTF-8');
  const mapping = ['short_name,column_name', ...fields.map((f) => `${f.name},"${f.column.name.replace(/"/g, '""')}"`)].join(
    '\r\n',
  );
  await fs.writeFile(file('.fields.csv'), `\ufeff${mapping}\r\n`);
  return { files: ['.shp', '.shx', '.dbf', '.prj', '.cpg', '.fields.csv'].map((e) => `${t.baseName}${e}`), count };
}
