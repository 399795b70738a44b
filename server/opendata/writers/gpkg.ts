/**
 * GeoPackage 1.3 writer over better-sqlite3: the tables the standard requires (gpkg_spatial_ref_sys, gpkg_contents,
 * gpkg_geometry_columns), one feature table, rows inserted in transactions of a few thousand as they stream in, into
 * a temporary file the route then streams out. Geometries are GeoPackage binary: the 8-byte "GP" header without an
 * envelope, then the WKB PostGIS wrote.
 */
import Sqlite from 'better-sqlite3';
import type { LayerColumn } from '../../catalog/definition.ts';
import type { CrsDefinition } from '../../crs/registry.ts';
import type { DownloadRow } from '../download-sql.ts';

/** Rows per transaction: large enough to amortise the commit, small enough to keep memory flat. */
const rowsPerTransaction = 5000;

const sqliteTypes: Record<LayerColumn['type'], string> = {
  string: 'TEXT',
  integer: 'INTEGER',
  number: 'REAL',
  boolean: 'BOOLEAN',
  date: 'DATE',
  datetime: 'DATETIME',
};

/** SQL identifier quoting for SQLite (the column names are the layer's: quotes are doubled). */
function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The GeoPackage binary of one WKB geometry in `srsId` (little-endian header, no envelope). */
export function gpkgGeometry(wkb: Uint8Array, srsId: number): Buffer {
  const head = Buffer.alloc(8);
  head.write('GP', 0, 'latin1');
  head.writeUInt8(0, 2); // version 1
  head.writeUInt8(0x01, 3); // flags: little-endian, no envelope, standard binary
  head.writeInt32LE(srsId, 4);
  return Buffer.concat([head, Buffer.from(wkb.buffer, wkb.byteOffset, wkb.byteLength)]);
}

/** What the GeoPackage writer needs besides the rows. */
export interface GpkgTarget {
  file: string;
  table: string;
  title: string;
  description: string;
  columns: readonly LayerColumn[];
  crs: CrsDefinition;
  /** WKT of the CRS (PostGIS spatial_ref_sys.srtext). */
  wkt: string;
  /** The layer bounds in the output CRS, or null when unknown. */
  bounds: [number, number, number, number] | null;
}

/** Writes the rows into a new GeoPackage file; returns the feature count. */
export async function writeGpkg(rows: AsyncIterable<DownloadRow>, t: GpkgTarget): Promise<number> {
  const db = new Sqlite(t.file);
  try {
    db.pragma('application_id = 1196444487'); // 'GPKG'
    db.pragma('user_version = 10300');
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec(`
      CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
        organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
      CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
        description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
      CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
        srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));`);
    const srs = db.prepare('INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)');
    srs.run('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', null);
    srs.run('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', null);
    if (t.crs.srid !== 4326)
      srs.run(
        'WGS 84',
        4326,
        'EPSG',
        4326,
        'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]',
        null,
      );
    srs.run(t.crs.title, t.crs.srid, 'EPSG', t.crs.srid, t.wkt, null);
    const cols = t.columns.map((c) => `${q(c.name)} ${sqliteTypes[c.type]}`);
    db.exec(`CREATE TABLE ${q(t.table)} (fid INTEGER PRIMARY KEY, geom GEOMETRY${cols.map((c) => `, ${c}`).join('')})`);
    const b = t.bounds;
    db.prepare(
      `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      t.table,
      'features',
      t.title,
      t.description,
      b?.[0] ?? null,
      b?.[1] ?? null,
      b?.[2] ?? null,
      b?.[3] ?? null,
      t.crs.srid,
    );
    // Multi* rows exist in the tables; GEOMETRY lets every reader accept them (a POLYGON column with MULTIPOLYGON values warns in GDAL).
    db.prepare('INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)').run(t.table, 'geom', 'GEOMETRY', t.crs.srid);
    const insert = db.prepare(`INSERT INTO ${q(t.table)} VALUES (?, ?${t.columns.map(() => ', ?').join('')})`);
    const insertMany = db.transaction((batch: DownloadRow[]) => {
      for (const row of batch) {
        const values = t.columns.map((c, i) => {
          const v = row[`c${i}`];
          return typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? null);
        });
        insert.run(row.id, row.g ? gpkgGeometry(row.g as Uint8Array, t.crs.srid) : null, ...values);
      }
    });
    let batch: DownloadRow[] = [];
    let n = 0;
    for await (const row of rows) {
      batch.push(row);
      n++;
      if (batch.length >= rowsPerTransaction) {
        insertMany(batch);
        batch = [];
      }
    }
    insertMany(batch);
    return n;
  } finally {
    db.close();
  }
}
