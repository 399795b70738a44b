/**
 * A small streaming dBASE (DBF) reader that hands out character fields as raw bytes: the encoding of a
 * Vietnamese DBF is decided afterwards (.cpg, language driver byte, detection), never by the reader. GDAL and
 * the `shapefile` package both decode while reading, which loses the bytes when their guess is wrong.
 */
import fs from 'node:fs/promises';
import { RawText, type SourceValue } from '../types.ts';

/** One field descriptor of the header. */
export interface DbfField {
  name: string;
  /** dBASE type letter: C (character), N/F (numeric), L (logical), D (date), I (32-bit integer), M (memo)... */
  type: string;
  length: number;
  decimals: number;
}

/** What the header says. */
export interface DbfHeader {
  records: number;
  headerLength: number;
  recordLength: number;
  /** The language driver id (byte 29): a code page hint, 0 when unset. */
  ldid: number;
  fields: DbfField[];
}

function trimSpaces(bytes: Uint8Array): Uint8Array {
  let s = 0;
  let e = bytes.length;
  while (e > s && (bytes[e - 1] === 0x20 || bytes[e - 1] === 0)) e--;
  while (s < e && bytes[s] === 0x20) s++;
  return bytes.subarray(s, e);
}

const ascii = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** Reads the header and field descriptors; throws Error naming the file for a file that is not a DBF. */
export async function readDbfHeader(file: string): Promise<DbfHeader> {
  const fh = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(32);
    const { bytesRead } = await fh.read(head, 0, 32, 0);
    if (bytesRead < 32) throw new Error('the .dbf is shorter than its 32-byte header');
    const headerLength = head.readUInt16LE(8);
    const recordLength = head.readUInt16LE(10);
    if (headerLength < 33 || recordLength < 1) throw new Error('the .dbf header is damaged (lengths)');
    const desc = Buffer.alloc(headerLength - 32);
    await fh.read(desc, 0, desc.length, 32);
    const fields: DbfField[] = [];
    for (let o = 0; o + 32 <= desc.length && desc[o] !== 0x0d; o += 32) {
      const nameBytes = desc.subarray(o, o + 11);
      const end = nameBytes.indexOf(0);
      fields.push({
        name: ascii(nameBytes.subarray(0, end < 0 ? 11 : end)).trim(),
        type: String.fromCharCode(desc[o + 11]).toUpperCase(),
        length: desc[o + 16],
        decimals: desc[o + 17],
      });
    }
    return { records: head.readUInt32LE(4), headerLength, recordLength, ldid: head[29], fields };
  } finally {
    await fh.close();
  }
}

function parseValue(field: DbfField, bytes: Uint8Array): SourceValue {
  switch (field.type) {
    case 'C':
    case 'V': {
      // dBASE pads text with spaces and has no null: a blank field cannot be told from an empty one, and is null.
      const t = trimSpaces(bytes);
      return t.length === 0 ? null : new RawText(Uint8Array.from(t));
    }
    case 'N':
    case 'F': {
      const s = ascii(bytes).trim();
      if (s === '' || /^[*?.]+$/.test(s)) return null;
      const n = Number(s);
      return Number.isFinite(n) ? n : null;
    }
    case 'I':
      return bytes.length === 4 ? Buffer.from(bytes).readInt32LE(0) : null;
    case 'L': {
      const c = ascii(bytes).trim().toUpperCase();
      return c === 'T' || c === 'Y' ? true : c === 'F' || c === 'N' ? false : null;
    }
    case 'D': {
      const s = ascii(bytes).trim();
      const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
      return m && s !== '00000000' ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
    }
    default:
      return null; // memo and binary fields point into a .dbt we do not read
  }
}

/** Streams the records (deleted ones skipped) as property objects; character fields are RawText. */
export async function* readDbfRecords(file: string, header: DbfHeader): AsyncGenerator<Record<string, SourceValue> | null> {
  const fh = await fs.open(file, 'r');
  try {
    const perChunk = Math.max(1, Math.floor((1 << 20) / header.recordLength));
    const buf = Buffer.alloc(perChunk * header.recordLength);
    let index = 0;
    while (index < header.records) {
      const n = Math.min(perChunk, header.records - index);
      const { bytesRead } = await fh.read(buf, 0, n * header.recordLength, header.headerLength + index * header.recordLength);
      const complete = Math.floor(bytesRead / header.recordLength);
      for (let r = 0; r < complete; r++) {
        const rec = buf.subarray(r * header.recordLength, (r + 1) * header.recordLength);
        if (rec[0] === 0x2a) {
          yield null; // deleted record: its shape is skipped too, keeping .shp and .dbf aligned
          continue;
        }
        const props: Record<string, SourceValue> = {};
        let o = 1;
        for (const f of header.fields) {
          props[f.name] = parseValue(f, rec.subarray(o, o + f.length));
          o += f.length;
        }
        yield props;
      }
      if (complete < n) return; // truncated file: the reader reports fewer records than the header claims
      index += n;
    }
  } finally {
    await fh.close();
  }
}
