/**
 * Downloads of a dataset: the whole layer or the features a bbox, property=value or CQL2 filter selects, in the
 * formats of formats.ts, in WGS 84 or any supported CRS. Text formats stream from the database cursor to the
 * response; GeoPackage and Shapefile are written row by row into a temporary directory (they need headers and
 * indexes that only the end knows) and then streamed from disk, so memory stays flat in the feature count.
 * Every download is counted per dataset and format; who downloaded is not recorded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import yazl from 'yazl';
import type { Database } from '../db/database.ts';
import type { Layer } from '../catalog/catalog.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import type { CrsDefinition } from '../crs/registry.ts';
import { vn2000Wkt1 } from '../crs/spatial-ref-sys.ts';
import type { RowConditions } from '../sql/where.ts';
import { InvalidParameterError } from '../errors.ts';
import { downloadQuery, textLengthsQuery, type DownloadRow, type GeometryEncoding } from './download-sql.ts';
import { formatInfo, type DownloadFormat } from './formats.ts';
import { streamRows } from './rows.ts';
import { writeCsv, writeGeoJson, writeKml, type WriteTarget } from './writers/text.ts';
import { writeGpkg } from './writers/gpkg.ts';
import { writeShapefile } from './writers/shapefile.ts';

/** A validated download request (built at the edge by http/params/download.ts). */
export interface DownloadRequest {
  layer: Layer;
  /** The selection: bbox, property=value and the compiled CQL2 filter of the items parser. */
  selection: Pick<RowConditions, 'bbox' | 'equals' | 'filter'>;
  columns: readonly LayerColumn[];
  format: DownloadFormat;
  crs: CrsDefinition;
  /** CSV geometry: WKT, or X and Y columns (point layers). */
  csvGeometry: 'wkt' | 'xy';
}

/** A file built on disk, ready to stream; `close` removes it. */
export interface BuiltFile {
  stream: Readable;
  size: number | null;
  close(): Promise<void>;
}

/** File names of a download: an ASCII fallback and the Vietnamese title (for RFC 6266 `filename*`). */
export function downloadFileNames(layer: Layer, format: DownloadFormat, crs: CrsDefinition): { ascii: string; unicode: string } {
  const suffix = crs.srid === 4326 ? '' : `_${crs.code.replace(':', '')}`;
  const ext = formatInfo[format].extension;
  const unicode = `${layer.titleVi
    .normalize('NFC')
    .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ')
    .trim()}${suffix}${ext}`;
  return { ascii: `${layer.id}${suffix}${ext}`, unicode };
}

function encodingOf(r: DownloadRequest): GeometryEncoding {
  switch (r.format) {
    case 'geojson':
      return 'geojson';
    case 'csv':
      return r.csvGeometry;
    case 'kml':
      return 'kml';
    case 'gpkg':
      return 'wkb';
    case 'shp':
      return 'wkb-cw';
  }
}

/** Streams, counts and builds downloads over one database. */
export class DownloadService {
  constructor(
    private readonly db: Database,
    private readonly tmpDir: string = os.tmpdir(),
  ) {}

  /** Checks what the request cannot do (KML in another CRS, X/Y of lines); a 400 naming the parameter. */
  check(r: DownloadRequest): void {
    if (formatInfo[r.format].wgs84Only && r.crs.srid !== 4326) {
      throw new InvalidParameterError(
        `parameter "crs": ${formatInfo[r.format].title} is WGS 84 only; leave "crs" out or choose another format`,
        'crs',
      );
    }
    if (r.format === 'csv' && r.csvGeometry === 'xy' && r.layer.geometryType !== 'Point') {
      throw new InvalidParameterError(
        `parameter "geometry": X/Y columns need a point layer; "${r.layer.id}" holds ${r.layer.geometryType}s (use geometry=wkt)`,
        'geometry',
      );
    }
  }

  /** Adds one to the counter of this dataset and format (no caller identity is stored). */
  async count(layerId: string, format: DownloadFormat): Promise<void> {
    await this.db.rows(
      `INSERT INTO dataset_downloads (layer_id, format, downloads) VALUES (?, ?, 1)
       ON CONFLICT (layer_id, format) DO UPDATE SET downloads = dataset_downloads.downloads + 1, last_at = now()`,
      [layerId, format],
    );
  }

  /** Download counts per format of the given layers (layers never downloaded are left out). */
  async counts(layerIds: readonly string[]): Promise<Map<string, Record<string, number>>> {
    const out = new Map<string, Record<string, number>>();
    if (!layerIds.length) return out;
    // The table has a row per dataset and format (tens of rows): read it whole and keep the asked layers.
    const wanted = new Set(layerIds);
    const rows = (
      await this.db.rows<{ layer_id: string; format: string; downloads: string | number }>(
        'SELECT layer_id, format, downloads FROM dataset_downloads ORDER BY layer_id, format',
      )
    ).filter((r) => wanted.has(r.layer_id));
    for (const r of rows) out.set(r.layer_id, { ...out.get(r.layer_id), [r.format]: Number(r.downloads) });
    return out;
  }

  private rows(r: DownloadRequest, signal: AbortSignal): AsyncGenerator<DownloadRow> {
    const q = downloadQuery(r.layer, r.selection, r.columns, r.crs, encodingOf(r));
    return streamRows<DownloadRow>(this.db, q.sql, q.bindings, signal);
  }

  /** Writes a text format (GeoJSON, CSV, KML) to `out`; returns the feature count. */
  async writeText(r: DownloadRequest, out: Writable, signal: AbortSignal): Promise<number> {
    const target: WriteTarget = { name: r.layer.id, title: r.layer.titleVi, columns: r.columns, crs: r.crs };
    if (r.format === 'geojson') return writeGeoJson(out, this.rows(r, signal), target);
    if (r.format === 'csv') return writeCsv(out, this.rows(r, signal), target, r.csvGeometry);
    if (r.format === 'kml') return writeKml(out, this.rows(r, signal), target);
    throw new Error(`${r.format} is not a text format`);
  }

  /** WKT of the output CRS: ours for VN-2000 (TOWGS84 included), PostGIS's for the others. */
  private async wkt(crs: CrsDefinition): Promise<string> {
    if (crs.datum === 'VN-2000') return vn2000Wkt1(crs);
    const [row] = await this.db.rows<{ srtext: string }>('SELECT srtext FROM spatial_ref_sys WHERE srid = ?::int', [crs.srid]);
    return row?.srtext ?? '';
  }

  /** Builds a GeoPackage or a zipped Shapefile in a temporary directory and opens it for streaming. */
  async buildFile(r: DownloadRequest, signal: AbortSignal): Promise<BuiltFile> {
    const dir = await fs.promises.mkdtemp(path.join(this.tmpDir, 'sdi-download-'));
    const close = () => fs.promises.rm(dir, { recursive: true, force: true });
    try {
      const base = r.layer.id.replace(/[^A-Za-z0-9_-]+/g, '_');
      const wkt = await this.wkt(r.crs);
      if (r.format === 'gpkg') {
        const file = path.join(dir, `${base}.gpkg`);
        await writeGpkg(this.rows(r, signal), {
          file,
          table: r.layer.id,
          title: r.layer.titleVi,
          description: r.layer.description,
          columns: r.columns,
          crs: r.crs,
          wkt,
          bounds: r.crs.srid === 4326 ? r.layer.bounds : null,
        });
        return { stream: fs.createReadStream(file), size: (await fs.promises.stat(file)).size, close };
      }
      const lengths = textLengthsQuery(r.layer, r.selection, r.columns);
      const [stats] = await this.db.rows<Record<string, number>>(lengths.sql, lengths.bindings);
      const { files } = await writeShapefile(this.rows(r, signal), {
        dir,
        baseName: base,
        geometryType: r.layer.geometryType,
        columns: r.columns,
        textBytes: r.columns.map((_, i) => Number(stats[`c${i}`])),
        prj: wkt,
      });
      const zip = new yazl.ZipFile();
      for (const f of files) zip.addFile(path.join(dir, f), f);
      zip.end();
      return { stream: zip.outputStream as Readable, size: null, close };
    } catch (err) {
      await close();
      throw err;
    }
  }
}
