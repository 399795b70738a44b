/**
 * GDAL and OWSLib read our features in large pages, as README.md tells them to: GDAL 3.8+ finds the `limit` of each
 * layer in /api the way its OAPIF driver looks for it; the installed GDAL runs the README command and the test
 * counts the pages it fetched (CPL_DEBUG prints every URL); OWSLib runs the README loop and /metrics counts its
 * requests. GDAL on single tiles, and its message for an empty (204) one, as documented.
 */
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { hasOgrinfo, requireTool } from '../support/environment.ts';
import { forEachBackend } from '../support/servers.ts';
import { commandOf, readmeSnippet } from '../support/readme.ts';
import { hasPythonModule, lastJson, runPython } from '../support/python.ts';

const run = promisify(execFile);
type Json = Record<string, any>;

/** The installed GDAL as a number, 3.6 for "GDAL 3.6.2, released 2023/01/02". */
function gdalVersion(): number {
  const m = /GDAL (\d+)\.(\d+)/.exec(execFileSync('ogrinfo', ['--version'], { encoding: 'utf8' }));
  return m ? Number(m[1]) + Number(m[2]) / 10 : 0;
}

/**
 * The page size GDAL 3.8+ derives from an OpenAPI document for one layer (ogroapifdriver.cpp,
 * DeterminePageSizeFromAPI): the literal items path, a parameter `$ref` containing "limit", its schema `default`
 * and `maximum`; "use the default, but if it is below 1000, aim for 1000, clamped to the maximum". -1: not found.
 */
export function gdalPageSizeFromApi(api: Json, itemsPath: string): number {
  const params = (api.paths?.[itemsPath]?.get?.parameters ?? []) as Json[];
  for (const p of params) {
    const ref = typeof p.$ref === 'string' ? (p.$ref as string) : '';
    if (!ref.includes('limit') || !ref.startsWith('#/')) continue;
    const limit = ref
      .slice(2)
      .split('/')
      .reduce<Json | undefined>((o, k) => o?.[k], api);
    if (!limit) continue;
    const max = Number.isInteger(limit.schema?.maximum) ? limit.schema.maximum : -1;
    const def = Number.isInteger(limit.schema?.default) ? limit.schema.default : -1;
    if (def > 0 && max > 0) return Math.min(Math.max(1000, def), max);
    if (def > 0) return Math.max(1000, def);
    if (max > 0) return max;
  }
  return -1;
}

/** The items URLs GDAL fetched, from its CPL_DEBUG output ("HTTP: Fetch(url)"). */
function itemsFetches(stderr: string, layer: string): URL[] {
  return [...stderr.matchAll(/HTTP: Fetch\((\S+)\)/g)]
    .map((m) => new URL(m[1]))
    .filter((u) => u.pathname === `/collections/${layer}/items`);
}

forEachBackend('clients: GDAL and OWSLib read our features in large pages', (server) => {
  let work: string;
  before(function () {
    requireTool(this, hasOgrinfo, 'clients: GDAL', 'ogrinfo and ogr2ogr (apt-get install gdal-bin)');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sdi-gdal-'));
  });
  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });
  const json = async (p: string): Promise<Json> => (await (await fetch(`${server().url}${p}`)).json()) as Json;

  it('describes the items limit (default, maximum) of every layer where GDAL 3.8+ looks for it, which makes 1,000-feature pages', async () => {
    const api = await json('/api');
    const layers = (await json('/collections')).collections.map((c: Json) => c.id as string);
    expect(layers).to.include('landuse_parcels');
    for (const id of layers) expect(gdalPageSizeFromApi(api, `/collections/${id}/items`), id).to.equal(1000);
    expect(api.components.parameters.limit.schema).to.include({ default: 100, maximum: server().ctx.config.itemsMaxLimit });
  });

  it('copies every parcel with the README ogr2ogr command, in pages of the size the command gives', async function () {
    this.timeout(180_000);
    const argv = commandOf(readmeSnippet('gdal-features', server().url));
    const expected = (await json('/collections/landuse_parcels/items?limit=1')).numberMatched as number;
    const started = Date.now();
    const { stderr } = await run(argv[0], argv.slice(1), {
      cwd: work,
      timeout: 170_000,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, CPL_DEBUG: 'ON' },
    });
    const seconds = (Date.now() - started) / 1000;
    const out = JSON.parse(fs.readFileSync(path.join(work, 'parcels.geojson'), 'utf8')) as { features: unknown[] };
    expect(out.features).to.have.length(expected);
    const fetches = itemsFetches(stderr, 'landuse_parcels');
    const pageSize = Number(argv[argv.indexOf('-oo') + 1].split('=')[1]);
    for (const u of fetches) expect(Number(u.searchParams.get('limit')), u.href).to.equal(pageSize);
    // GDAL 3.6 reads the first page once for the schema, then pages from the start.
    expect(fetches.length).to.be.at.most(1 + Math.ceil((expected + 1) / pageSize));
    console.log(
      `      GDAL ${gdalVersion()}: ${expected} parcels in ${fetches.length} items requests of ${pageSize}, ${seconds.toFixed(1)} s`,
    );
  });

  it('runs the installed GDAL unaided at 10 features a page before 3.8, and at the page size of /api from 3.8 on', async function () {
    this.timeout(120_000);
    const { stderr } = await run('ogrinfo', ['-ro', '-q', '-al', '-fid', '1', `OAPIF:${server().url}/`, 'industrial_zones'], {
      timeout: 110_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, CPL_DEBUG: 'ON' },
    });
    const limits = new Set(itemsFetches(stderr, 'industrial_zones').map((u) => u.searchParams.get('limit')));
    expect([...limits]).to.deep.equal([gdalVersion() >= 3.8 ? '1000' : '10']);
  });

  it('reads a tile with the README ogrinfo command, and says "Unable to open datasource" for an empty one (204)', async function () {
    this.timeout(60_000);
    const argv = commandOf(readmeSnippet('gdal-tile', server().url));
    const tileUrl = argv.find((a) => a.startsWith('MVT:'))!.slice(4);
    expect((await fetch(tileUrl)).status, `${tileUrl} must hold parcels at the test scale`).to.equal(200);
    const { stdout } = await run(argv[0], argv.slice(1), { timeout: 50_000 });
    expect(Number(/Feature Count: (\d+)/.exec(stdout)?.[1])).to.be.above(0);
    expect(stdout).to.match(/Extent: \(1180\d+\.\d+, 241\d+\.\d+\)/); // EPSG:3857 metres, z/x/y taken from the path
    const empty = `${server().url}/tiles/landuse_parcels/14/0/0.mvt`;
    expect((await fetch(empty)).status).to.equal(204);
    const failed = await run('ogrinfo', ['-ro', '-so', `MVT:${empty}`], { timeout: 50_000 }).then(
      () => null,
      (err: { stdout: string; stderr: string }) => `${err.stdout}${err.stderr}`,
    );
    expect(failed).to.include('Unable to open datasource');
  });

  it('reads every parcel with the README OWSLib loop, in pages of the maximum limit', async function () {
    this.timeout(180_000);
    requireTool(this, hasPythonModule('owslib'), 'clients: OWSLib', 'python3-owslib (apt-get install python3-owslib)');
    const expected = (await json('/collections/landuse_parcels/items?limit=1')).numberMatched as number;
    const metric = async (): Promise<number> => {
      const text = await (await fetch(`${server().url}/metrics`)).text();
      const m = /^http_requests_total\{route="\/collections\/:layer\/items",method="GET",status="200"\} (\d+)/m.exec(text);
      return m ? Number(m[1]) : 0;
    };
    const before = await metric();
    const script = `${readmeSnippet('owslib', server().url)}\nimport json\nprint(json.dumps({'n': len(parcels), 'limit': limit}))\n`;
    const result = lastJson<{ n: number; limit: number }>((await runPython(script, 170_000)).stdout);
    const requests = (await metric()) - before;
    expect(result.n).to.equal(expected);
    expect(result.limit).to.equal(server().ctx.config.itemsMaxLimit);
    expect(requests).to.equal(Math.floor(expected / result.limit) + 1);
  });
});
