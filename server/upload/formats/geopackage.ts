/**
 * GeoPackage (OGC 12-128r18): every feature table listed in gpkg_contents can become a layer. Read with
 * better-sqlite3 (read-only, row by row); geometry blobs are the GeoPackage header + WKB, parsed with wkx.
 * DATE and DATETIME columns stay date and timestamp columns; SQLite tells '' from NULL and so do we, except in a
 * date column, where '' can only mean no date.
 */
import Database from 'better-sqlite3';
import wkx from 'wkx';
import type { Geometry } from 'geojson';
import { badInput, type DeclaredColumn, type SourceDataset, type SourceFeature, type SourceValue } from '../types.ts';

interface FeatureTable {
  table: string;
  column: string;
  srsId: number;
  organization: string | null;
  orgCode: number | null;
  definition: string | null;
}

// Envelope sizes in bytes by the header's envelope indicator (flags bits 1-3): none, xy, xyz, xym, xyzm.
const ENVELOPE_BYTES = [0, 32, 48, 48, 64];

/** Decodes a GeoPackage geometry blob to GeoJSON; null for an empty or missing geometry. */
export function decodeGpkgGeometry(blob: Buffer | null): Geometry | null {
  if (!blob || blob.length < 8) return null;
  if (blob[0] !== 0x47 || blob[1] !== 0x50) throw new Error('not a GeoPackage geometry (no "GP" magic)');
  const flags = blob[3];
  if (flags & 0b10000) return null; // the empty-geometry flag
  const envelope = ENVELOPE_BYTES[(flags >> 1) & 0b111];
  if (envelope === undefined) throw new Error('bad envelope indicator in a GeoPackage geometry');
  const geom = wkx.Geometry.parse(blob.subarray(8 + envelope)).toGeoJSON() as Geometry;
  return geom;
}

/** Lists the feature tables of a GeoPackage; 400 when the file is not one. */
function featureTables(db: Database.Database, fileName: string): FeatureTable[] {
  try {
    return db
      .prepare(
        `SELECT c.table_name AS "table", g.column_name AS "column", g.srs_id AS srsId, s.organization AS organization,
                s.organization_coordsys_id AS orgCode, s.definition AS definition
           FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
           LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id
          WHERE c.data_type = 'features' ORDER BY c.table_name`,
      )
      .all() as FeatureTable[];
  } catch (err) {
    throw badInput(`${fileName} is not a GeoPackage: ${(err as Error).message}`);
  }
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The DATE and DATETIME columns of a table (GeoPackage 1.4 §1.1.1.1.1: ISO-8601 text in UTC). */
function dateColumns(db: Database.Database, table: string): Map<string, DeclaredColumn> {
  const info = db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(table) as Array<{ name: string; type: string }>;
  const out = new Map<string, DeclaredColumn>();
  for (const c of info) {
    const type = c.type.trim().toUpperCase();
    if (type === 'DATE') out.set(c.name, { type: 'date' });
    else if (type === 'DATETIME') out.set(c.name, { type: 'datetime' });
  }
  return out;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;

/** A DATE or DATETIME value as a Date; text that is not ISO-8601 stays text (and the column falls back to text). */
function dateValue(value: string, type: 'date' | 'datetime'): Date | string {
  if (type === 'date') {
    const m = ISO_DATE.exec(value);
    return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : value;
  }
  if (!ISO_DATETIME.test(value)) return value;
  // GeoPackage times are UTC; a value written without a zone is read as UTC too, not in the server's zone.
  const iso = value.replace(' ', 'T');
  const d = new Date(/(Z|[+-]\d{2}:\d{2})$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(d.getTime()) ? value : d;
}

/** Opens a GeoPackage; one dataset per feature table (all, or those named in `only`). */
export function openGeoPackage(
  file: string,
  fileName: string,
  only: readonly string[] | null,
): { datasets: SourceDataset[]; close(): void } {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('query_only = 1');
  } catch (err) {
    throw badInput(`${fileName} cannot be opened as SQLite/GeoPackage: ${(err as Error).message}`);
  }
  const tables = featureTables(db, fileName);
  if (only) {
    for (const t of only)
      if (!tables.some((f) => f.table === t))
        throw badInput(`${fileName} has no feature table "${t}" (it has: ${tables.map((f) => f.table).join(', ')})`);
  }
  const chosen = only ? tables.filter((t) => only.includes(t.table)) : tables;
  if (chosen.length === 0) throw badInput(`${fileName} has no feature tables`);
  const datasets = chosen.map((t): SourceDataset => {
    const org = (t.organization ?? '').toUpperCase();
    const srid = org === 'EPSG' && t.orgCode ? t.orgCode : undefined;
    const undefinedSrs = t.srsId === 0 || t.srsId === -1;
    const dates = dateColumns(db, t.table);
    return {
      name: t.table,
      format: 'GeoPackage',
      crs: undefinedSrs
        ? null
        : {
            source: `GeoPackage srs ${t.srsId} (${t.organization ?? '?'} ${t.orgCode ?? ''})`.trim(),
            srid,
            wkt: t.definition && t.definition !== 'undefined' ? t.definition : undefined,
          },
      encoding: null,
      rawText: false,
      notes: [],
      declaredColumns: dates,
      async *features(): AsyncGenerator<SourceFeature> {
        const stmt = db.prepare(`SELECT * FROM ${quote(t.table)}`);
        let row = 0;
        for (const rec of stmt.iterate() as Iterable<Record<string, unknown>>) {
          row++;
          let geometry: Geometry | null;
          try {
            geometry = decodeGpkgGeometry(rec[t.column] as Buffer | null);
          } catch (err) {
            throw badInput(`${fileName} table "${t.table}" row ${row}: ${(err as Error).message}`);
          }
          const props: Record<string, SourceValue> = {};
          for (const [k, v] of Object.entries(rec)) {
            if (k === t.column) continue;
            const date = dates.get(k)?.type;
            // A date column cannot hold an empty string: there '' means no date (null); elsewhere '' stays ''.
            if (date && typeof v === 'string') props[k] = v === '' ? null : dateValue(v, date);
            else if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') props[k] = v;
            else props[k] = typeof v === 'bigint' ? Number(v) : null;
          }
          yield { geometry, properties: props, row };
        }
      },
    };
  });
  return { datasets, close: () => db.close() };
}
