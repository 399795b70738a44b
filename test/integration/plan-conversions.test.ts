/**
 * /query/conversions: what the land-use plan 2021-2030 changes, hectares from each current code to each planned code
 * per commune, read from the demo layer `landuse_plan_2030` and checked against the database view of migration 014.
 */
import { expect } from 'chai';
import { bboxPolygon } from '@turf/turf';
import { forEachBackend } from '../support/servers.ts';
import { tokenFor } from '../fixtures/upload/http.ts';

interface CodeName {
  code: string;
  vi: string | null;
  en: string | null;
}
interface Conversion {
  from: CodeName;
  to: CodeName;
  area_ha: number;
  parcels: number;
}
interface Answer {
  layer: string;
  groupBy: string;
  commune: string | null;
  method: string;
  total: { changed_ha: number; plan_area_ha: number; parcels_changed: number; parcels: number };
  conversions: Conversion[];
  groups: Array<{ key: Record<string, string | null>; changed_ha: number; plan_area_ha: number; conversions: Conversion[] }>;
}

/** A box as a GeoJSON polygon (lon/lat). */
const box = (x0: number, y0: number, x1: number, y1: number) => bboxPolygon([x0, y0, x1, y1]).geometry;

/** Far larger than the province (about 105.8-107.2 E, 20.9-21.7 N). */
const everywhere = box(105, 20, 108, 23);

forEachBackend('what the land-use plan changes (/query/conversions)', (server) => {
  const url = (path: string) => `${server().url}${path}`;
  const get = (path: string, token?: string) => fetch(url(path), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const post = (body: unknown, query = '') =>
    fetch(url(`/query/conversions${query}`), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const ok = async (res: Response): Promise<Answer> => {
    const text = await res.text();
    expect(res.status, text).to.equal(200);
    return JSON.parse(text) as Answer;
  };
  const whole = async () => ok(await get('/query/conversions?layer=landuse_plan_2030'));
  let view: Array<{ current_code: string; planned_code: string; area_ha: number; parcels: number }>;

  before(async () => {
    view = await server().ctx.db.rows(
      `SELECT current_code, planned_code, sum(area_ha)::float8 AS area_ha, sum(parcels)::int AS parcels
         FROM landuse_plan_2030_changes GROUP BY current_code, planned_code ORDER BY area_ha DESC, current_code, planned_code`,
    );
    expect(view.length).to.be.greaterThan(0);
  });

  it('adds up to the totals of the database view landuse_plan_2030_changes, conversion by conversion', async () => {
    const a = await ok(await get('/query/conversions?layer=landuse_plan_2030'));
    const viewHa = view.reduce((s, r) => s + r.area_ha, 0);
    // The view rounds each row to 0.01 ha; the answer is measured from the geometry (as the seed measured area_m2).
    expect(a.total.changed_ha).to.be.closeTo(viewHa, 0.01 * view.length);
    expect(a.total.parcels_changed).to.equal(view.reduce((s, r) => s + r.parcels, 0));
    expect(a.conversions.map((c) => [c.from.code, c.to.code, c.parcels])).to.have.deep.members(
      view.map((r) => [r.current_code, r.planned_code, r.parcels]),
    );
    for (const r of view) {
      const c = a.conversions.find((x) => x.from.code === r.current_code && x.to.code === r.planned_code)!;
      expect(c.area_ha, `${r.current_code} -> ${r.planned_code}`).to.be.closeTo(r.area_ha, 0.01 * view.length);
    }
    expect(a.total.plan_area_ha).to.be.greaterThan(a.total.changed_ha);
    expect(a.method).to.include('ellipsoid');
  });

  it('splits the conversions by commune of 1 July 2025, and the communes add up to the whole', async () => {
    const a = await ok(await get('/query/conversions?layer=landuse_plan_2030'));
    expect(a.groupBy).to.equal('commune_2025');
    expect(a.groups.length).to.be.greaterThan(1);
    for (const g of a.groups) {
      expect(g.key.commune_code_2025).to.match(/^\d{5}$/);
      expect(g.key.commune_name_2025).to.be.a('string');
      expect(g.changed_ha).to.be.closeTo(
        g.conversions.reduce((s, c) => s + c.area_ha, 0),
        0.001 * g.conversions.length,
      );
    }
    expect(a.groups.reduce((s, g) => s + g.changed_ha, 0)).to.be.closeTo(a.total.changed_ha, 0.001 * a.groups.length);
    const old = await ok(await get('/query/conversions?layer=landuse_plan_2030&groupBy=commune'));
    expect(Object.keys(old.groups[0].key)).to.deep.equal(['district_name', 'commune_code', 'commune_name']);
    expect(old.total.changed_ha).to.be.closeTo(a.total.changed_ha, 0.001);
  });

  it('reports a known conversion, farmland planned to become industrial park land, with the names of both codes', async () => {
    const a = await ok(await get('/query/conversions?layer=landuse_plan_2030&groupBy=none'));
    const biggest = view[0];
    const c = a.conversions.find((x) => x.from.code === biggest.current_code && x.to.code === biggest.planned_code);
    expect(c, `${biggest.current_code} -> ${biggest.planned_code}`).to.not.equal(undefined);
    const toPark = a.conversions.filter((x) => x.to.code === 'SKK');
    expect(toPark.length).to.be.greaterThan(0);
    expect(toPark[0].to).to.deep.equal({ code: 'SKK', vi: 'Đất khu công nghiệp', en: 'Industrial park land' });
    const luc = a.conversions.find((x) => x.from.code === 'LUC');
    if (luc)
      expect(luc.from).to.deep.equal({ code: 'LUC', vi: 'Đất chuyên trồng lúa nước', en: 'Paddy land (two or more rice crops)' });
    expect(a.groups).to.have.length(1);
    expect(a.groups[0].key).to.deep.equal({});
  });

  it('answers for one commune of 1 July 2025 what the whole answer says of it', async () => {
    const all = await whole();
    const g = all.groups[0];
    const one = await ok(await get(`/query/conversions?layer=landuse_plan_2030&commune=${g.key.commune_code_2025}`));
    expect(one.commune).to.equal(g.key.commune_code_2025);
    expect(one.groups).to.have.length(1);
    expect(one.groups[0]).to.deep.equal(g);
    expect(one.total.changed_ha).to.equal(g.changed_ha);
    // A commune of today's province that the plan does not reach: no conversions (not an error).
    const planned = new Set(all.groups.map((x) => x.key.commune_code_2025));
    const units = (await (await fetch(`${server().url}/collections/admin_communes_2025/items?limit=200`)).json()) as {
      features: Array<{ properties: Record<string, unknown> }>;
    };
    const outside = units.features.map((f) => String(f.properties.code)).find((code) => !planned.has(code));
    expect(outside, 'a commune outside the plan').to.be.a('string');
    const none = await ok(await get(`/query/conversions?layer=landuse_plan_2030&commune=${outside}`));
    expect(none.groups).to.deep.equal([]);
    expect(none.total.changed_ha).to.equal(0);
  });

  it('clips to a drawn area or a box: one around everything gives the whole, a smaller one less', async () => {
    const all = await whole();
    const drawn = await ok(await post({ layer: 'landuse_plan_2030', geometry: everywhere }));
    expect(drawn.total.changed_ha).to.be.closeTo(all.total.changed_ha, 0.001);
    expect(drawn.total.parcels_changed).to.equal(all.total.parcels_changed);
    const boxed = await ok(await get('/query/conversions?layer=landuse_plan_2030&bbox=105,20,108,23'));
    expect(boxed.total.changed_ha).to.be.closeTo(all.total.changed_ha, 0.001);
    // Half of the plan's extent, west of its middle: some conversions, fewer hectares.
    const [b] = await server().ctx.db.rows<{ x0: number; y0: number; x1: number; y1: number }>(
      'SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1 FROM (SELECT ST_Extent(geom)::geometry AS e FROM landuse_plan_2030 WHERE changed) s',
    );
    const half = await ok(await post({ layer: 'landuse_plan_2030', geometry: box(b.x0, b.y0, (b.x0 + b.x1) / 2, b.y1) }));
    expect(half.total.changed_ha).to.be.greaterThan(0).and.lessThan(all.total.changed_ha);
    expect(half.total.plan_area_ha).to.be.lessThan(all.total.plan_area_ha);
  });

  it('gives the same as CSV, one line per commune and conversion, with the names of the codes', async () => {
    const all = await whole();
    const res = await get('/query/conversions?layer=landuse_plan_2030&f=csv');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/csv/);
    const text = Buffer.from(await res.arrayBuffer()).toString('utf8');
    expect(text.charCodeAt(0)).to.equal(0xfeff);
    const lines = text.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).to.equal(
      'commune_code_2025,commune_name_2025,from_code,from_vi,from_en,to_code,to_vi,to_en,area_ha,parcels',
    );
    expect(lines.length - 1).to.equal(all.groups.reduce((s, g) => s + g.conversions.length, 0));
    expect(text).to.include('SKK,Đất khu công nghiệp,Industrial park land,');
    const drawn = await post({ layer: 'landuse_plan_2030', geometry: everywhere }, '?f=csv');
    expect(drawn.status).to.equal(200);
    expect(drawn.headers.get('content-type')).to.match(/^text\/csv/);
  });

  it('is read by anonymous callers like the layer, and hides the plan once it is restricted', async () => {
    const admin = await tokenFor(server(), 'admin');
    const viewer = await tokenFor(server(), 'viewer');
    const patch = (access: string) =>
      fetch(url('/admin/layers/landuse_plan_2030'), {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${admin}` },
        body: JSON.stringify({ access }),
      });
    expect((await get('/query/conversions?layer=landuse_plan_2030')).status).to.equal(200);
    expect((await get('/query/conversions?layer=bts_stations')).status).to.equal(404);
    try {
      expect((await patch('restricted')).status).to.equal(200);
      const anonymous = await get('/query/conversions?layer=landuse_plan_2030');
      expect(anonymous.status).to.equal(404);
      expect(((await anonymous.json()) as { description: string }).description).to.not.include('restricted');
      expect((await post({ layer: 'landuse_plan_2030', geometry: everywhere })).status).to.equal(404);
      expect((await get('/query/conversions?layer=landuse_plan_2030', viewer)).status).to.equal(200);
    } finally {
      expect((await patch('public')).status).to.equal(200);
    }
  });

  for (const [what, path, parameter] of [
    ['no layer', '/query/conversions', '"layer"'],
    ['a layer that is not a plan', '/query/conversions?layer=landuse_parcels', '"layer"'],
    ['a commune code that is not five digits', '/query/conversions?layer=landuse_plan_2030&commune=Bac%20Giang', '"commune"'],
    ['a commune code no unit of 1 July 2025 has', '/query/conversions?layer=landuse_plan_2030&commune=00000', '"commune"'],
    ['an unknown grouping', '/query/conversions?layer=landuse_plan_2030&groupBy=province', '"groupBy"'],
    ['a bbox of two numbers', '/query/conversions?layer=landuse_plan_2030&bbox=106,21', '"bbox"'],
    ['an unknown parameter', '/query/conversions?layer=landuse_plan_2030&from=LUC', '"from"'],
    ['an unknown format', '/query/conversions?layer=landuse_plan_2030&f=xlsx', '"f"'],
  ] as const) {
    it(`answers 400 naming the parameter for ${what}`, async () => {
      const res = await get(path);
      const body = (await res.json()) as { description: string };
      expect(res.status, body.description).to.equal(400);
      expect(body.description).to.include(parameter);
    });
  }

  for (const [what, body, field] of [
    [
      'a point instead of an area',
      { layer: 'landuse_plan_2030', geometry: { type: 'Point', coordinates: [106.2, 21.3] } },
      '"geometry"',
    ],
    [
      'a ring that is not closed',
      {
        layer: 'landuse_plan_2030',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [106, 21],
              [107, 21],
              [107, 22],
              [106, 22],
            ],
          ],
        },
      },
      '"geometry.coordinates[0]"',
    ],
    ['a commune given as a number', { layer: 'landuse_plan_2030', commune: 7210 }, '"commune"'],
    ['no layer', { geometry: everywhere }, '"layer"'],
  ] as const) {
    it(`answers 400 naming the field for ${what} in a POST body`, async () => {
      const res = await post(body);
      const answer = (await res.json()) as { description: string };
      expect(res.status, answer.description).to.equal(400);
      expect(answer.description).to.include(field);
    });
  }
});
