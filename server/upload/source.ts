/**
 * From an uploaded file to datasets: the format is chosen by extension (and checked by content), archives are
 * checked before extraction, and each readable table becomes a SourceDataset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openCheckedZip, type ZipLimits } from './zip.ts';
import { groupShapefiles, openShapefile } from './formats/shapefile.ts';
import { openGeoJson } from './formats/geojson.ts';
import { openKml } from './formats/kml.ts';
import { openCsv } from './formats/csv.ts';
import { openGeoPackage } from './formats/geopackage.ts';
import { badInput, type SourceDataset } from './types.ts';
import { UnsupportedMediaTypeError } from '../errors.ts';

/** The formats we take, as told to uploaders in the 415 message. */
export const acceptedFormats =
  'GeoJSON (.geojson, .json), zipped Shapefile (.zip with .shp, .shx, .dbf and optional .prj, .cpg), GeoPackage (.gpkg), KML (.kml), KMZ (.kmz), CSV with coordinate columns (.csv)';

/** What the uploader asked for that affects reading. */
export interface ReadOptions {
  /** CSV coordinate column names. */
  xField?: string;
  yField?: string;
  /** GeoPackage tables to import (default: every feature table). */
  tables?: string[] | null;
}

/** Opened datasets and a closer for open handles. */
export interface OpenedSource {
  format: string;
  datasets: SourceDataset[];
  close(): void;
}

const baseName = (fileName: string) => path.basename(fileName.replace(/\\/g, '/')).replace(/\.[^.]+$/, '');

function hasMagic(file: string, magic: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(magic.length);
    fs.readSync(fd, buf, 0, magic.length, 0);
    return buf.toString('latin1') === magic;
  } finally {
    fs.closeSync(fd);
  }
}

/** 415 naming the accepted formats. */
export function unsupportedFormat(what: string): UnsupportedMediaTypeError {
  return new UnsupportedMediaTypeError(`${what} is not a format we read; accepted: ${acceptedFormats}`);
}

/** Opens an uploaded file (saved at `file`, sent as `fileName`); extracts archives into `workDir`. */
export async function openSource(
  file: string,
  fileName: string,
  workDir: string,
  limits: ZipLimits,
  options: ReadOptions,
): Promise<OpenedSource> {
  const ext = path.extname(fileName).toLowerCase();
  const name = baseName(fileName);
  const single = (format: string, ds: SourceDataset): OpenedSource => ({ format, datasets: [ds], close: () => undefined });
  switch (ext) {
    case '.geojson':
    case '.json':
      return single('GeoJSON', openGeoJson(name, file, fileName));
    case '.kml':
      return single('KML', openKml(name, file, fileName));
    case '.csv':
    case '.tsv':
    case '.txt':
      return single('CSV', await openCsv(name, file, fileName, { x: options.xField, y: options.yField }));
    case '.gpkg': {
      if (!hasMagic(file, 'SQLite format 3\u0000')) throw badInput(`${fileName} is not a GeoPackage (no SQLite header)`);
      const g = openGeoPackage(file, fileName, options.tables ?? null);
      return { format: 'GeoPackage', ...g };
    }
    case '.zip':
    case '.kmz':
      return openArchive(file, fileName, workDir, limits, options);
    case '.shp':
    case '.dbf':
    case '.shx':
      throw badInput(
        `a Shapefile must be uploaded as one .zip holding .shp, .shx and .dbf (with .prj and .cpg when present), not ${fileName} alone`,
      );
    default:
      throw unsupportedFormat(`"${fileName}"`);
  }
}

async function openArchive(
  file: string,
  fileName: string,
  workDir: string,
  limits: ZipLimits,
  options: ReadOptions,
): Promise<OpenedSource> {
  if (!hasMagic(file, 'PK\u0003\u0004')) throw badInput(`${fileName} is not a zip archive`);
  const zip = await openCheckedZip(file, limits);
  try {
    const names = zip.entries.map((e) => e.name).filter((n) => !n.includes('__MACOSX/'));
    const shapefiles = groupShapefiles(names);
    if (shapefiles.size > 0) {
      const datasets: SourceDataset[] = [];
      for (const parts of shapefiles.values()) {
        const extracted = await zip.extract([...parts.values()], workDir);
        const files = new Map([...parts].map(([ext, entry]) => [ext, extracted.get(entry)!]));
        datasets.push(await openShapefile(baseName(parts.get('shp')!), files));
      }
      return { format: 'Shapefile', datasets, close: () => undefined };
    }
    const inner = names.find((n) => /\.(kml|gpkg|geojson|json|csv)$/i.test(n));
    if (!inner) {
      throw unsupportedFormat(
        `"${fileName}" holds no .shp, .kml, .gpkg, .geojson or .csv (entries: ${names.slice(0, 10).join(', ')}) and`,
      );
    }
    const extracted = await zip.extract([inner], workDir);
    return openSource(extracted.get(inner)!, path.basename(inner), workDir, limits, options);
  } finally {
    zip.close();
  }
}
