/**
 * Zip archives (zipped Shapefiles, KMZ, zipped GeoPackage/GeoJSON/CSV) opened with yauzl. The central directory
 * is checked before a single entry is written: no path traversal or absolute names, not too many entries, not a
 * zip bomb (declared total size or compression ratio). While extracting, the real inflated sizes are enforced too,
 * because a crafted archive can lie in its directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import yauzl from 'yauzl';
import { DomainError } from '../errors.ts';
import { badInput } from './types.ts';

/** Limits of an archive. */
export interface ZipLimits {
  /** Most entries in the archive. */
  maxEntries: number;
  /** Most bytes of all entries once inflated. */
  maxTotalBytes: number;
  /** Highest inflated/compressed ratio of an entry larger than 1 MiB (ordinary data compresses 2-20x). */
  maxRatio: number;
}

/** One entry as listed (directories excluded). */
export interface ZipEntryInfo {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    // decodeStrings: false so we see and judge every name ourselves (yauzl would reject '../' with a vaguer message).
    yauzl.open(file, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, zip) =>
      err || !zip ? reject(badInput(`the zip archive cannot be read: ${err?.message ?? 'unknown error'}`)) : resolve(zip),
    ),
  );
}

function readEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const out: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      e.fileName = entryName(e);
      out.push(e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(out));
    zip.on('error', (err: Error) => reject(badInput(`the zip archive is damaged: ${err.message}`)));
    zip.readEntry();
  });
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** The entry's name: UTF-8 when flagged or valid as UTF-8, else Latin-1 (old Windows zips use the OEM code page). */
function entryName(e: yauzl.Entry): string {
  const raw = e.fileName as unknown as Buffer;
  if (typeof raw === 'string') return raw;
  try {
    return utf8Strict.decode(raw);
  } catch {
    return raw.toString('latin1');
  }
}

/** Why an entry name is unsafe, or null. Rejects `..` segments, absolute and drive paths, NUL. */
export function unsafeEntryReason(name: string): string | null {
  if (name.includes('\u0000')) return 'contains a NUL character';
  const n = name.replace(/\\/g, '/');
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) return 'is an absolute path';
  if (n.split('/').some((seg) => seg === '..')) return 'climbs out of the archive with ".."';
  return null;
}

/** Checks the central directory against the limits; throws 400 naming the entry. Returns the file entries. */
export function checkEntries(entries: readonly ZipEntryInfo[], limits: ZipLimits): ZipEntryInfo[] {
  if (entries.length > limits.maxEntries)
    throw badInput(`the zip archive has ${entries.length} entries; at most ${limits.maxEntries} are accepted`);
  let total = 0;
  for (const e of entries) {
    const reason = unsafeEntryReason(e.name);
    if (reason) throw badInput(`zip entry "${e.name}" ${reason}; the archive was rejected before anything was extracted`);
    total += e.uncompressedSize;
    const ratio = e.uncompressedSize / Math.max(1, e.compressedSize);
    if (e.uncompressedSize > 1 << 20 && ratio > limits.maxRatio) {
      throw badInput(
        `zip entry "${e.name}" inflates ${Math.round(ratio)} times (${e.uncompressedSize} bytes); more than ${limits.maxRatio} looks like a zip bomb`,
      );
    }
  }
  if (total > limits.maxTotalBytes) {
    throw badInput(
      `the zip archive inflates to ${total} bytes, more than the limit of ${limits.maxTotalBytes}; it looks like a zip bomb`,
    );
  }
  return entries.filter((e) => !e.name.endsWith('/'));
}

/** An opened, checked archive. */
export interface CheckedZip {
  entries: ZipEntryInfo[];
  /** Extracts the named entries into `dir` under flat names (base name only); returns name -> path. */
  extract(names: readonly string[], dir: string): Promise<Map<string, string>>;
  close(): void;
}

/** Opens and checks an archive (throws 400 before anything is written); extract() is then safe. */
export async function openCheckedZip(file: string, limits: ZipLimits): Promise<CheckedZip> {
  const zip = await openZip(file);
  try {
    const raw = await readEntries(zip);
    const entries = checkEntries(
      raw.map((e) => ({ name: e.fileName, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize })),
      limits,
    );
    const byName = new Map(raw.map((e) => [e.fileName, e]));
    return {
      entries,
      async extract(names, dir) {
        const out = new Map<string, string>();
        let written = 0;
        for (const name of names) {
          const entry = byName.get(name);
          if (!entry) continue;
          const target = path.join(dir, `${out.size}_${path.basename(name.replace(/\\/g, '/')).replace(/[^\w.-]/g, '_')}`);
          const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
            zip.openReadStream(entry, (err, s) =>
              err || !s ? reject(badInput(`zip entry "${name}" cannot be read: ${err?.message}`)) : resolve(s),
            ),
          );
          // Count real inflated bytes: the directory's sizes are only claims.
          const counter = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              written += chunk.length;
              if (written > limits.maxTotalBytes)
                cb(badInput(`the zip archive inflates past the limit of ${limits.maxTotalBytes} bytes`));
              else cb(null, chunk);
            },
          });
          await pipeline(stream, counter, fs.createWriteStream(target)).catch((err: Error) => {
            throw err instanceof DomainError ? err : badInput(`zip entry "${name}" is damaged: ${err.message}`);
          });
          out.set(name, target);
        }
        return out;
      },
      close: () => zip.close(),
    };
  } catch (err) {
    zip.close();
    throw err;
  }
}
