/**
 * The upload benchmark (a script, not a test): builds a zipped Shapefile of --features square parcels (default
 * 200,000) in VN-2000 / TM-3 107-00 (EPSG:9214, a .prj without TOWGS84, which resolves without confirmation) with
 * Vietnamese attributes (UTF-8, declared by a .cpg), uploads it to our server (started in this process on
 * DATABASE_URL, the server backend) and times it from the POST to "published"; then loads the same file with
 * `ogr2ogr -f PostgreSQL PG:... -t_srs EPSG:4326` into the same database and prints both times and the ratio.
 * Without GDAL the ogr2ogr side is skipped with a message. Peak RSS of this process is printed too.
 * The two sides alternate (ogr2ogr, ours, ogr2ogr, ... for --rounds rounds) so that a loaded machine weighs on both.
 * Options: --features N, --rounds R (default 1), --keep (leave the layer and the ogr2ogr table in place).
 * Run as: DATABASE_URL=postgres://... npx tsx scripts/bench-upload.ts
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.ts';
import { startServer } from '../server/server.ts';
import { createLogger } from '../server/log.ts';
import { createToken } from '../server/auth/tokens.ts';
import { cliActor } from '../server/auth/audit.ts';
import { deleteLayer } from '../server/upload/publish.ts';
import type { JobReport } from '../server/upload/jobs.ts';
import { communeNames, controlPoints, prjTm3, zipBytes } from '../test/fixtures/upload/builders.ts';

const { values: opts } = parseArgs({
  options: {
    features: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const rounds = Math.max(1, Number(opts.rounds) || 1);
const count = Number(opts.features);
const layerId = 'bench_upload';
const ogrTable = 'bench_upload_ogr2ogr';

/** A zipped Shapefile of `n` 20 m squares on a grid around the first control point (EPSG:9214 metres). */
async function parcelsZip(n: number): Promise<Buffer> {
  const [origin] = controlPoints();
  const perRow = Math.ceil(Math.sqrt(n));
  const size = 20;
  const contentBytes = 4 + 32 + 4 + 4 + 4 + 5 * 16; // type, box, parts, points, one part index, 5 points
  const shp = Buffer.alloc(100 + n * (8 + contentBytes));
  const shx = Buffer.alloc(100 + n * 8);
  const fields = [
    { name: 'MA_THUA', length: 12 },
    { name: 'TEN_XA', length: 40 },
    { name: 'LOAI_DAT', length: 4 },
    { name: 'CHU_SU_DUNG', length: 60 },
    { name: 'DIEN_TICH', length: 12 },
  ];
  const headerLength = 32 + 32 * fields.length + 1;
  const recordLength = 1 + fields.reduce((s, f) => s + f.length, 0);
  const dbf = Buffer.alloc(headerLength + n * recordLength + 1, 0x20);
  dbf.fill(0, 0, headerLength);
  dbf[0] = 0x03;
  dbf.writeUInt32LE(n, 4);
  dbf.writeUInt16LE(headerLength, 8);
  dbf.writeUInt16LE(recordLength, 10);
  fields.forEach((f, i) => {
    dbf.write(f.name.slice(0, 10), 32 + 32 * i, 'latin1');
    dbf[32 + 32 * i + 11] = f.name === 'DIEN_TICH' ? 'N'.charCodeAt(0) : 'C'.charCodeAt(0);
    dbf[32 + 32 * i + 16] = f.length;
    dbf[32 + 32 * i + 17] = f.name === 'DIEN_TICH' ? 1 : 0;
  });
  dbf[headerLength - 1] = 0x0d;
  dbf[dbf.length - 1] = 0x1a;
  const codes = ['LUA', 'ONT', 'ODT', 'CLN', 'RSX', 'SKK', 'DGT', 'DTL'];
  const owners = ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Hoàng Cường', 'Phạm Thị Dung', 'Hoàng Đức Ể', 'UBND xã'];
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    const x0 = origin.e9214 + (i % perRow) * size;
    const y0 = origin.n9214 + Math.floor(i / perRow) * size;
    const ring = [
      [x0, y0],
      [x0, y0 + size],
      [x0 + size, y0 + size],
      [x0 + size, y0],
      [x0, y0],
    ]; // clockwise: an outer ring
    let o = 100 + i * (8 + contentBytes);
    shx.writeInt32BE(o / 2, 100 + 8 * i);
    shx.writeInt32BE(contentBytes / 2, 104 + 8 * i);
    shp.writeInt32BE(i + 1, o);
    shp.writeInt32BE(contentBytes / 2, o + 4);
    o += 8;
    shp.writeInt32LE(5, o);
    [x0, y0, x0 + size, y0 + size].forEach((v, k) => shp.writeDoubleLE(v, o + 4 + 8 * k));
    shp.writeInt32LE(1, o + 36);
    shp.writeInt32LE(5, o + 40);
    shp.writeInt32LE(0, o + 44);
    ring.forEach(([x, y], k) => {
      shp.writeDoubleLE(x, o + 48 + 16 * k);
      shp.writeDoubleLE(y, o + 56 + 16 * k);
    });
    box[0] = Math.min(box[0], x0);
    box[1] = Math.min(box[1], y0);
    box[2] = Math.max(box[2], x0 + size);
    box[3] = Math.max(box[3], y0 + size);
    const values = [
      `T${String(i + 1).padStart(8, '0')}`,
      `Xã ${communeNames[i % communeNames.length]}`,
      codes[i % codes.length],
      owners[i % owners.length],
    ];
    let r = headerLength + i * recordLength + 1;
    values.forEach((v, k) => {
      Buffer.from(v, 'utf8').subarray(0, fields[k].length).copy(dbf, r);
      r += fields[k].length;
    });
    dbf.write((size * size).toFixed(1).padStart(12, ' '), r, 'latin1');
  }
  for (const [buf, length] of [
    [shp, shp.length],
    [shx, shx.length],
  ] as const) {
    buf.writeInt32BE(9994, 0);
    buf.writeInt32BE(length / 2, 24);
    buf.writeInt32LE(1000, 28);
    buf.writeInt32LE(5, 32);
    box.forEach((v, k) => buf.writeDoubleLE(v, 36 + 8 * k));
  }
  return zipBytes({
    'thua_dat.shp': shp,
    'thua_dat.shx': shx,
    'thua_dat.dbf': dbf,
    'thua_dat.prj': prjTm3(107, null),
    'thua_dat.cpg': 'UTF-8',
  });
}

/** DATABASE_URL as GDAL's PG: keywords (GDAL appends application_name to the string, which breaks a URI). */
function pgKeywords(url: string): string {
  const u = new URL(url);
  const words = {
    host: u.hostname,
    port: u.port || '5432',
    dbname: u.pathname.slice(1),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
  return Object.entries(words)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}='${v.replace(/['\\]/g, '\\$&')}'`)
    .join(' ');
}

function gdalAvailable(): boolean {
  return spawnSync('ogr2ogr', ['--version'], { encoding: 'utf8' }).status === 0;
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('set DATABASE_URL: the benchmark runs on the server backend');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdi-bench-upload-'));
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const config = loadConfig(
    { LOG_LEVEL: 'warn' },
    { port: 0, host: '127.0.0.1', databaseUrl, seedDemo: 'never', uploadMaxMb: 1024 },
  );
  const server = await startServer(config, createLogger(config.logLevel));
  try {
    const t0 = performance.now();
    const zip = await parcelsZip(count);
    const file = path.join(dir, 'thua_dat.zip');
    fs.writeFileSync(file, zip);
    console.log(
      `built ${count.toLocaleString('en')} polygons (EPSG:9214, Vietnamese attributes): ` +
        `${(zip.length / 1048576).toFixed(1)} MiB zipped, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const { token } = await createToken(server.ctx.db, 'bench upload', 'editor', cliActor);
    const ours = async (): Promise<number> => {
      if (server.ctx.catalog.find(layerId)) await deleteLayer(server.ctx.db, layerId, cliActor);
      await server.ctx.catalog.load();
      const form = new FormData();
      form.append('id', layerId);
      form.append('file', new Blob([new Uint8Array(zip)]), 'thua_dat.zip');
      const started = performance.now();
      const res = await fetch(`${server.url}/admin/layers`, {
        method: 'POST',
        body: form,
        headers: { Authorization: `Bearer ${token}` },
      });
      let job = (await res.json()) as JobReport;
      if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(job)}`);
      const inspected = performance.now();
      while (['inspecting', 'queued', 'running'].includes(job.status)) {
        await new Promise((r) => setTimeout(r, 200));
        job = (await (
          await fetch(`${server.url}/admin/jobs/${job.id}`, { headers: { Authorization: `Bearer ${token}` } })
        ).json()) as JobReport;
      }
      const seconds = (performance.now() - started) / 1000;
      if (job.status !== 'published')
        throw new Error(`upload ${job.status}: ${job.errors.join('; ')} ${JSON.stringify(job.confirmation)}`);
      console.log(
        `ours:    ${seconds.toFixed(1)} s (first pass ${((inspected - started) / 1000).toFixed(1)} s), ` +
          `${job.layers[0].features.toLocaleString('en')} features, peak RSS ${(peakRss / 1048576).toFixed(0)} MiB`,
      );
      return seconds;
    };
    const theirs = async (): Promise<number> => {
      const ogrStarted = performance.now();
      const ogr = spawnSync(
        'ogr2ogr',
        [
          '-f',
          'PostgreSQL',
          `PG:${pgKeywords(databaseUrl)}`,
          `/vsizip/${file}/thua_dat.shp`,
          '-nln',
          ogrTable,
          '-t_srs',
          'EPSG:4326',
          '-overwrite',
          '-nlt',
          'PROMOTE_TO_MULTI',
          '-lco',
          'GEOMETRY_NAME=geom',
        ],
        { encoding: 'utf8' },
      );
      const seconds = (performance.now() - ogrStarted) / 1000;
      if (ogr.status !== 0) throw new Error(`ogr2ogr failed: ${ogr.stderr}`);
      const [{ n }] = await server.ctx.db.rows<{ n: number }>(`SELECT count(*)::int AS n FROM ${ogrTable}`);
      console.log(`ogr2ogr: ${seconds.toFixed(1)} s, ${n.toLocaleString('en')} features`);
      return seconds;
    };

    if (!gdalAvailable()) {
      await ours();
      console.log('ogr2ogr: skipped, GDAL is not installed (no ratio)');
      return;
    }
    // The machine may be shared: the two sides alternate (ogr2ogr, ours, ogr2ogr, ...) and each of our runs is
    // compared with the mean of the ogr2ogr runs on either side of it, so a change of load hits both alike.
    const ogrTimes = [await theirs()];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const t = await ours();
      ogrTimes.push(await theirs());
      ratios.push(t / ((ogrTimes[round] + ogrTimes[round + 1]) / 2));
    }
    ratios.sort((a, b) => a - b);
    console.log(
      `ratio ours / ogr2ogr: ${ratios.map((r) => r.toFixed(2)).join(', ')} x (median ${ratios[Math.floor(ratios.length / 2)].toFixed(2)} x)`,
    );
  } finally {
    clearInterval(sampler);
    if (!opts.keep) {
      await server.ctx.db.rows(`DROP TABLE IF EXISTS ${ogrTable}`).catch(() => undefined);
      if (server.ctx.catalog.find(layerId)) await deleteLayer(server.ctx.db, layerId, cliActor).catch(() => undefined);
    }
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
