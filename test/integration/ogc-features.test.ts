import { expect } from 'chai';
import { Validator } from '@seriousme/openapi-schema-validator';
import { forEachBackend } from '../support/servers.ts';
import { ownerColumn, useFixtureLayers, zoneCodes } from './ogc-fixtures.test.ts';

interface Fc {
  type: string;
  numberMatched: number;
  numberMatchedMethod: string;
  numberReturned: number;
  features: Array<{
    id: number;
    geometry: { type: string; coordinates: number[] | number[][][] } | null;
    properties: Record<string, unknown>;
  }>;
  links: Array<{ rel: string; href: string; type?: string }>;
}

/** Spherical Web Mercator (EPSG:3857) of a longitude/latitude. */
function mercator(lon: number, lat: number): [number, number] {
  const r = 6378137;
  return [(r * lon * Math.PI) / 180, r * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))];
}

const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const EPSG = (n: number) => `http://www.opengis.net/def/crs/EPSG/0/${n}`;

forEachBackend('OGC API Features', (server) => {
  const fx = useFixtureLayers(server, 'ftogc');
  const url = (p: string) => `${server().url}${p}`;
  const get = (p: string, headers: Record<string, string> = {}) => fetch(url(p), { headers });
  const items = async (layer: string, query = ''): Promise<Fc> => {
    const res = await get(`/collections/${layer}/items${query ? `?${query}` : ''}`);
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as Fc;
  };
  const expectError = async (p: string, status: number, mention: string) => {
    const res = await get(p);
    const body = (await res.json()) as { code: string; description: string };
    expect(res.status, JSON.stringify(body)).to.equal(status);
    expect(body.code).to.be.a('string');
    expect(body.description).to.include(mention);
  };

  describe('landing page, conformance, API', () => {
    it('answers / with JSON links to the API, conformance, collections and the viewer', async () => {
      const res = await get('/');
      expect(res.headers.get('content-type')).to.match(/application\/json/);
      const body = (await res.json()) as { links: Array<{ rel: string; href: string }> };
      const rels = body.links.map((l) => l.rel);
      for (const rel of ['self', 'service-desc', 'conformance', 'data']) expect(rels).to.include(rel);
      expect(body.links.some((l) => l.href.endsWith('/viewer/'))).to.equal(true);
    });

    it('answers / with HTML linking to the viewer for f=html, and sends a browser to HTML or the viewer', async () => {
      const res = await get('/?f=html');
      expect(res.headers.get('content-type')).to.match(/text\/html/);
      expect(await res.text()).to.include('href="/viewer/"');
      const browser = await fetch(url('/'), {
        headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
        redirect: 'manual',
      });
      if (browser.status === 302) expect(browser.headers.get('location')).to.match(/viewer\/$/);
      else expect(await browser.text()).to.include('href="/viewer/"');
    });

    it('declares Features Part 1, 2 and 3 and CQL2 conformance classes', async () => {
      const body = (await (await get('/conformance')).json()) as { conformsTo: string[] };
      for (const c of [
        'ogcapi-features-1/1.0/conf/core',
        'ogcapi-features-1/1.0/conf/geojson',
        'ogcapi-features-2/1.0/conf/crs',
        'ogcapi-features-3/1.0/conf/filter',
        'cql2/1.0/conf/cql2-text',
      ]) {
        expect(
          body.conformsTo.some((x) => x.endsWith(c)),
          c,
        ).to.equal(true);
      }
    });

    it('serves an OpenAPI 3.0 document that validates and covers features, tiles, queries and admin', async () => {
      const res = await get('/api');
      expect(res.headers.get('content-type')).to.match(/application\/vnd\.oai\.openapi\+json/);
      const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
      const result = await new Validator().validate(doc as never);
      expect(result.valid, JSON.stringify(result.errors)).to.equal(true);
      for (const p of [
        '/collections/{collectionId}/items',
        '/tiles/{layers}/{z}/{x}/{y}.mvt',
        '/query/summary',
        '/search',
        '/admin/layers',
      ]) {
        expect(doc.paths).to.have.property(p);
      }
    });
  });

  describe('collections', () => {
    it('lists readable layers with CRS84 extent, CRS list, storage CRS and links to items, queryables and tiles', async () => {
      const body = (await (await get('/collections')).json()) as { collections: Array<Record<string, any>> };
      const zones = body.collections.find((c) => c.id === fx().zones)!;
      expect(zones.extent.spatial.crs).to.equal(CRS84);
      expect(zones.extent.spatial.bbox[0]).to.have.length(4);
      expect(zones.crs).to.include.members([
        CRS84,
        EPSG(4326),
        EPSG(3857),
        EPSG(4756),
        EPSG(3405),
        EPSG(3406),
        EPSG(9214),
        EPSG(9209),
      ]);
      expect(zones.storageCrs).to.equal(CRS84);
      const hrefs = zones.links.map((l: { href: string }) => l.href);
      expect(hrefs).to.include(url(`/collections/${fx().zones}/items`));
      expect(hrefs).to.include(url(`/collections/${fx().zones}/queryables`));
      expect(hrefs).to.include(url(`/collections/${fx().zones}/tiles`));
      expect(hrefs).to.include(url(`/tiles/${fx().zones}.json`));
    });

    it('hides restricted layers from anonymous callers (404, not 403)', async () => {
      const body = (await (await get('/collections')).json()) as { collections: Array<{ id: string }> };
      expect(body.collections.map((c) => c.id)).not.to.include(fx().secret);
      await expectError(`/collections/${fx().secret}`, 404, fx().secret);
      await expectError(`/collections/${fx().secret}/items`, 404, fx().secret);
    });

    it('describes one collection, in HTML when asked', async () => {
      const body = (await (await get(`/collections/${fx().zones}`)).json()) as { id: string; title: string };
      expect(body.id).to.equal(fx().zones);
      const html = await (await get(`/collections/${fx().zones}?f=html`)).text();
      expect(html).to.include('Land-use code');
      expect(html).to.include('chủ &quot;sở&quot; hữu');
    });

    it('answers queryables as JSON Schema 2020-12 with typed properties and the geometry', async () => {
      const res = await get(`/collections/${fx().zones}/queryables`);
      expect(res.headers.get('content-type')).to.match(/application\/schema\+json/);
      const schema = (await res.json()) as { $schema: string; properties: Record<string, { type?: string; format?: string }> };
      expect(schema.$schema).to.equal('https://json-schema.org/draft/2020-12/schema');
      expect(schema.properties.code.type).to.equal('string');
      expect(schema.properties.floors.type).to.equal('integer');
      expect(schema.properties.since).to.include({ type: 'string', format: 'date' });
      expect(schema.properties.geometry.format).to.equal('geometry-polygon-or-multipolygon');
    });
  });

  describe('items', () => {
    it('returns GeoJSON with numberMatched (exact, stated), numberReturned and a default limit', async () => {
      const res = await get(`/collections/${fx().zones}/items`);
      expect(res.headers.get('content-type')).to.match(/^application\/geo\+json/);
      expect(res.headers.get('content-crs')).to.equal(`<${CRS84}>`);
      const fc = (await res.json()) as Fc;
      expect(fc.type).to.equal('FeatureCollection');
      expect(fc.numberMatched).to.equal(fx().zoneCount);
      expect(fc.numberMatchedMethod).to.equal('exact');
      expect(fc.numberReturned).to.equal(fx().zoneCount);
      expect(fc.features[0]).to.include({ id: 1 });
      expect(fc.features[0].properties).to.include({ code: zoneCodes[1], floors: 1, active: false, since: '2024-01-01' });
    });

    it('pages with limit/offset; next and prev keep every parameter, bbox and filter included', async () => {
      const q = 'bbox=105.99,21.09,106.06,21.15&limit=7&filter=floors%3E%3D0&sortby=-area_ha';
      const first = await items(fx().zones, q);
      expect(first.numberMatched).to.equal(20);
      expect(first.numberReturned).to.equal(7);
      const next = first.links.find((l) => l.rel === 'next')!;
      const nextUrl = new URL(next.href);
      expect(nextUrl.searchParams.get('bbox')).to.equal('105.99,21.09,106.06,21.15');
      expect(nextUrl.searchParams.get('filter')).to.equal('floors>=0');
      expect(nextUrl.searchParams.get('sortby')).to.equal('-area_ha');
      expect(nextUrl.searchParams.get('offset')).to.equal('7');
      const seen: number[] = first.features.map((f) => f.id);
      let href: string | undefined = next.href;
      while (href) {
        const page = (await (await fetch(href)).json()) as Fc;
        seen.push(...page.features.map((f) => f.id));
        expect(page.links.some((l) => l.rel === 'prev')).to.equal(true);
        href = page.links.find((l) => l.rel === 'next')?.href;
      }
      expect(seen).to.deep.equal(Array.from({ length: 20 }, (_, i) => 20 - i));
    });

    it('filters by bbox with intersection semantics, and across the antimeridian', async () => {
      expect((await items(fx().zones, 'bbox=106.005,21.105,106.015,21.115')).numberMatched).to.equal(4);
      const across = await items(fx().zones, 'bbox=179,-1,-179,1');
      expect(across.features.map((f) => f.properties.owner ?? f.properties[ownerColumn])).to.deep.equal([
        'antimeridian',
        'antimeridian',
      ]);
      expect((await items(fx().zones, 'bbox=106.005,21.105,0,106.015,21.115,100')).numberMatched).to.equal(4);
    });

    it('reads bbox-crs EPSG:4326 latitude first and EPSG:3857 in metres', async () => {
      expect(
        (await items(fx().zones, `bbox=21.105,106.005,21.115,106.015&bbox-crs=${encodeURIComponent(EPSG(4326))}`)).numberMatched,
      ).to.equal(4);
      const [x0, y0] = mercator(106.005, 21.105);
      const [x1, y1] = mercator(106.015, 21.115);
      expect(
        (await items(fx().zones, `bbox=${x0},${y0},${x1},${y1}&bbox-crs=${encodeURIComponent(EPSG(3857))}`)).numberMatched,
      ).to.equal(4);
    });

    it('writes EPSG:4326 latitude first, CRS84 longitude first, and EPSG:3857 in metres, with Content-Crs', async () => {
      const lonFirst = (await items(fx().zones, 'limit=1')).features[0].geometry!.coordinates as number[][][];
      const res = await get(`/collections/${fx().zones}/items?limit=1&crs=${encodeURIComponent(EPSG(4326))}`);
      expect(res.headers.get('content-crs')).to.equal(`<${EPSG(4326)}>`);
      const latFirst = ((await res.json()) as Fc).features[0].geometry!.coordinates as number[][][];
      expect(latFirst[0][0]).to.deep.equal([lonFirst[0][0][1], lonFirst[0][0][0]]);
      const merc = (await items(fx().zones, `limit=1&crs=${encodeURIComponent(EPSG(3857))}`)).features[0].geometry!
        .coordinates as number[][][];
      expect(merc[0][0][0]).to.be.closeTo(mercator(106, 21.1)[0], 0.01);
      expect(merc[0][0][1]).to.be.closeTo(mercator(106, 21.1)[1], 0.01);
    });

    it('selects properties, sorts by known columns and filters property=value with typed values', async () => {
      const fc = await items(fx().zones, 'properties=code,floors&sortby=%2Bfloors,-id&code=LUA');
      expect(fc.features.every((f) => Object.keys(f.properties).join() === 'code,floors')).to.equal(true);
      expect(fc.features.every((f) => f.properties.code === 'LUA')).to.equal(true);
      const floors = fc.features.map((f) => f.properties.floors as number);
      expect(floors).to.deep.equal([...floors].sort());
      expect((await items(fx().zones, 'active=true&floors=2')).features.map((f) => f.id)).to.deep.equal([2, 8, 14, 20]);
      expect(
        (await items(fx().zones, `${encodeURIComponent(ownerColumn)}=${encodeURIComponent("'; DROP TABLE x; --")}`)).features.map(
          (f) => f.id,
        ),
      ).to.deep.equal([7]);
    });

    it('filters with CQL2 text and CQL2 JSON, with spatial predicates and filter-crs', async () => {
      const text = await items(
        fx().zones,
        `filter=${encodeURIComponent("code IN ('LUA','ONT') AND area_ha BETWEEN 3 AND 15 AND S_INTERSECTS(geom, POINT(106.045 21.105))")}`,
      );
      expect(text.features.map((f) => f.id)).to.deep.equal([5]);
      const json = {
        op: 'and',
        args: [
          { op: 'like', args: [{ property: 'code' }, 'L%'] },
          { op: '<', args: [{ property: 'id' }, 10] },
        ],
      };
      const fc = await items(fx().zones, `filter-lang=cql2-json&filter=${encodeURIComponent(JSON.stringify(json))}`);
      expect(fc.features.map((f) => f.id)).to.deep.equal([4, 8]);
      const lat = await items(
        fx().zones,
        `filter-crs=${encodeURIComponent(EPSG(4326))}&filter=${encodeURIComponent('S_INTERSECTS(geom, POINT(21.105 106.045))')}`,
      );
      expect(lat.features.map((f) => f.id)).to.deep.equal([5]);
    });

    it('gives an estimate, and says so, only for large unfiltered layers', async () => {
      const fc = await items(fx().points, 'limit=1');
      expect(fc.numberMatchedMethod).to.equal('exact');
      expect(fc.numberMatched).to.equal(fx().pointCount);
    });

    it('returns one feature by id, 404 for an unknown or malformed id', async () => {
      const res = await get(`/collections/${fx().zones}/items/7`);
      expect(res.headers.get('content-type')).to.match(/^application\/geo\+json/);
      const f = (await res.json()) as { id: number; properties: Record<string, unknown>; links: unknown[] };
      expect(f.id).to.equal(7);
      expect(f.properties[ownerColumn]).to.equal("'; DROP TABLE x; --");
      await expectError(`/collections/${fx().zones}/items/999999`, 404, '999999');
      await expectError(`/collections/${fx().zones}/items/1%20OR%201=1`, 404, fx().zones);
    });

    it('writes CSV with a header, WKT geometry and RFC 4180 quoting', async () => {
      const res = await get(`/collections/${fx().zones}/items?f=csv&limit=7&properties=code,${encodeURIComponent(ownerColumn)}`);
      expect(res.headers.get('content-type')).to.match(/^text\/csv/);
      const lines = (await res.text())
        .replace(/^\ufeff/, '')
        .trim()
        .split('\r\n');
      expect(lines[0]).to.equal(`id,code,"chủ ""sở"" hữu",geometry`);
      expect(lines).to.have.length(8);
      expect(lines[1]).to.match(/^1,ONT,Ông 1,"POLYGON\(\(106 21\.1,/);
    });

    it('renders items as HTML for a browser', async () => {
      const res = await get(`/collections/${fx().zones}/items?limit=3`, { Accept: 'text/html' });
      expect(res.headers.get('content-type')).to.match(/text\/html/);
      expect(await res.text()).to.include('<table>');
    });
  });

  describe('hostile input', () => {
    const cases: Array<[string, string, number, string]> = [
      ['an unknown layer', '/collections/nope/items', 404, 'nope'],
      ['SQL in the layer id', `/collections/${encodeURIComponent("x'; DROP TABLE layer_catalog; --")}/items`, 404, 'DROP'],
      ['an unknown parameter', '/collections/{zones}/items?colour=red', 400, 'colour'],
      ['an unknown property in properties', '/collections/{zones}/items?properties=code,nope', 400, 'properties'],
      ['SQL in sortby', `/collections/{zones}/items?sortby=${encodeURIComponent('code; DROP TABLE x')}`, 400, 'sortby'],
      ['a malformed bbox', '/collections/{zones}/items?bbox=1,2,3', 400, 'bbox'],
      ['a bbox with text', '/collections/{zones}/items?bbox=1,2,3,abc', 400, 'bbox'],
      ['a bbox with NaN', '/collections/{zones}/items?bbox=NaN,2,3,4', 400, 'bbox'],
      ['a bbox beyond the poles', '/collections/{zones}/items?bbox=0,-91,1,1', 400, 'bbox'],
      ['an unknown bbox-crs', '/collections/{zones}/items?bbox=1,2,3,4&bbox-crs=EPSG:2000', 400, 'bbox-crs'],
      ['an unknown crs', `/collections/{zones}/items?crs=${encodeURIComponent("EPSG:4326'; --")}`, 400, 'crs'],
      ['limit 0', '/collections/{zones}/items?limit=0', 400, 'limit'],
      ['a huge limit', '/collections/{zones}/items?limit=99999999999', 400, 'limit'],
      ['a negative offset', '/collections/{zones}/items?offset=-1', 400, 'offset'],
      ['a repeated limit', '/collections/{zones}/items?limit=1&limit=2', 400, 'limit'],
      ['a text value for an integer property', '/collections/{zones}/items?floors=1%20OR%201=1', 400, 'floors'],
      ['malformed CQL2 text', `/collections/{zones}/items?filter=${encodeURIComponent('code = ')}`, 400, 'filter'],
      [
        'SQL in CQL2 text',
        `/collections/{zones}/items?filter=${encodeURIComponent("code = 'a' OR 1=1; DROP TABLE x")}`,
        400,
        'filter',
      ],
      ['an unknown property in CQL2', `/collections/{zones}/items?filter=${encodeURIComponent("nope = 'a'")}`, 400, 'nope'],
      ['an unknown CQL2 function', `/collections/{zones}/items?filter=${encodeURIComponent('pg_sleep(10) = 1')}`, 400, 'filter'],
      ['an unknown filter-lang', '/collections/{zones}/items?filter=a=1&filter-lang=sql', 400, 'filter-lang'],
      [
        'malformed CQL2 JSON',
        `/collections/{zones}/items?filter-lang=cql2-json&filter=${encodeURIComponent('{"op":')}`,
        400,
        'filter',
      ],
      ['an unknown format', '/collections/{zones}/items?f=xml', 400, '"f"'],
    ];
    for (const [what, path, status, mention] of cases) {
      it(`answers ${status} naming the problem for ${what}`, async () => {
        await expectError(path.replace('{zones}', fx().zones), status, mention);
      });
    }

    it('answers 400 naming the filter for CQL2 JSON nested 300 levels deep, and refuses a 100,000-level one', async () => {
      const nested = (n: number) =>
        `${'{"op":"not","args":['.repeat(n)}{"op":"=","args":[{"property":"code"},"LUA"]}${']}'.repeat(n)}`;
      const res = await get(`/collections/${fx().zones}/items?filter-lang=cql2-json&filter=${encodeURIComponent(nested(300))}`);
      const body = (await res.json()) as { code: string; description: string };
      expect(res.status).to.equal(400);
      expect(body.description).to.include('filter');
      const huge = await get(
        `/collections/${fx().zones}/items?filter-lang=cql2-json&filter=${encodeURIComponent(nested(100_000))}`,
      ).catch(() => null);
      expect(huge === null || huge.status >= 400).to.equal(true);
      expect((await get('/health')).status).to.equal(200);
    });
  });
});
