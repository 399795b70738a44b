/**
 * The download benchmark (a script, not a test): fills a table of --features square parcels (default 200,000) with
 * Vietnamese attributes on the server backend (DATABASE_URL), registers it as a layer, downloads it from our server
 * (started in this process) in every format, and times `ogr2ogr` writing the same format from the same table.
 * Prints per format: seconds, MiB written, peak RSS and peak heap of this process during the download (the server
 * runs here; the client side only counts bytes), ogr2ogr's seconds and the ratio ours / ogr2ogr (target: <= 2).
 * Options: --features N, --crs EPSG:n (output CRS, default WGS 84), --keep (leave the table and layer in place).
 * Run as: DATABASE_URL=postgres://... npx tsx scripts/bench-downloads.ts
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.ts';
import { startServer } from '../server/server.ts';
import { createLogger } from '../server/log.ts';
import { downloadFormats, type DownloadFormat } from '../server/opendata/formats.ts';

const { values: opts } = parseArgs({
  options: {
    features: { type: 'string', default: '200000' },
    crs: { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
  },
});
const count = Number(opts.features);
const layerId = 'bench_downloads';

/** ogr2ogr's driver, creation options and output name per format, so both sides write the same file type. */
const ogrFormats: Record<DownloadFormat, { driver: string; file: string; options: string[] }> = {
  geojson: { driver: 'GeoJSON', file: 'out.geojson', options: [] },
  csv: { driver: 'CSV', file: 'out.csv', options: ['-lco', 'GEOMETRY=AS_WKT'] },
  kml: { driver: 'KML', file: 'out.kml', options: [] },
  gpkg: { driver: 'GPKG', file: 'out.gpkg', options: [] },
  shp: { driver: 'ESRI Shapefile', file: 'out.shp.zip', options: ['-lco', 'ENCODING=UTF-8'] },
};

async function fillTable(server: Awaited<ReturnType<typeof startServer>>): Promise<void> {
  const db = server.ctx.db;
  await db.rows(`DROP TABLE IF EXISTS ${layerId}`);
  // 20 m squares on a grid south of Bắc Ninh city; attributes cycle through Vietnamese values.
  await db.rows(
    `
    CREATE TABLE ${layerId} AS
    SELECT i AS id, i % 5000 AS parcel_no, (ARRAY['LUA','ONT','ODT','CLN','SKK','DGT'])[1 + i % 6] AS code,
           (ARRAY['Xã Đình Bảng','Phường Suối Hoa','Xã Phù Chẩn','Thị trấn Chờ'])[1 + i % 4] AS commune_name,
           'Nguyễn Văn ' || (i % 997) AS owner_name, 400 + (i % 100) * 1.5 AS area_m2,
           ST_MakeEnvelope(105.9 + (i % 450) * 0.0002, 21.0 + (i / 450) * 0.0002,
                           105.9 + (i % 450) * 0.0002 + 0.00018, 21.0 + (i / 450) * 0.0002 + 0.00018, 4326) AS geom
      FROM generate_series(1, ?::int) i`,
    [count],
  );
  await db.rows(`ALTER TABLE ${layerId} ADD PRIMARY KEY (id)`);
  await db.rows(`CREATE INDEX ON ${layerId} USING gist (geom)`);
  await db.rows(`ANALYZE ${layerId}`);
  const col = (name: string, type: string, en: string, vi: string) => ({ name, type, label: { en, vi } });
  await db.knex('layer_catalog').where({ id: layerId }).delete();
  await db.knex('layer_catalog').insert({
    id: layerId,
    title: 'Benchmark parcels',
    title_vi: 'Thửa đất thử tải',
    layer_group: 'landuse',
    source_table: layerId,
    geometry_type: 'Polygon',
    style: '{}',
    tile_options: '{}',
    origin: 'upload',
    columns: JSON.stringify([
      col('parcel_no', 'integer', 'Parcel', 'Số thửa'),
      col('code', 'string', 'Code', 'Mã'),
      col('commune_name', 'string', 'Commune', 'Xã'),
      col('owner_name', 'string', 'Owner', 'Chủ'),
      col('area_m2', 'number', 'Area', 'Diện tích'),
    ]),
  });
  await server.ctx.catalog.load();
}

/** Downloads one format, counting bytes; returns seconds, bytes and the peaks sampled every 50 ms meanwhile. */
async function download(url: string): Promise<{ seconds: number; bytes: number; rss: number; heap: number }> {
  let rss = process.memoryUsage().rss;
  let heap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  }, 50);
  const t0 = performance.now();
  const res = await fetch(url, { headers: { 'Accept-Encoding': 'identity' } });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  let bytes = 0;
  for await (const chunk of res.body!) bytes += (chunk as Uint8Array).length;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  return { seconds, bytes, rss, heap };
}

/** libpq key=value form: GDAL 3.6 appends application_name to a postgres:// URI and breaks it. */
function pgConnection(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  const parts = {
    host: u.hostname,
    port: u.port || '5432',
    dbname: u.pathname.slice(1),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
  return Object.entries(parts)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function ogr2ogr(format: DownloadFormat, databaseUrl: string, dir: string, crs: string): number | null {
  const f = ogrFormats[format];
  const out = path.join(dir, f.file);
  fs.rmSync(out, { force: true });
  const t0 = performance.now();
  const args = ['-f', f.driver, out, `PG:${pgConnection(databaseUrl)}`, layerId, ...f.options, ...(crs ? ['-t_srs', crs] : [])];
  const r = spawnSync('ogr2ogr', args, { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`  ogr2ogr ${format} failed: ${r.stderr.slice(0, 300)}`);
    return null;
  }
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('set DATABASE_URL: the benchmark runs on the server backend');
  const gdal = spawnSync('ogr2ogr', ['--version'], { encoding: 'utf8' }).status === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdi-bench-downloads-'));
  const config = loadConfig({ LOG_LEVEL: 'warn' }, { port: 0, host: '127.0.0.1', databaseUrl, seedDemo: 'never' });
  const server = await startServer(config, createLogger(config.logLevel));
  const mib = (n: number) => (n / 1048576).toFixed(0);
  try {
    const t0 = performance.now();
    await fillTable(server);
    console.log(
      `table of ${count.toLocaleString('en')} parcels filled in ${((performance.now() - t0) / 1000).toFixed(1)} s;` +
        ` output CRS ${opts.crs || 'WGS 84'}`,
    );
    console.log(`baseline: RSS ${mib(process.memoryUsage().rss)} MiB, heap ${mib(process.memoryUsage().heapUsed)} MiB`);
    console.log('format   ours s   MiB  peak RSS  peak heap  ogr2ogr s  ratio');
    for (const format of downloadFormats) {
      if (format === 'kml' && opts.crs) continue; // KML is WGS 84 only
      const query = new URLSearchParams({ format, ...(opts.crs ? { crs: opts.crs } : {}) });
      const ours = await download(`${server.url}/collections/${layerId}/download?${query}`);
      const theirs = gdal ? ogr2ogr(format, databaseUrl, dir, opts.crs) : null;
      console.log(
        `${format.padEnd(8)} ${ours.seconds.toFixed(1).padStart(6)} ${mib(ours.bytes).padStart(5)}` +
          ` ${mib(ours.rss).padStart(6)} MiB ${mib(ours.heap).padStart(6)} MiB` +
          ` ${theirs === null ? '         -' : theirs.toFixed(1).padStart(10)}` +
          ` ${theirs === null ? '     -' : (ours.seconds / theirs).toFixed(2).padStart(6)}`,
      );
    }
    if (!gdal) console.log('ogr2ogr not found: install gdal-bin for the comparison');
  } finally {
    if (!opts.keep) {
      await server.ctx.db.knex('layer_catalog').where({ id: layerId }).delete();
      await server.ctx.db.rows(`DROP TABLE IF EXISTS ${layerId}`);
    }
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
