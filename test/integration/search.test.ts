import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { useFixtureLayers } from './ogc-fixtures.test.ts';

interface Results {
  normalized: string;
  results: Array<{ type: string; layer: string; id?: number; name: string; bbox: number[] | null; rank: number }>;
}

forEachBackend('search', (server) => {
  const fx = useFixtureLayers(server, 'ftsearch');
  const search = async (q: string, extra = ''): Promise<Results> => {
    const res = await fetch(`${server().url}/search?q=${encodeURIComponent(q)}${extra}`);
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as Results;
  };
  const mine = (r: Results) => r.results.filter((x) => x.layer.startsWith('ftsearch_'));

  it('finds the same names for "bac giang", "Bắc Giang", "BAC GIANG" and "Bac  Giang"', async () => {
    const answers = await Promise.all(['bac giang', 'Bắc Giang', 'BAC GIANG', 'Bac  Giang'].map((q) => search(q, '&limit=100')));
    const keys = answers.map((a) => JSON.stringify(mine(a).map((r) => [r.layer, r.id])));
    expect(new Set(keys).size).to.equal(1);
    expect(mine(answers[0]).map((r) => r.name)).to.include('Chợ Bắc Giang');
    expect(answers.every((a) => a.normalized === 'bac giang')).to.equal(true);
  });

  it('gives each result a bbox in EPSG:4326 and ranks a whole-name match first', async () => {
    const r = mine(await search('dinh bang'));
    expect(r[0].name).to.equal('Đình Bảng');
    expect(r[0].rank).to.equal(0);
    expect(r[0].bbox).to.deep.equal([105.95, 21.11, 105.95, 21.11]);
  });

  it('finds layers by title, without diacritics', async () => {
    const r = await search('ftsearch khu quy hoach');
    expect(r.results.find((x) => x.type === 'layer')).to.include({ layer: fx().zones });
  });

  it('does not show names of restricted layers to anonymous callers', async () => {
    const r = await search('bi mat');
    expect(r.results.map((x) => x.layer)).not.to.include(fx().secret);
  });

  it('treats LIKE wildcards and SQL in q as text', async () => {
    expect(mine(await search('%'))).to.deep.equal([]);
    expect(mine(await search("_' OR 1=1 --"))).to.deep.equal([]);
  });

  it('answers 400 for a missing, blank or overlong q, and a bad limit', async () => {
    for (const q of ['', '?q=', '?q=%20%20', `?q=${'a'.repeat(201)}`, '?q=a&limit=0', '?q=a&limit=x']) {
      const res = await fetch(`${server().url}/search${q}`);
      const body = (await res.json()) as { description: string };
      expect(res.status, q).to.equal(400);
      expect(body.description).to.match(/"(q|limit)"/);
    }
  });
});
