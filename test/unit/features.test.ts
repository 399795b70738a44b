import { expect } from 'chai';
import type { Layer } from '../../server/catalog/catalog.ts';
import type { LayerColumn } from '../../server/catalog/definition.ts';
import { CRS84, parseCrsUri } from '../../server/crs/registry.ts';
import { splitAntimeridian } from '../../server/crs/bbox.ts';
import { parseBbox } from '../../server/http/params/bbox.ts';
import { parseItemsQuery, parseSortby } from '../../server/http/params/items.ts';
import { pageLinks, withParam } from '../../server/features/links.ts';
import { csvField } from '../../server/features/write.ts';
import { countQuery, featureJsonSql, pageQuery } from '../../server/features/sql.ts';
import { bboxClause } from '../../server/sql/where.ts';
import { propertiesJsonSql } from '../../server/sql/parts.ts';
import { queryablesSchema } from '../../server/features/queryables.ts';
import { toNative } from '../../server/db/statements.ts';
import { InvalidParameterError } from '../../server/errors.ts';

const columns: LayerColumn[] = [
  { name: 'code', type: 'string', label: { en: 'Code', vi: 'Mã' } },
  { name: 'floors', type: 'integer', label: { en: 'Floors', vi: 'Số tầng' } },
  { name: 'since', type: 'date', label: { en: 'Since', vi: 'Từ ngày' } },
  { name: 'tên "xã"', type: 'string', label: { en: 'Commune', vi: 'Xã' } },
];

/** A catalog layer without a database: only what the pure functions read. */
const layer = {
  id: 'zones',
  title: 'Zones',
  tableSql: '"public"."zones ""x"""',
  geometryType: 'Polygon',
  columns,
  column: (name: string) => columns.find((c) => c.name === name),
} as unknown as Layer;

const epsg4326 = parseCrsUri('http://www.opengis.net/def/crs/EPSG/0/4326');
const epsg9214 = parseCrsUri('http://www.opengis.net/def/crs/EPSG/0/9214');

function throws400(fn: () => unknown, mention: string): void {
  expect(fn).to.throw(InvalidParameterError).with.property('message').that.includes(mention);
}

describe('features: bbox', () => {
  it('reads 4 and 6 numbers, longitude first in CRS84', () => {
    expect(parseBbox('105.9,21,106.1,21.2', CRS84)).to.include({ minx: 105.9, miny: 21, maxx: 106.1, maxy: 21.2 });
    expect(parseBbox('105.9,21,-10,106.1,21.2,50', CRS84)).to.include({ minx: 105.9, miny: 21, maxx: 106.1, maxy: 21.2 });
  });

  it('swaps latitude-first EPSG:4326 into longitude first', () => {
    expect(parseBbox('21,105.9,21.2,106.1', epsg4326)).to.include({ minx: 105.9, miny: 21, maxx: 106.1, maxy: 21.2 });
  });

  it('splits a box across the antimeridian into two', () => {
    expect(splitAntimeridian(parseBbox('170,-10,-170,10', CRS84))).to.deep.equal([
      [170, -10, 180, 10],
      [-180, -10, -170, 10],
    ]);
  });

  const bad: Array<[string, string]> = [
    ['1,2,3', '4 or 6'],
    ['1,2,3,4,5', '4 or 6'],
    ['a,b,c,d', 'finite'],
    ['1,2,3,Infinity', 'finite'],
    ['0x10,2,3,4', 'finite'],
    ['1,5,2,4', 'latitude'],
    ['1,-95,2,4', '-90..90'],
    ['190,1,191,2', '-180..180'],
    ['1,2,5,3,4,1', 'height'],
  ];
  for (const [value, mention] of bad) {
    it(`rejects bbox=${value}`, () => throws400(() => parseBbox(value, CRS84), mention));
  }

  it('rejects west above east in a projected CRS', () =>
    throws400(() => parseBbox('500000,2300000,400000,2400000', epsg9214), 'easting'));
});

describe('features: items parameters', () => {
  const parse = (q: Record<string, unknown>) => parseItemsQuery(layer, q, 10_000);

  it('has defaults: limit 100, offset 0, CRS84, every property, no filter', () => {
    const q = parse({});
    expect(q).to.include({ limit: 100, offset: 0, bbox: null, filter: null });
    expect(q.crs.uri).to.equal(CRS84.uri);
    expect(q.properties.map((c) => c.name)).to.deep.equal(columns.map((c) => c.name));
  });

  it('accepts RFC 3339 datetime instants and intervals, open at either end', () => {
    for (const datetime of [
      '2024-01-01',
      '2024-01-01T00:00:00Z',
      '2024-01-01T00:00:00+07:00/..',
      '../2025-06-30',
      '2024-01-01/2024-12-31',
    ]) {
      expect(() => parse({ datetime })).not.to.throw();
    }
  });

  it('turns property=value into typed equality filters on known columns only', () => {
    expect(parse({ code: 'LUA', floors: '3' }).equals.map((e) => [e.column.name, e.value])).to.deep.equal([
      ['code', 'LUA'],
      ['floors', '3'],
    ]);
    throws400(() => parse({ floors: '3 OR 1=1' }), 'floors');
    throws400(() => parse({ since: '2024-13-45' }), 'since');
    throws400(() => parse({ 'code; DROP TABLE x': '1' }), 'unknown');
  });

  it('reads sortby with + (or a space, as + arrives unencoded) and -', () => {
    expect(parseSortby(layer, ' code,-floors,+id')).to.deep.equal([
      { column: 'code', descending: false },
      { column: 'floors', descending: true },
      { column: 'id', descending: false },
    ]);
    throws400(() => parseSortby(layer, 'code desc'), 'sortby');
  });

  const bad: Array<[Record<string, unknown>, string]> = [
    [{ limit: '0' }, 'limit'],
    [{ limit: '10001' }, 'limit'],
    [{ limit: '1e3' }, 'limit'],
    [{ limit: ['1', '2'] }, 'limit'],
    [{ offset: '-1' }, 'offset'],
    [{ limit: '' }, 'limit'],
    [{ offset: '' }, 'offset'],
    [{ code: 'a\u0000b' }, 'code'],
    [{ crs: 'EPSG:99999' }, 'crs'],
    [{ 'bbox-crs': 'EPSG:4326' }, 'bbox'],
    [{ properties: 'code,nope' }, 'properties'],
    [{ 'filter-lang': 'cql2-text', filter: "code = 'x' AND" }, 'filter'],
    [{ 'filter-lang': 'sql', filter: '1=1' }, 'filter-lang'],
    [{ filter: { nested: 'object' } }, 'filter'],
    [{ datetime: '2024-13-01' }, 'datetime'],
    [{ datetime: '../..' }, 'datetime'],
    [{ datetime: "2024-01-01'; --" }, 'datetime'],
  ];
  for (const [q, mention] of bad) {
    it(`rejects ${JSON.stringify(q)}`, () => throws400(() => parse(q), mention));
  }
});

describe('features: SQL builders bind every value', () => {
  it('binds bbox numbers and transforms a projected box into EPSG:4326', () => {
    const part = bboxClause(parseBbox('400000,2300000,410000,2310000', epsg9214));
    expect(part.sql).to.include('ST_Transform(ST_Segmentize(ST_MakeEnvelope(?::float8');
    expect(part.bindings).to.deep.equal([400000, 2300000, 410000, 2310000, 9214, 312.5]);
    expect(bboxClause(parseBbox('170,-10,-170,10', CRS84)).sql).to.match(/ OR /);
  });

  it('quotes catalog identifiers and binds property keys, values, limit and offset', () => {
    const q = parseItemsQuery(layer, { code: "x'; DROP TABLE y; --", sortby: '-tên "xã"', limit: '5', offset: '10' }, 100);
    const page = pageQuery(layer, q, featureJsonSql(q.properties, q.crs));
    expect(page.sql).not.to.include('DROP');
    expect(page.sql).to.include('t."tên ""xã""" DESC');
    expect(page.sql).to.include('FROM "public"."zones ""x""" t');
    expect(page.bindings).to.include("x'; DROP TABLE y; --");
    expect(page.bindings.slice(-2)).to.deep.equal([5, 10]);
    expect((page.sql.match(/\?/g) ?? []).length).to.equal(page.bindings.length);
    const count = countQuery(layer, q);
    expect((count.sql.match(/\?/g) ?? []).length).to.equal(count.bindings.length);
  });

  it('merges properties beyond 50 columns (json_build_object takes 100 arguments)', () => {
    const many = Array.from({ length: 120 }, (_, i) => ({ name: `c${i}`, type: 'string' as const, label: { en: 'c', vi: 'c' } }));
    const part = propertiesJsonSql(many);
    expect(part.sql.match(/json_build_object/g)).to.have.length(3);
    expect(part.bindings).to.have.length(120);
  });
});

describe('features: placeholders', () => {
  it('numbers ? placeholders for pg and leaves ? inside quoted identifiers and literals alone', () => {
    expect(toNative(`SELECT t."what?", 'a?b' FROM x t WHERE t.a = ?::int AND t."b""?" = ?`)).to.equal(
      `SELECT t."what?", 'a?b' FROM x t WHERE t.a = $1::int AND t."b""?" = $2`,
    );
  });
});

describe('features: links, CSV, queryables', () => {
  it('keeps every parameter in next and prev, changing only offset', () => {
    const query = new URLSearchParams('bbox=1,2,3,4&filter=a%3D1&limit=10&offset=20');
    const links = pageLinks(
      'http://h',
      '/collections/x/items',
      query,
      { offset: 20, limit: 10, numberReturned: 10, numberMatchedExact: 45 },
      'application/geo+json',
    );
    expect(links.map((l) => l.rel)).to.deep.equal(['next', 'prev']);
    expect(links[0].href).to.equal('http://h/collections/x/items?bbox=1%2C2%2C3%2C4&filter=a%3D1&limit=10&offset=30');
    expect(links[1].href).to.equal('http://h/collections/x/items?bbox=1%2C2%2C3%2C4&filter=a%3D1&limit=10&offset=10');
  });

  it('has no next link on the last page, and one on a full page when the count is only estimated', () => {
    const q = new URLSearchParams();
    expect(pageLinks('', '/i', q, { offset: 40, limit: 10, numberReturned: 5, numberMatchedExact: 45 }, 't')).to.deep.equal([
      { href: '/i?offset=30', rel: 'prev', type: 't', title: 'previous page' },
    ]);
    expect(
      pageLinks('', '/i', q, { offset: 40, limit: 5, numberReturned: 5, numberMatchedExact: 45 }, 't').map((l) => l.rel),
    ).to.deep.equal(['prev']);
    expect(
      pageLinks('', '/i', q, { offset: 0, limit: 5, numberReturned: 5, numberMatchedExact: null }, 't').map((l) => l.rel),
    ).to.deep.equal(['next']);
    expect(withParam(new URLSearchParams('a=1&offset=5'), 'offset', null).toString()).to.equal('a=1');
  });

  it('quotes CSV fields with commas, quotes and line breaks', () => {
    expect(csvField('plain')).to.equal('plain');
    expect(csvField('a,b')).to.equal('"a,b"');
    expect(csvField('say "hi"')).to.equal('"say ""hi"""');
    expect(csvField('two\nlines')).to.equal('"two\nlines"');
    expect(csvField(null)).to.equal('');
  });

  it('describes queryables as JSON Schema 2020-12 without extra properties', () => {
    const s = queryablesSchema(layer, 'http://h/q') as {
      properties: Record<string, Record<string, string>>;
      additionalProperties: boolean;
    };
    expect(s.additionalProperties).to.equal(false);
    expect(s.properties.since).to.include({ type: 'string', format: 'date' });
    expect(s.properties.geometry.format).to.equal('geometry-polygon-or-multipolygon');
  });
});
