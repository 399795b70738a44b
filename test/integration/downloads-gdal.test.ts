/**
 * GDAL opens every download format (GeoJSON, CSV with WKT, KML, GeoPackage, zipped Shapefile) with the same feature
 * count, attributes and coordinates as /items, in WGS 84 and in a VN-2000 TM-3 zone (EPSG:9209, Bắc Ninh's
 * meridian 105°30'). Missing ogr2ogr skips the suite locally and fails it under CI=true.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { hasOgrinfo, requireTool } from '../support/environment.ts';
import { forEachBackend } from '../support/servers.ts';
import { useFixtureLayers } from './ogc-fixtures.test.ts';
import { shortFieldNames } from '../../server/opendata/writers/shapefile.ts';

const run = promisify(execFile);

interface GeoJsonFeature {
  id?: number;
  geometry: { type: string; coordinates: unknown } | null;
  properties: Record<string, unknown>;
}

/** The features GDAL reads from `source` (converted to GeoJSON by ogr2ogr, in file order). */
async function gdalFeatures(source: string, options: string[] = []): Promise<GeoJsonFeature[]> {
  const { stdout } = await run('ogr2ogr', ['-f', 'GeoJSON', '/vsistdout/', ...options, source], {
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  return (JSON.parse(stdout) as { features: GeoJsonFeature[] }).features;
}

async function ogrinfoSummary(source: string): Promise<string> {
  return (await run('ogrinfo', ['-ro', '-so', '-al', source], { timeout: 60_000 })).stdout;
}

/** The bounding box of every coordinate of a geometry (orientation-independent: Shapefile rings are clockwise). */
function coordinateBox(geometry: GeoJsonFeature['geometry']): number[] {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      box[0] = Math.min(box[0], c[0] as number);
      box[1] = Math.min(box[1], c[1] as number);
      box[2] = Math.max(box[2], c[0] as number);
      box[3] = Math.max(box[3], c[1] as number);
    } else if (Array.isArray(c)) c.forEach(walk);
  };
  walk(geometry?.coordinates);
  return box;
}

/** Values as GDAL may give them back (booleans as 1/0 or "true", dates with "/"), in one comparable form. */
function comparable(v: unknown, boolean = false): unknown {
  if (v === null || v === undefined || v === '') return null;
  if (boolean && (v === 1 || v === 0)) return v === 1 ? 'true' : 'false'; // GDAL's KML readers give booleans as 0/1
  if (v === true || v === 'true' || v === 'T') return 'true';
  if (v === false || v === 'false' || v === 'F') return 'false';
  if (typeof v === 'number') return Number(v.toPrecision(12));
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(Number(v).toPrecision(12));
  if (typeof v === 'string' && /^\d{4}\/\d{2}\/\d{2}$/.test(v)) return v.replace(/\//g, '-');
  return v;
}

forEachBackend('downloads: GDAL reads every format as /items serves it', (server, backend) => {
  before(function () {
    requireTool(this, hasOgrinfo, 'downloads: GDAL check', 'ogrinfo and ogr2ogr (apt-get install gdal-bin)');
  });
  const fx = useFixtureLayers(server, `odgdal${backend[0]}`);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'odgdal-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Downloads to a file; returns its path. */
  const download = async (layer: string, query: string, name: string) => {
    const res = await fetch(`${server().url}/collections/${layer}/download?${query}`);
    expect(res.status, `${query}: ${res.status}`).to.equal(200);
    const file = path.join(dir, name);
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    return file;
  };
  const items = async (layer: string, query = '') =>
    (
      (await (await fetch(`${server().url}/collections/${layer}/items?limit=10000${query}`)).json()) as {
        features: GeoJsonFeature[];
      }
    ).features.sort((a, b) => a.id! - b.id!);

  /** Compares GDAL's features with ours, in id order: count, every attribute, the coordinates' box. */
  function expectSame(
    gdal: GeoJsonFeature[],
    ours: GeoJsonFeature[],
    columns: string[],
    names: string[],
    tolerance: number,
    what: string,
  ) {
    expect(gdal, what).to.have.length(ours.length);
    ours.forEach((f, i) => {
      for (const [k, column] of columns.entries()) {
        const boolean = typeof f.properties[column] === 'boolean';
        expect(comparable(gdal[i].properties[names[k]], boolean), `${what} feature ${f.id} ${column}`).to.deep.equal(
          comparable(f.properties[column]),
        );
      }
      const a = coordinateBox(gdal[i].geometry);
      const b = coordinateBox(f.geometry);
      a.forEach((v, k) => expect(v, `${what} feature ${f.id} coordinates`).to.be.closeTo(b[k], tolerance));
    });
  }

  const zoneColumns = () => ['code', 'area_ha', 'floors', 'active', 'since', 'chủ "sở" hữu'];

  it('reads GeoJSON, CSV (WKT), KML, GeoPackage and Shapefile of a layer with awkward column names, all in WGS 84', async () => {
    const ours = await items(fx().zones);
    const cols = zoneColumns();
    const geojson = await download(fx().zones, 'format=geojson', 'zones.geojson');
    expectSame(await gdalFeatures(geojson), ours, cols, cols, 1e-7, 'geojson');
    const csv = await download(fx().zones, 'format=csv', 'zones.csv');
    const csvOptions = ['-oo', 'GEOM_POSSIBLE_NAMES=WKT', '-oo', 'KEEP_GEOM_COLUMNS=NO', '-oo', 'AUTODETECT_TYPE=YES'];
    // GDAL's CSV reader drops the doubled quotes inside a quoted header (the file is RFC 4180): 'chủ sở hữu'.
    const csvNames = cols.map((c) => c.replace(/"/g, ''));
    expectSame(await gdalFeatures(csv, csvOptions), ours, cols, csvNames, 1e-7, 'csv');
    const kml = await download(fx().zones, 'format=kml', 'zones.kml');
    expectSame(await gdalFeatures(kml), ours, cols, cols, 1e-7, 'kml');
    const gpkg = await download(fx().zones, 'format=gpkg', 'zones.gpkg');
    expectSame(await gdalFeatures(gpkg), ours, cols, cols, 1e-9, 'gpkg');
    const shp = await download(fx().zones, 'format=shp', 'zones.zip');
    expectSame(await gdalFeatures(`/vsizip/${shp}`), ours, cols, shortFieldNames(cols), 1e-9, 'shp');
  });

  it('ships the Shapefile with a UTF-8 .cpg, a .prj and the mapping of shortened field names', async () => {
    const shp = await download(fx().zones, 'format=shp', 'zones-files.zip');
    const { stdout } = await run('unzip', ['-l', shp]);
    for (const ext of ['.shp', '.shx', '.dbf', '.prj', '.cpg', '.fields.csv']) expect(stdout).to.include(`${fx().zones}${ext}`);
    const mapping = (await run('unzip', ['-p', shp, `${fx().zones}.fields.csv`])).stdout;
    expect(mapping).to.include('chu_so_huu,"chủ ""sở"" hữu"');
    expect((await run('unzip', ['-p', shp, `${fx().zones}.cpg`])).stdout).to.equal('UTF-8');
  });

  it('reads points and lines in every binary format', async () => {
    for (const [layer, cols] of [
      [fx().points, ['name', 'kind', 'height']],
      [fx().lines, ['name', 'kind']],
    ] as const) {
      const ours = await items(layer);
      const gpkg = await download(layer, 'format=gpkg', `${layer}.gpkg`);
      expectSame(await gdalFeatures(gpkg), ours, [...cols], [...cols], 1e-9, `${layer} gpkg`);
      const shp = await download(layer, 'format=shp', `${layer}.zip`);
      expectSame(await gdalFeatures(`/vsizip/${shp}`), ours, [...cols], [...cols], 1e-9, `${layer} shp`);
    }
  });

  it('writes VN-2000 TM-3 coordinates (EPSG:9209) with a .prj GDAL recognises, matching /items?crs=', async () => {
    const bbox = 'bbox=105.99,21.09,106.06,21.15';
    const crsUri = 'http://www.opengis.net/def/crs/EPSG/0/9209';
    const ours = await items(fx().zones, `&${bbox}&crs=${encodeURIComponent(crsUri)}`);
    expect(ours.length).to.be.greaterThan(10);
    const cols = zoneColumns();
    for (const [format, name] of [
      ['gpkg', 'vn.gpkg'],
      ['shp', 'vn.zip'],
      ['geojson', 'vn.geojson'],
      ['csv', 'vn.csv'],
    ]) {
      const file = await download(fx().zones, `format=${format}&crs=EPSG:9209&${bbox}`, name);
      const source = format === 'shp' ? `/vsizip/${file}` : file;
      const options =
        format === 'csv' ? ['-oo', 'GEOM_POSSIBLE_NAMES=WKT', '-oo', 'KEEP_GEOM_COLUMNS=NO', '-oo', 'AUTODETECT_TYPE=YES'] : [];
      const names = format === 'shp' ? shortFieldNames(cols) : format === 'csv' ? cols.map((c) => c.replace(/"/g, '')) : cols;
      expectSame(await gdalFeatures(source, options), ours, cols, names, 1e-3, `${format} EPSG:9209`);
      if (format !== 'csv') {
        const info = await ogrinfoSummary(source);
        expect(info, format).to.match(/VN-2000/);
        expect(info, format).to.match(/central_meridian["\s,]+105\.5|Longitude of natural origin",105\.5/);
      }
    }
  });
});
