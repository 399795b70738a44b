/**
 * Issue 12, "Fidelity": files made the way GIS staff make them come out as they went in. Excel's "CSV UTF-8" (BOM,
 * CRLF, Excel quoting) and legacy-encoded CSV keep every Vietnamese letter, names included; CSV coordinate columns
 * stay attributes with their role; KMZ from Google Earth keeps HTML descriptions as text and each placemark's
 * folder; GeoPackage and DBF dates keep their types; empty strings stay empty where the format tells them from
 * null; the report names the uploader only for what the uploader gave. Then the streaming readers: a 1,000,000-vertex
 * GeoJSON is read with /health answering within 1 s and the heap bounded.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { forEachBackend, startedSharedServers } from '../support/servers.ts';
import {
  controlPoints,
  dbfBytes,
  dbfWithDateFields,
  excelCsvLegacy,
  excelCsvUtf8,
  googleEarthKml,
  prjTm3,
  shpBytes,
  tempDir,
  writeLargeGeoJson,
  writeTypedGeoPackage,
  zipBytes,
} from '../fixtures/upload/builders.ts';
import { call, dropUploadedLayer, tokenFor, upload, waitForJob } from '../fixtures/upload/http.ts';
import type { RunningServer } from '../../server/server.ts';
import type { JobReport } from '../../server/upload/jobs.ts';

type Row = Record<string, unknown>;

/** Uploads, answers the confirmation when one is asked (with `confirm`), and waits for the layer to be published. */
async function publish(
  server: RunningServer,
  token: string,
  file: { name: string; bytes: Buffer | string },
  fields: Record<string, string>,
  confirm?: Row,
): Promise<JobReport> {
  const res = await upload(server, token, file, fields);
  expect(res.status, await res.clone().text()).to.equal(202);
  let job = (await res.json()) as JobReport;
  if (job.status === 'needs_confirmation') {
    expect(confirm, `unexpected confirmation: ${JSON.stringify(job.confirmation)}`).to.not.equal(undefined);
    const answer = await call(server, token, 'POST', `/admin/jobs/${job.id}/confirm`, confirm);
    expect(answer.status, await answer.clone().text()).to.equal(202);
  }
  job = await waitForJob(server, token, job.id, 300_000);
  expect(job.status, `${job.errors.join('; ')} ${JSON.stringify(job.confirmation)}`).to.equal('published');
  return job;
}

/** The features of a layer through the public API, ordered as stored. */
async function items(server: RunningServer, token: string, layerId: string): Promise<Row[]> {
  const res = await fetch(`${server.url}/collections/${layerId}/items?limit=1000`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(res.status, await res.clone().text()).to.equal(200);
  const body = (await res.json()) as { features: Array<{ properties: Row }> };
  return body.features.map((f) => f.properties);
}

/** The PostgreSQL types of a layer's attribute columns, by name. */
async function columnTypes(server: RunningServer, layerId: string): Promise<Record<string, string>> {
  const layer = server.ctx.catalog.find(layerId)!;
  const rows = await server.ctx.db.rows<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type
       FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped`,
    [layer.tableSql],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.type]));
}

const header = ['STT', 'Tên điểm', 'Kinh độ', 'Vĩ độ', 'Ghi chú'];
const places: Array<[number, string, number, number, string]> = [
  [1, 'Đình Thổ Hà', 106.1234567, 21.2345678, 'Làng gốm, "đất Việt"'],
  [2, 'Chùa Bổ Đà', 106.1472, 21.2871, 'Di tích quốc gia đặc biệt; xây thế kỷ XVII'],
  [3, 'Xã Tiên Sơn', 106.0991, 21.2601, 'Ủy ban nhân dân\r\nxã Tiên Sơn'],
];

forEachBackend('upload: fidelity of files made the way GIS staff make them', (server) => {
  let owner: string;
  const ids = [
    'excel_bom',
    'excel_bom_semicolon',
    'legacy_windows_1258',
    'legacy_tcvn3',
    'legacy_vni',
    'ge_places',
    'ge_places_lines',
    'gpkg_dates',
    'shp_dates',
    'geojson_empty',
    'csv_given',
    'big_lines',
  ];
  before(async () => {
    owner = await tokenFor(server(), 'editor', 'Cán bộ GIS');
    for (const id of ids) await dropUploadedLayer(server(), id);
  });

  it('reads Excel\'s "CSV UTF-8" (BOM, CRLF, Excel quoting) as UTF-8: every Vietnamese letter kept, column names included', async () => {
    const bytes = excelCsvUtf8([header, ...places]);
    const res = await upload(server(), owner, { name: 'diem_khao_sat.csv', bytes }, { id: 'excel_bom' });
    const waiting = (await res.json()) as JobReport;
    expect(waiting.status).to.equal('needs_confirmation');
    expect(waiting.confirmation).to.deep.include({ crs: true, encoding: false });
    const enc = waiting.datasets[0].encoding;
    expect(enc).to.deep.include({ status: 'resolved', encoding: 'utf-8' });
    expect(enc.declared?.source).to.match(/byte-order mark/);
    expect(waiting.datasets[0].columns.map((c) => c.label)).to.deep.equal(header);
    // The upload page sends its preselected encoding with the CRS: repeating the settled UTF-8 is not a choice made.
    expect(
      (await call(server(), owner, 'POST', `/admin/jobs/${waiting.id}/confirm`, { srid: 4326, encoding: 'utf-8' })).status,
    ).to.equal(202);
    const job = await waitForJob(server(), owner, waiting.id);
    expect(job.status, job.errors.join()).to.equal('published');
    expect(job.fixes.join('\n'), job.fixes.join('\n')).to.not.match(/encoding given by the uploader/);
    expect(job.fixes.join('\n')).to.match(/UTF-8 byte-order mark .*: read as UTF-8/);
    const layer = server().ctx.catalog.find('excel_bom')!;
    expect(layer.columns.map((c) => [c.name, c.label.vi])).to.deep.equal([
      ['stt', 'STT'],
      ['ten_diem', 'Tên điểm'],
      ['kinh_do', 'Kinh độ'],
      ['vi_do', 'Vĩ độ'],
      ['ghi_chu', 'Ghi chú'],
    ]);
    const rows = await items(server(), owner, 'excel_bom');
    expect(rows.map((r) => [r.stt, r.ten_diem, r.kinh_do, r.vi_do, r.ghi_chu])).to.deep.equal(
      places.map((p) => [p[0], p[1], p[2], p[3], p[4].normalize('NFC')]),
    );
  });

  it('keeps the coordinate columns of a CSV as attributes, marked with their role in the report and the layer metadata', async () => {
    const job = await publish(
      server(),
      owner,
      { name: 'toa_do.csv', bytes: excelCsvUtf8([header, ...places]) },
      { id: 'excel_bom', replace: 'true' },
      { srid: 4326 },
    );
    const columns = job.datasets[0].columns;
    expect(columns.filter((c) => c.role).map((c) => [c.name, c.role])).to.deep.equal([
      ['kinh_do', 'x'],
      ['vi_do', 'y'],
    ]);
    expect(await columnTypes(server(), 'excel_bom')).to.include({ kinh_do: 'double precision', vi_do: 'double precision' });
    const described = server()
      .ctx.catalog.find('excel_bom')!
      .columns.filter((c) => c.description)
      .map((c) => c.name);
    expect(described).to.deep.equal(['kinh_do', 'vi_do']);
    const queryables = (await (
      await fetch(`${server().url}/collections/excel_bom/queryables`, { headers: { Authorization: `Bearer ${owner}` } })
    ).json()) as {
      properties: Record<string, { description?: string }>;
    };
    expect(queryables.properties.kinh_do.description).to.match(/Coordinate X as recorded in the file/);
  });

  it("keeps a survey table's X (northing) and Y (easting) from a semicolon CSV with decimal commas as the numbers recorded", async () => {
    const pts = controlPoints().slice(0, 4);
    const rows = [
      ['STT', 'Tên mốc', 'X', 'Y'],
      ...pts.map((p, i) => [i + 1, `Mốc ${i + 1}`, Number(p.n9209.toFixed(3)), Number(p.e9209.toFixed(3))]),
    ];
    const job = await publish(
      server(),
      owner,
      { name: 'moc.csv', bytes: excelCsvUtf8(rows, ';') },
      { id: 'excel_bom_semicolon' },
      { srid: 9209 },
    );
    expect(job.datasets[0].crs.axes.swapped).to.equal(true);
    expect(job.datasets[0].columns.filter((c) => c.role).map((c) => [c.label, c.role])).to.deep.equal([
      ['X', 'x'],
      ['Y', 'y'],
    ]);
    const stored = await items(server(), owner, 'excel_bom_semicolon');
    expect(stored.map((r) => [r.ten_moc, r.x, r.y])).to.deep.equal(
      pts.map((p, i) => [`Mốc ${i + 1}`, Number(p.n9209.toFixed(3)), Number(p.e9209.toFixed(3))]),
    );
  });

  for (const encoding of ['windows-1258', 'tcvn3', 'vni'] as const) {
    it(`decodes the column names of a ${encoding} CSV like its values`, async () => {
      // TCVN3 has no tone-marked capitals: the names are written as such tables write them.
      const legacyHeader = ['STT', 'Tên điểm', 'kinh độ', 'vĩ độ', 'Ghi chú'];
      const bytes = excelCsvLegacy(
        [legacyHeader, ...places.map((p) => [p[0], p[1].replace('Đ', 'đ'), p[2], p[3], 'Làng nghề truyền thống'])],
        encoding,
      );
      const res = await upload(server(), owner, { name: 'cu.csv', bytes }, { id: `legacy_${encoding.replace('-', '_')}` });
      const waiting = (await res.json()) as JobReport;
      expect(waiting.confirmation).to.deep.include({ encoding: true });
      expect(waiting.datasets[0].encoding.encoding).to.equal(encoding);
      expect(waiting.datasets[0].columns.map((c) => c.label)).to.deep.equal(legacyHeader);
      expect(
        (await call(server(), owner, 'POST', `/admin/jobs/${waiting.id}/confirm`, { srid: 4326, encoding })).status,
      ).to.equal(202);
      const job = await waitForJob(server(), owner, waiting.id);
      expect(job.status, job.errors.join()).to.equal('published');
      expect(job.fixes.join('\n')).to.match(new RegExp(`encoding given by the uploader: ${encoding}`));
      const stored = await items(server(), owner, `legacy_${encoding.replace('-', '_')}`);
      expect(Object.keys(stored[0])).to.include.members(['ten_diem', 'kinh_do', 'vi_do', 'ghi_chu']);
      expect(stored.map((r) => r.ten_diem)).to.deep.equal(places.map((p) => p[1].replace('Đ', 'đ')));
      expect(stored[0].ghi_chu).to.equal('Làng nghề truyền thống');
    });
  }

  it('keeps an HTML description of a Google Earth KMZ as its text, and the folder of each placemark', async () => {
    const kml = googleEarthKml({
      'Bắc Ninh/Di tích': [
        {
          name: 'Chùa Dâu',
          description:
            '<table border="1"><tr><td><b>Tên</b></td><td>Chùa Dâu &amp; tháp Hòa Phong</td></tr><tr><td>Năm</td><td>187</td></tr></table>' +
            '<img src="https://example.com/x.jpg"><script>alert(1)</script>',
          data: { ma_di_tich: 'DT-01', ghi_chu: '' },
          kml: '<Point><coordinates>106.0369,21.0464,0</coordinates></Point>',
        },
      ],
      'Bắc Ninh': [
        {
          name: 'Sông Đuống',
          description: 'Sông <chính> của tỉnh',
          kml: '<LineString><tessellate>1</tessellate><coordinates>106.0,21.1,0 106.1,21.12,0 106.2,21.11,0</coordinates></LineString>',
        },
      ],
      '': [{ name: 'Không thư mục', kml: '<Point><coordinates>106.05,21.18,0</coordinates></Point>' }],
    });
    const job = await publish(
      server(),
      owner,
      { name: 'dia_diem.kmz', bytes: await zipBytes({ 'doc.kml': kml }) },
      { id: 'ge_places' },
    );
    expect(job.fixes.join('\n')).to.match(/1 HTML descriptions were kept as their text/);
    expect(job.fixes.join('\n')).to.not.match(/encoding given by the uploader/);
    const points = await items(server(), owner, 'ge_places');
    expect(points.map((p) => [p.name, p.folder, p.description])).to.deep.equal([
      ['Chùa Dâu', 'Bắc Ninh / Di tích', 'Tên Chùa Dâu & tháp Hòa Phong\nNăm 187'],
      ['Không thư mục', null, null],
    ]);
    expect(points[0]).to.include({ ma_di_tich: 'DT-01', ghi_chu: '' });
    const lines = await items(server(), owner, 'ge_places_lines');
    expect(lines.map((p) => [p.name, p.folder, p.description])).to.deep.equal([
      ['Sông Đuống', 'Bắc Ninh', 'Sông <chính> của tỉnh'],
    ]);
  });

  it('keeps GeoPackage DATE and DATETIME columns as date and timestamp columns, and empty strings apart from null', async () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'cap_phep.gpkg');
      writeTypedGeoPackage(
        file,
        'giay_phep',
        [
          { name: 'ten', type: 'TEXT' },
          { name: 'ngay_cap', type: 'DATE' },
          { name: 'cap_nhat', type: 'DATETIME' },
        ],
        [
          {
            geometry: { type: 'Point', coordinates: [106.07, 21.18] },
            values: ['Nhà máy Đông Hà', '2021-03-15', '2023-11-02T08:30:00.000Z'],
          },
          { geometry: { type: 'Point', coordinates: [106.08, 21.19] }, values: ['', '1999-12-31', '2024-01-01T00:00:00.000Z'] },
          { geometry: { type: 'Point', coordinates: [106.09, 21.2] }, values: [null, null, null] },
        ],
      );
      const job = await publish(server(), owner, { name: 'cap_phep.gpkg', bytes: fs.readFileSync(file) }, { id: 'gpkg_dates' });
      expect(job.fixes.join('\n')).to.not.match(/encoding given by the uploader/);
      expect(job.datasets[0].encoding.status).to.equal('not_needed');
      expect(job.datasets[0].columns.filter((c) => c.name !== 'fid').map((c) => [c.name, c.type])).to.deep.equal([
        ['ten', 'string'],
        ['ngay_cap', 'date'],
        ['cap_nhat', 'datetime'],
      ]);
      expect(await columnTypes(server(), 'gpkg_dates')).to.include({
        ten: 'text',
        ngay_cap: 'date',
        cap_nhat: 'timestamp with time zone',
      });
      const rows = await server().ctx.db.rows<Row>(
        `SELECT ten, to_char(ngay_cap, 'YYYY-MM-DD') AS ngay, to_char(cap_nhat AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS luc
           FROM ${server().ctx.catalog.find('gpkg_dates')!.tableSql} ORDER BY id`,
      );
      expect(rows).to.deep.equal([
        { ten: 'Nhà máy Đông Hà', ngay: '2021-03-15', luc: '2023-11-02T08:30:00' },
        { ten: '', ngay: '1999-12-31', luc: '2024-01-01T00:00:00' },
        { ten: null, ngay: null, luc: null },
      ]);
    } finally {
      tmp.remove();
    }
  });

  it('keeps the date fields (type D) of a Shapefile as a date column', async () => {
    const pts = controlPoints().slice(0, 3);
    const { shp, shx } = shpBytes(pts.map((p) => ({ type: 'Point', coordinates: [p.e9214, p.n9214] })));
    const dbf = dbfWithDateFields(
      dbfBytes(
        [
          { name: 'SO_HIEU', type: 'C', length: 10 },
          { name: 'NGAY_DO', type: 'C', length: 8 },
        ],
        [
          [Buffer.from('M-01'), Buffer.from('20190521')],
          [Buffer.from('M-02'), Buffer.from('20200102')],
          [Buffer.from('M-03'), null],
        ],
      ),
      [1],
    );
    const zip = await zipBytes({ 'moc.shp': shp, 'moc.shx': shx, 'moc.dbf': dbf, 'moc.prj': prjTm3(107, null) });
    const job = await publish(server(), owner, { name: 'moc.zip', bytes: zip }, { id: 'shp_dates' });
    expect(job.datasets[0].columns.map((c) => [c.name, c.type])).to.deep.equal([
      ['so_hieu', 'string'],
      ['ngay_do', 'date'],
    ]);
    expect(await columnTypes(server(), 'shp_dates')).to.include({ ngay_do: 'date' });
    const stored = await server().ctx.db.rows<Row>(
      `SELECT so_hieu, to_char(ngay_do, 'YYYY-MM-DD') AS ngay_do FROM ${server().ctx.catalog.find('shp_dates')!.tableSql} ORDER BY id`,
    );
    expect(stored).to.deep.equal([
      { so_hieu: 'M-01', ngay_do: '2019-05-21' },
      { so_hieu: 'M-02', ngay_do: '2020-01-02' },
      { so_hieu: 'M-03', ngay_do: null },
    ]);
  });

  it('keeps empty strings of GeoJSON apart from null, and of CSV where they are quoted', async () => {
    const fc = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { ten: '', ghi_chu: null }, geometry: { type: 'Point', coordinates: [106.1, 21.2] } },
        { type: 'Feature', properties: { ten: 'Có tên', ghi_chu: 'x' }, geometry: { type: 'Point', coordinates: [106.2, 21.2] } },
      ],
    };
    await publish(server(), owner, { name: 'rong.geojson', bytes: JSON.stringify(fc) }, { id: 'geojson_empty' });
    expect((await items(server(), owner, 'geojson_empty')).map((r) => [r.ten, r.ghi_chu])).to.deep.equal([
      ['', null],
      ['Có tên', 'x'],
    ]);

    const csv = 'ten,ghi_chu,so,lon,lat\r\n"",,"",106.1,21.2\r\nA,b,7,106.2,21.2\r\n';
    const job = await publish(
      server(),
      owner,
      { name: 'rong.csv', bytes: csv },
      { id: 'csv_given', encoding: 'utf-8' },
      { srid: 4326 },
    );
    expect(job.fixes.join('\n')).to.match(/encoding given by the uploader: utf-8/);
    expect(job.datasets[0].columns.find((c) => c.name === 'so')!.type).to.equal('integer');
    expect((await items(server(), owner, 'csv_given')).map((r) => [r.ten, r.ghi_chu, r.so])).to.deep.equal([
      ['', null, null],
      ['A', 'b', 7],
    ]);
  });
});

/**
 * The live heap (after a full collection: what the process holds, not garbage waiting for the collector), with
 * `gc` reached the way node's --expose-gc would give it, set for this process only.
 */
function liveHeap(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

/** A multipart upload encoded beforehand, so that sending it costs the test's event loop nothing measurable. */
async function encodedUpload(
  server: RunningServer,
  token: string,
  fileName: string,
  bytes: Buffer,
  fields: Record<string, string>,
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([new Uint8Array(bytes)]), fileName);
  const request = new Request(`${server.url}/admin/layers`, { method: 'POST', body: form });
  const body = Buffer.from(await request.arrayBuffer());
  const headers = { 'Content-Type': request.headers.get('content-type')!, Authorization: `Bearer ${token}` };
  return () => fetch(`${server.url}/admin/layers`, { method: 'POST', body, headers });
}

forEachBackend('upload: GeoJSON read as a stream', (server, backend) => {
  let owner: string;
  before(async () => {
    owner = await tokenFor(server(), 'editor');
    await dropUploadedLayer(server(), 'big_lines');
  });

  it('reads a 1,000,000-vertex GeoJSON with /health answering within 1 s and the live heap bounded', async function () {
    this.timeout(600_000);
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'duong.geojson');
      const bytes = writeLargeGeoJson(file, 10_000, 100);
      const send = await encodedUpload(server(), owner, 'duong.geojson', fs.readFileSync(file), { id: 'big_lines' });
      await (await fetch(`${server().url}/health`)).arrayBuffer(); // the first fetch of a process loads undici
      // Every server of this process shares the heap: wait until none builds a tile memory index (the one of the
      // layer the other backend's run of this test just published would otherwise be counted as the reader's).
      await new Promise((r) => setTimeout(r, 1000)); // the catalog reload that starts a build comes by NOTIFY
      for (const s of await startedSharedServers()) await s.app.services.tiles.memory.settled();
      const base = liveHeap();
      let peakHeap = base;
      let reading = true;
      const slowest = { reading: 0, job: 0 };
      let probes = 0;
      let running = true;
      const probe = (async () => {
        while (running) {
          const t0 = performance.now();
          await (await fetch(`${server().url}/health`)).arrayBuffer();
          const took = performance.now() - t0;
          slowest.job = Math.max(slowest.job, took);
          if (reading) slowest.reading = Math.max(slowest.reading, took);
          // The reader's memory: sampled while the file is read (publishing reloads the catalog and caches of the whole server).
          if (++probes % 20 === 0 && reading) peakHeap = Math.max(peakHeap, liveHeap());
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const started = performance.now();
      let job: JobReport;
      try {
        const res = await send();
        reading = false; // the POST answers once the first pass (the inspection) has read the whole file
        expect(res.status, await res.clone().text()).to.equal(202);
        job = await waitForJob(server(), owner, ((await res.json()) as JobReport).id, 600_000);
      } finally {
        running = false;
        await probe;
      }
      const mib = (n: number) => (n / 1048576).toFixed(1);
      console.log(
        `      ${mib(bytes)} MiB, 1,000,000 vertices, ${backend}: published in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
          `/health slowest ${slowest.reading.toFixed(0)} ms while reading, ${slowest.job.toFixed(0)} ms over the whole job (${probes} probes); ` +
          `live heap +${mib(peakHeap - base)} MiB at most`,
      );
      expect(job.status, job.errors.join()).to.equal('published');
      expect(job.layers[0]).to.deep.include({ id: 'big_lines', features: 10_000, geometryType: 'LineString' });
      expect(probes).to.be.above(20);
      expect(slowest.reading).to.be.below(1000);
      // Embedded PostGIS runs its queries on this thread (WASM): its index and validity pass is not the reader's.
      if (backend === 'server') expect(slowest.job).to.be.below(1000);
      // Parsed whole, the text alone (two bytes a character) took twice the file; streamed, a small fraction of it.
      expect(peakHeap - base).to.be.below(bytes / 2);
    } finally {
      tmp.remove();
    }
  });
});
