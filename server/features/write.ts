/**
 * Writers of feature responses. They stream: features are written as they arrive from the database, batched into
 * chunks, waiting for the socket to drain, so a large download never sits in memory whole.
 */
import type { Writable } from 'node:stream';
import type { CsvRow } from './service.ts';
import { listSeparator, Utf8Builder } from './bytes.ts';
import { ClientGoneError } from '../errors.ts';

/** Bytes gathered before a write (fewer syscalls and gzip flushes than one write per feature). */
const chunkBytes = 64 * 1024;

/**
 * Writes with backpressure through one persistent 'drain' listener per response. (The compression middleware
 * forwards 'drain' listeners to its gzip stream but not their removal, so a listener per wait would pile up.)
 */
class Sink {
  private waiter: (() => void) | null = null;
  private closed = false;

  constructor(private readonly out: Writable) {
    const wake = () => {
      const w = this.waiter;
      this.waiter = null;
      w?.();
    };
    out.on('drain', wake);
    out.once('close', () => {
      this.closed = true;
      wake();
    });
  }

  async put(chunk: string | Buffer): Promise<void> {
    if (this.closed) throw new ClientGoneError();
    if (!this.out.write(chunk)) await new Promise<void>((resolve) => (this.waiter = resolve));
    if (this.closed && !this.out.writableFinished) throw new ClientGoneError();
  }
}

/** The start of a FeatureCollection: `type`, the `head` members, and the opening of the features array. */
function collectionStart(head: Record<string, unknown>): string {
  return `${JSON.stringify({ type: 'FeatureCollection', ...head }).slice(0, -1)},"features":[`;
}

/** The end of a FeatureCollection: the features array closed, then the `tail` members. */
function collectionEnd(tail: Record<string, unknown>): string {
  const json = JSON.stringify(tail);
  return json === '{}' ? ']}' : `],${json.slice(1)}`;
}

/**
 * A FeatureCollection whose features are all at hand, as one UTF-8 body: `head` members, the features, then the
 * members `tail` returns for their number (numberReturned, links).
 */
export function featureCollectionBytes(
  head: Record<string, unknown>,
  features: readonly string[],
  tail: (numberReturned: number) => Record<string, unknown>,
): Buffer {
  return new Utf8Builder()
    .add(collectionStart(head))
    .addList(features)
    .add(collectionEnd(tail(features.length)))
    .take();
}

/**
 * Streams a FeatureCollection: `head` members, then the features as they come, then the members `tail` returns
 * once the number of features is known (numberReturned, links). Returns the number of features written.
 */
export async function writeFeatureCollection(
  out: Writable,
  head: Record<string, unknown>,
  features: AsyncIterable<string>,
  tail: (numberReturned: number) => Record<string, unknown>,
): Promise<number> {
  const sink = new Sink(out);
  const chunk = new Utf8Builder().add(collectionStart(head));
  let n = 0;
  for await (const f of features) {
    if (n > 0) chunk.add(listSeparator);
    chunk.add(f);
    n++;
    if (chunk.bytes >= chunkBytes) await sink.put(chunk.take());
  }
  out.end(chunk.add(collectionEnd(tail(n))).take());
  return n;
}

/** A cell that spreadsheet programs would run as a formula: first character `=`, `+`, `-`, `@`, tab or CR. */
const formulaStart = /^[=+\-@\t\r]/;
/** A plain decimal number (`-12.5`, `+3`, `1e-3`): not a formula, and numeric columns arrive here as text. */
const plainNumber = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF; null is an empty field. Formula-like text
 * is neutralised the OWASP way (a leading single quote, and the cell quoted) so that Excel or LibreOffice show it as
 * text; plain numbers stay numbers. The viewer's summary CSV (viewer/src/csv.ts) follows the same rule.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const raw = String(value);
  const neutralised = typeof value === 'string' && formulaStart.test(raw) && !plainNumber.test(raw);
  const s = neutralised ? `'${raw}` : raw;
  return neutralised || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Writes CSV: a UTF-8 byte order mark (so spreadsheet programs read Vietnamese names right), a header of
 * `id`, the property names and `geometry` (WKT in the output CRS), then one line per feature, CRLF-terminated.
 */
export async function writeCsv(out: Writable, columns: readonly string[], rows: AsyncIterable<CsvRow>): Promise<number> {
  const sink = new Sink(out);
  const chunk = new Utf8Builder();
  chunk.add(`\ufeff${['id', ...columns, 'geometry'].map(csvField).join(',')}\r\n`);
  let n = 0;
  for await (const row of rows) {
    chunk.add(`${[row.id, ...row.values, row.wkt].map(csvField).join(',')}\r\n`);
    n++;
    if (chunk.bytes >= chunkBytes) await sink.put(chunk.take());
  }
  out.end(chunk.take());
  return n;
}
