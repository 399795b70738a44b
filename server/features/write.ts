/**
 * Writers of feature responses. They stream: features are written as they arrive from the database, batched into
 * chunks, waiting for the socket to drain, so a large download never sits in memory whole.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { CsvRow } from './service.ts';

/** Bytes gathered before a write (fewer syscalls and gzip flushes than one write per feature). */
const chunkBytes = 64 * 1024;

/** Writes `text`, waiting for 'drain' when the socket's buffer is full. */
async function put(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * Writes a FeatureCollection: `head` members, then the features as they come, then the members `tail` returns
 * once the number of features is known (numberReturned, links). Returns the number of features written.
 */
export async function writeFeatureCollection(
  out: Writable,
  head: Record<string, unknown>,
  features: AsyncIterable<string>,
  tail: (numberReturned: number) => Record<string, unknown>,
): Promise<number> {
  const headJson = JSON.stringify({ type: 'FeatureCollection', ...head });
  let buffer = `${headJson.slice(0, -1)},"features":[`;
  let n = 0;
  for await (const f of features) {
    buffer += n === 0 ? f : `,${f}`;
    n++;
    if (buffer.length >= chunkBytes) {
      await put(out, buffer);
      buffer = '';
    }
  }
  const tailJson = JSON.stringify(tail(n));
  buffer += tailJson === '{}' ? ']}' : `],${tailJson.slice(1)}`;
  out.end(buffer);
  return n;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF; null is an empty field. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Writes CSV: a UTF-8 byte order mark (so spreadsheet programs read Vietnamese names right), a header of
 * `id`, the property names and `geometry` (WKT in the output CRS), then one line per feature, CRLF-terminated.
 */
export async function writeCsv(out: Writable, columns: readonly string[], rows: AsyncIterable<CsvRow>): Promise<number> {
  let buffer = `\ufeff${['id', ...columns, 'geometry'].map(csvField).join(',')}\r\n`;
  let n = 0;
  for await (const row of rows) {
    buffer += `${[row.id, ...row.values, row.wkt].map(csvField).join(',')}\r\n`;
    n++;
    if (buffer.length >= chunkBytes) {
      await put(out, buffer);
      buffer = '';
    }
  }
  out.end(buffer);
  return n;
}
