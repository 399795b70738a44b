import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { hasOgrinfo, requireTool } from '../support/environment.ts';
import { forEachBackend } from '../support/servers.ts';
import { useFixtureLayers } from './ogc-fixtures.test.ts';

const run = promisify(execFile);

/** Runs ogrinfo read-only against our OGC API and returns its standard output. */
async function ogrinfo(args: string[]): Promise<string> {
  const { stdout } = await run('ogrinfo', ['-ro', ...args], {
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, GDAL_HTTP_TIMEOUT: '30' },
  });
  return stdout;
}

function featureCount(out: string): number {
  const m = /Feature Count: (\d+)/.exec(out);
  if (!m) throw new Error(`no feature count in ogrinfo output:\n${out.slice(0, 500)}`);
  return Number(m[1]);
}

forEachBackend('features: GDAL OAPIF driver reads what we serve', (server) => {
  before(function () {
    requireTool(this, hasOgrinfo, 'features: GDAL OAPIF check', 'ogrinfo (apt-get install gdal-bin)');
  });
  const fx = useFixtureLayers(server, 'ftgdal');
  const source = () => `OAPIF:${server().url}`;
  const ours = async (layer: string, query = '') => {
    const res = await fetch(`${server().url}/collections/${layer}/items?limit=1${query}`);
    return ((await res.json()) as { numberMatched: number }).numberMatched;
  };

  it('lists the same layers as /collections', async () => {
    const out = await ogrinfo(['-so', source()]);
    const gdal = [...out.matchAll(/^\d+: (\S+)/gm)].map((m) => m[1]).sort();
    const body = (await (await fetch(`${server().url}/collections`)).json()) as { collections: Array<{ id: string }> };
    expect(gdal).to.deep.equal(body.collections.map((c) => c.id).sort());
    expect(gdal).to.include(fx().zones);
    expect(gdal).not.to.include(fx().secret);
  });

  it('counts the same features in every layer as numberMatched', async () => {
    const body = (await (await fetch(`${server().url}/collections`)).json()) as { collections: Array<{ id: string }> };
    for (const { id } of body.collections) {
      expect(featureCount(await ogrinfo(['-so', source(), id])), id).to.equal(await ours(id));
    }
  });

  it('counts the same features inside a bbox (-spat), and pages through them all with the bbox kept', async () => {
    const spat = ['106.005', '21.105', '106.035', '21.125'];
    const expected = await ours(fx().zones, `&bbox=${spat.join(',')}`);
    expect(expected).to.equal(12);
    expect(featureCount(await ogrinfo(['-so', '-spat', ...spat, source(), fx().zones]))).to.equal(expected);
    const all = await ogrinfo(['-al', '-q', '-spat', ...spat, '-oo', 'PAGE_SIZE=5', source(), fx().zones]);
    expect(all.match(/^OGRFeature\(/gm) ?? []).to.have.length(expected);
  });

  it('reads the demo land-use layer inside a bbox with the same count as ours', async () => {
    const spat = ['106.0', '21.0', '106.3', '21.3'];
    const id = 'landuse_parcels';
    const listed = (await (await fetch(`${server().url}/collections`)).json()) as { collections: Array<{ id: string }> };
    if (!listed.collections.some((c) => c.id === id)) return;
    expect(featureCount(await ogrinfo(['-so', '-spat', ...spat, source(), id]))).to.equal(
      await ours(id, `&bbox=${spat.join(',')}`),
    );
  });
});
