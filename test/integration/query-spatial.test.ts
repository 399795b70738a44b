import { expect } from 'chai';
import { bboxPolygon } from '@turf/turf';
import { forEachBackend } from '../support/servers.ts';
import { useFixtureLayers } from './ogc-fixtures.test.ts';

interface Fc {
  type: string;
  features: Array<{ id: number; layer: string; distance_m?: number; geometry: unknown; properties: Record<string, unknown> }>;
  truncated?: boolean;
}

/** A box of zones as a GeoJSON polygon (lon/lat); zone (i, j) is 0.01° from (106 + i/100, 21.1 + j/100). */
const square = (x0: number, y0: number, x1: number, y1: number) => bboxPolygon([x0, y0, x1, y1]).geometry;

forEachBackend('spatial queries', (server) => {
  const fx = useFixtureLayers(server, 'ftq');
  const get = async (path: string) => fetch(`${server().url}${path}`);
  const post = async (path: string, body: unknown, raw = false) =>
    fetch(`${server().url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: raw ? (body as string) : JSON.stringify(body),
    });
  const ok = async <T = Fc>(res: Response): Promise<T> => {
    const text = await res.text();
    expect(res.status, text).to.equal(200);
    return JSON.parse(text) as T;
  };
  const expectError = async (res: Response, status: number, mention: string) => {
    const body = (await res.json()) as { code: string; description: string };
    expect(res.status, JSON.stringify(body)).to.equal(status);
    expect(body.description).to.include(mention);
  };

  describe('identify', () => {
    it('finds the zone under a point and the road within the tolerance, topmost layer first', async () => {
      const fc = await ok(await get(`/query/identify?lon=106.015&lat=21.1251&tolerance_m=20&layers=${fx().zones},${fx().lines}`));
      expect(fc.features.map((f) => [f.layer, f.id])).to.deep.equal([
        [fx().lines, 1],
        [fx().zones, 12],
      ]);
      expect(fc.features[0].distance_m).to.be.closeTo(11.1, 0.5);
    });

    it('leaves out lines beyond the tolerance and restricted layers of anonymous callers', async () => {
      const fc = await ok(await get('/query/identify?lon=106.015&lat=21.1251&tolerance_m=5'));
      expect(fc.features.map((f) => f.layer)).not.to.include(fx().lines);
      expect(fc.features.map((f) => f.layer)).to.include(fx().zones);
      const near = await ok(await get('/query/identify?lon=106.005&lat=21.105&tolerance_m=50'));
      expect(near.features.map((f) => f.layer)).not.to.include(fx().secret);
      await expectError(await get(`/query/identify?lon=106&lat=21&layers=${fx().secret}`), 404, fx().secret);
    });
  });

  describe('nearest and within', () => {
    it('returns the k nearest features by ellipsoidal distance, nearest first', async () => {
      const fc = await ok(await get(`/query/nearest?layer=${fx().points}&lon=106.0052&lat=21.1052&k=3`));
      expect(fc.features).to.have.length(3);
      expect(fc.features[0].properties.name).to.equal('Cầu Đông Xuyên');
      expect(fc.features[0].distance_m).to.be.closeTo(11.06, 0.1);
      const d = fc.features.map((f) => f.distance_m!);
      expect(d).to.deep.equal([...d].sort((a, b) => a - b));
    });

    it('returns every feature within a radius with its distance', async () => {
      const fc = await ok(await get(`/query/within?layer=${fx().points}&lon=106.195&lat=21.273&radius_m=100`));
      expect(fc.features.map((f) => f.properties.name)).to.deep.equal(['Chợ Bắc Giang']);
      expect(fc.features[0].distance_m).to.equal(0);
    });
  });

  describe('intersects and summary', () => {
    it('returns features intersecting a drawn polygon', async () => {
      const fc = await ok(
        await post('/query/intersects', { layer: fx().zones, geometry: square(106.005, 21.105, 106.015, 21.115) }),
      );
      expect(fc.features.map((f) => f.id)).to.deep.equal([1, 2, 6, 7]);
    });

    it('sums the area inside the polygon on the ellipsoid, grouped by code, and states the method', async () => {
      const body = await ok<{
        total: { count: number; area_ha: number };
        groups: Array<{ key: { code: string }; count: number; area_ha: number }>;
        method: string;
      }>(
        await post('/query/summary', { layer: fx().zones, geometry: square(106.005, 21.105, 106.015, 21.115), groupBy: 'code' }),
      );
      expect(body.method).to.match(/ellipsoid/);
      expect(body.total.count).to.equal(4);
      // The drawn square is 0.01° x 0.01° at 21.11°N: about 1,039 m x 1,107 m.
      expect(body.total.area_ha).to.be.closeTo(115.0, 1.5);
      expect(body.groups.reduce((s, g) => s + g.count, 0)).to.equal(4);
      // Zones 1, 2, 6, 7 have codes ONT, CLN, CLN, SKK; a quarter of each lies inside.
      expect(body.groups.map((g) => [g.key.code, g.count])).to.deep.equal([
        ['CLN', 2],
        ['ONT', 1],
        ['SKK', 1],
      ]);
      expect(body.groups[0].area_ha).to.be.closeTo(body.total.area_ha / 2, 0.5);
    });

    it('groups by several properties and measures line length in km', async () => {
      const lines = await ok<{ total: { count: number; length_km: number } }>(
        await post('/query/summary', { layer: fx().lines, geometry: square(106.0, 21.1, 106.02, 21.14) }),
      );
      expect(lines.total.count).to.equal(1);
      expect(lines.total.length_km).to.be.closeTo(2.08, 0.02);
      const multi = await ok<{ groupBy: string[]; groups: Array<{ key: Record<string, unknown> }> }>(
        await post('/query/summary', {
          layer: fx().zones,
          geometry: square(106.0, 21.1, 106.05, 21.14),
          groupBy: ['code', 'active'],
        }),
      );
      expect(multi.groupBy).to.deep.equal(['code', 'active']);
      expect(Object.keys(multi.groups[0].key)).to.deep.equal(['code', 'active']);
    });
  });

  describe('hostile input', () => {
    const bigPolygon = (n: number) => {
      const ring: number[][] = [];
      for (let i = 0; i < n; i++)
        ring.push([106 + 0.01 * Math.cos((2 * Math.PI * i) / n), 21.1 + 0.01 * Math.sin((2 * Math.PI * i) / n)]);
      ring.push(ring[0]);
      return { type: 'Polygon', coordinates: [ring] };
    };

    const getCases: Array<[string, string, number, string]> = [
      ['a missing lon', '/query/identify?lat=21', 400, 'lon'],
      ['a lon out of range', '/query/identify?lon=200&lat=21', 400, 'lon'],
      ['SQL in lat', `/query/identify?lon=106&lat=${encodeURIComponent('21; DROP TABLE x')}`, 400, 'lat'],
      ['a negative tolerance', '/query/identify?lon=106&lat=21&tolerance_m=-1', 400, 'tolerance_m'],
      ['an unknown layer in layers', '/query/identify?lon=106&lat=21&layers=nope', 404, 'nope'],
      ['an unknown parameter', '/query/identify?lon=106&lat=21&x=1', 400, '"x"'],
      ['a huge k', '/query/nearest?layer={points}&lon=106&lat=21&k=100000000', 400, '"k"'],
      ['a fractional k', '/query/nearest?layer={points}&lon=106&lat=21&k=1.5', 400, '"k"'],
      ['an unknown nearest layer', `/query/nearest?layer=${encodeURIComponent("x' OR '1'='1")}&lon=106&lat=21`, 404, 'OR'],
      ['a zero radius', '/query/within?layer={points}&lon=106&lat=21&radius_m=0', 400, 'radius_m'],
      ['an infinite radius', '/query/within?layer={points}&lon=106&lat=21&radius_m=Infinity', 400, 'radius_m'],
    ];
    for (const [what, path, status, mention] of getCases) {
      it(`answers ${status} for ${what}`, async () => {
        await expectError(await get(path.replace('{points}', fx().points)), status, mention);
      });
    }

    const postCases: Array<[string, string, unknown, number, string]> = [
      ['a body that is not JSON', '/query/intersects', '{"layer":', 400, 'JSON'],
      ['a missing geometry', '/query/intersects', { layer: '{zones}' }, 400, 'geometry'],
      [
        'an unknown geometry type',
        '/query/intersects',
        { layer: '{zones}', geometry: { type: 'Circle', coordinates: [1, 2] } },
        400,
        'geometry.type',
      ],
      [
        'an open ring',
        '/query/intersects',
        {
          layer: '{zones}',
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [106, 21],
                [106.1, 21],
                [106.1, 21.1],
                [106, 21.1],
              ],
            ],
          },
        },
        400,
        'ring',
      ],
      [
        'coordinates as strings',
        '/query/intersects',
        { layer: '{zones}', geometry: { type: 'Point', coordinates: ['106', '21'] } },
        400,
        'geometry',
      ],
      [
        'coordinates out of range',
        '/query/intersects',
        { layer: '{zones}', geometry: { type: 'Point', coordinates: [500, 21] } },
        400,
        'geometry',
      ],
      [
        'SQL as the layer',
        '/query/intersects',
        { layer: "zones'; DROP TABLE layer_catalog; --", geometry: { type: 'Point', coordinates: [106, 21] } },
        404,
        'DROP',
      ],
      [
        'an unknown groupBy property',
        '/query/summary',
        { layer: '{zones}', geometry: square(106, 21.1, 106.01, 21.11), groupBy: 'nope' },
        400,
        'groupBy',
      ],
      [
        'SQL in groupBy',
        '/query/summary',
        { layer: '{zones}', geometry: square(106, 21.1, 106.01, 21.11), groupBy: ['code; DROP TABLE x'] },
        400,
        'groupBy',
      ],
      [
        'too many groupBy properties',
        '/query/summary',
        {
          layer: '{zones}',
          geometry: square(106, 21.1, 106.01, 21.11),
          groupBy: ['code', 'floors', 'active', 'since', 'area_ha'],
        },
        400,
        'groupBy',
      ],
      ['a polygon of 60,000 vertices', '/query/summary', { layer: '{zones}', geometry: bigPolygon(60_000) }, 413, 'vertices'],
    ];
    for (const [what, path, body, status, mention] of postCases) {
      it(`answers ${status} for ${what}`, async () => {
        const withLayer = typeof body === 'string' ? body : JSON.parse(JSON.stringify(body).replace('{zones}', fx().zones));
        await expectError(await post(path, withLayer, typeof body === 'string'), status, mention);
      });
    }

    it('answers 413 for a geometry of 1,000,000 vertices, and keeps serving', async () => {
      await expectError(await post('/query/intersects', { layer: fx().zones, geometry: bigPolygon(1_000_000) }), 413, 'limit');
      expect((await get('/health')).status).to.equal(200);
    });

    it('survives a self-intersecting drawing (made valid, not a 500)', async () => {
      const bowtie = {
        type: 'Polygon',
        coordinates: [
          [
            [106, 21.1],
            [106.02, 21.12],
            [106.02, 21.1],
            [106, 21.12],
            [106, 21.1],
          ],
        ],
      };
      const body = await ok<{ total: { count: number } }>(await post('/query/summary', { layer: fx().zones, geometry: bowtie }));
      expect(body.total.count).to.be.greaterThan(0);
    });
  });
});
