/**
 * Zipped Shapefiles: each .shp with its .shx and .dbf (all three required: GDAL would open a .shp without its
 * .dbf and say nothing), plus .prj (CRS) and .cpg (code page) when present. Geometry comes from the `shapefile`
 * package, attributes from our DBF reader as raw bytes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openShp } from 'shapefile';
import { readDbfHeader, readDbfRecords } from './dbf.ts';
import { badInput, type DeclaredEncoding, type SourceDataset, type SourceFeature } from '../types.ts';

const partNames: Record<string, string> = { shx: 'the shape index', dbf: 'the attribute table' };

/** The parts of one shapefile found in an archive, by lower-case extension. */
export type ShapefileParts = Map<string, string>;

/** Groups archive entries into shapefiles by base name (case-insensitive); checks each has .shp, .shx, .dbf. */
export function groupShapefiles(entryNames: readonly string[]): Map<string, ShapefileParts> {
  const groups = new Map<string, ShapefileParts>();
  for (const name of entryNames) {
    const base = path.basename(name.replace(/\\/g, '/'));
    if (base.startsWith('._') || name.includes('__MACOSX/')) continue; // macOS resource forks
    const m = /^(.*)\.(shp|shx|dbf|prj|cpg)$/i.exec(name);
    if (!m) continue;
    const key = m[1].toLowerCase();
    const parts = groups.get(key) ?? new Map<string, string>();
    parts.set(m[2].toLowerCase(), name);
    groups.set(key, parts);
  }
  for (const [key, parts] of [...groups]) {
    if (!parts.has('shp')) {
      groups.delete(key); // a stray .dbf or .prj without geometry is ignored
      continue;
    }
    for (const need of ['shx', 'dbf']) {
      if (!parts.has(need)) {
        const shp = path.basename(parts.get('shp')!);
        throw badInput(
          `shapefile "${shp}" has no .${need} (${partNames[need]}); a zipped Shapefile needs .shp, .shx and .dbf with the same name`,
        );
      }
    }
  }
  return groups;
}

/** Reads one extracted shapefile; `files` maps the part extension to its path on disk. */
export async function openShapefile(name: string, files: Map<string, string>): Promise<SourceDataset> {
  const dbfPath = files.get('dbf')!;
  const header = await readDbfHeader(dbfPath).catch((err: Error) => {
    throw badInput(`${name}.dbf: ${err.message}`);
  });
  const prj = files.has('prj') ? fs.readFileSync(files.get('prj')!, 'utf8').trim() : '';
  const cpg = files.has('cpg') ? fs.readFileSync(files.get('cpg')!, 'latin1').trim() : '';
  let encoding: DeclaredEncoding | null = null;
  if (cpg) encoding = { source: '.cpg', value: cpg };
  else if (header.ldid)
    encoding = { source: 'DBF language driver byte', value: `0x${header.ldid.toString(16).padStart(2, '0')}` };
  const notes: string[] = [];
  if (!prj) notes.push(`${name}.prj is missing: the CRS must be confirmed`);
  return {
    name,
    format: 'Shapefile',
    crs: prj ? { source: '.prj', wkt: prj } : null,
    encoding,
    rawText: true,
    rawNames: true,
    notes,
    // dBASE D fields are dates (YYYYMMDD): the column stays a date even when every value is blank.
    declaredColumns: new Map(header.fields.filter((f) => f.type === 'D').map((f) => [f.name, { type: 'date' as const }])),
    async *features(): AsyncGenerator<SourceFeature> {
      const shp = await openShp(files.get('shp')!).catch((err: Error) => {
        throw badInput(`${name}.shp cannot be read: ${err.message}`);
      });
      const records = readDbfRecords(dbfPath, header);
      let row = 0;
      for (;;) {
        let shape: { done: boolean; value: SourceFeature['geometry'] };
        try {
          shape = await shp.read();
        } catch (err) {
          throw badInput(`${name}.shp is damaged at record ${row + 1}: ${(err as Error).message}`);
        }
        const rec = await records.next();
        if (shape.done) {
          if (!rec.done) throw badInput(`${name}.dbf has more records than ${name}.shp has shapes (${row})`);
          return;
        }
        row++;
        if (rec.done) throw badInput(`${name}.dbf has fewer records (${row - 1}) than ${name}.shp has shapes`);
        if (rec.value === null) continue; // deleted in the DBF
        yield { geometry: shape.value, properties: rec.value, row };
      }
    },
  };
}
