import { expect } from 'chai';
import type { ColumnType } from '../../server/catalog/definition.ts';
import { compileCql2, parseCql2Json, parseCql2Text, type CompileContext } from '../../server/sql/cql2/index.ts';
import { quoteIdent } from '../../server/sql/identifiers.ts';
import { forEachBackend } from '../support/servers.ts';

/** Awkward column names: a space and Vietnamese, a double quote, a dot. */
const columns: Record<string, ColumnType> = {
  'tên xã': 'string',
  'a"b': 'string',
  'dân.số': 'integer',
  area: 'number',
  ok: 'boolean',
  d: 'date',
  t: 'datetime',
  'có?': 'string',
};

const injection = "'; DROP TABLE x; --";

/** [id, tên xã, a"b, dân.số, area, ok, d, t, WKT] */
const rows: Array<[number, string, string | null, number | null, number | null, boolean | null, string, string, string]> = [
  [1, 'Bắc Ninh', 'x', 100, 1.5, true, '2024-01-01', '2024-01-01T00:00:00Z', 'POINT(106.07 21.18)'],
  [2, 'Bắc Giang', 'y', 200, 2.5, false, '2024-06-01', '2024-06-01T12:00:00Z', 'POINT(106.2 21.27)'],
  [
    3,
    'Từ Sơn',
    injection,
    300,
    null,
    null,
    '2023-12-31',
    '2023-12-31T23:59:59Z',
    'POLYGON((105.9 21.05, 106 21.05, 106 21.15, 105.9 21.15, 105.9 21.05))',
  ],
  [4, 'Thuận Thành', null, null, 10, true, '2025-01-01', '2025-01-01T00:00:00Z', 'LINESTRING(106 21, 106.1 21.05)'],
  [5, '100% đất', 'a\\b', 50, 0.25, false, '2024-03-01', '2024-03-01T00:00:00Z', 'POINT(106.07 21.181)'],
  [6, 'Đảo Đông', null, 1, 1, true, '2024-01-01', '2024-01-01T00:00:00Z', 'POINT(179.5 0)'],
  [7, 'Đảo Tây', null, 1, 1, true, '2024-01-01', '2024-01-01T00:00:00Z', 'POINT(-179.5 0)'],
];

/** Web Mercator (EPSG:3857) x/y of a longitude/latitude, to write a filter in another CRS. */
function mercator(lon: number, lat: number): [number, number] {
  const r = 6378137;
  return [(r * lon * Math.PI) / 180, r * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))];
}

forEachBackend('CQL2 filters on PostGIS', (server) => {
  const table = `cql2_test_${process.pid}_${Date.now()}`;
  const tableSql = quoteIdent(table);
  const ctx: CompileContext = {
    resolveProperty: (name) =>
      Object.hasOwn(columns, name) ? { sqlIdent: `t.${quoteIdent(name)}`, type: columns[name] } : undefined,
    geometrySql: 't.geom',
  };
  const db = () => server().ctx.db;

  before(async () => {
    await db().rows(
      `CREATE TABLE ${tableSql} (id integer PRIMARY KEY, "tên xã" text, "a""b" text, "dân.số" integer, area double precision,
         ok boolean, d date, t timestamptz, geom geometry(Geometry, 4326) NOT NULL, "có\\?" text)`, // knex: \? is a literal ?
    );
    await db().rows(`CREATE INDEX ${quoteIdent(`${table}_geom`)} ON ${tableSql} USING gist (geom)`);
    for (const [id, name, ab, pop, area, ok, d, t, wkt] of rows) {
      await db().rows(
        `INSERT INTO ${tableSql} VALUES (?::int, ?::text, ?::text, ?::int, ?::float8, ?::boolean, ?::date, ?::timestamptz, ` +
          'ST_GeomFromText(?::text, 4326), ?::text)',
        [id, name, ab, pop, area, ok, d, t, wkt, id % 2 ? 'có' : 'không'],
      );
    }
  });

  after(async () => {
    await db().rows(`DROP TABLE IF EXISTS ${tableSql}`);
  });

  async function ids(filter: { sql: string; bindings: unknown[] }): Promise<number[]> {
    const found = await db().rows<{ id: number }>(
      `SELECT id FROM ${tableSql} AS t WHERE ${filter.sql} ORDER BY id`,
      filter.bindings,
    );
    return found.map((r) => r.id);
  }

  const textCases: Array<[string, string, number[]]> = [
    ['matches Vietnamese text exactly', `"tên xã" = 'Bắc Ninh'`, [1]],
    ['matches a LIKE prefix with diacritics', `"tên xã" LIKE 'Bắc%'`, [1, 2]],
    ['matches one character with _', `"tên xã" LIKE '_ừ Sơn'`, [3]],
    ['treats an escaped % as a literal percent sign', `"tên xã" LIKE '100\\%%'`, [5]],
    ['compares without case through CASEI, Vietnamese capitals included', `CASEI("tên xã") = CASEI('BẮC NINH')`, [1]],
    ['compares without accents through ACCENTI, đ included', `ACCENTI(CASEI("tên xã")) LIKE ACCENTI('%dat')`, [5]],
    ['finds "Bac Giang" written without accents', `ACCENTI("tên xã") = 'Bac Giang'`, [2]],
    ['filters an integer column with a dot in its name', `"dân.số" IN (100, 300)`, [1, 3]],
    ['leaves NULLs out of NOT IN', `"dân.số" NOT IN (100, 300)`, [2, 5, 6, 7]],
    ['filters with BETWEEN', `"dân.số" BETWEEN 100 AND 200`, [1, 2]],
    ['compares a double precision column', 'area > 2', [2, 4]],
    ['finds NULLs', 'area IS NULL', [3]],
    ['finds non-NULLs in a column with a quote in its name', `"a""b" IS NOT NULL`, [1, 2, 3, 5]],
    ['compares booleans', 'ok = FALSE', [2, 5]],
    ['compares dates', `d >= DATE('2024-03-01') AND d < DATE('2025-01-01')`, [2, 5]],
    ['compares timestamps', `t < TIMESTAMP('2024-01-01T00:00:00Z')`, [3]],
    ['filters a column with a question mark in its name', `"có?" = 'có' AND "dân.số" > 50`, [1, 3]],
    ['keeps precedence: AND before OR', `ok = FALSE OR "dân.số" = 300 AND area IS NULL`, [2, 3, 5]],
    ['intersects a bbox', 'S_INTERSECTS(geom, BBOX(106.05, 21.17, 106.1, 21.19))', [1, 5]],
    ['intersects a bbox across the antimeridian', 'S_INTERSECTS(geom, BBOX(179, -1, -179, 1))', [6, 7]],
    [
      'finds features within a polygon',
      'S_WITHIN(geom, POLYGON((106 21.1, 106.3 21.1, 106.3 21.3, 106 21.3, 106 21.1)))',
      [1, 2, 5],
    ],
    ['finds the polygon containing a point', 'S_CONTAINS(geom, POINT(105.95 21.1))', [3]],
    ['finds features disjoint from the province', 'S_DISJOINT(geom, BBOX(105, 20, 107, 22))', [6, 7]],
    ['finds the line crossing a line', 'S_CROSSES(geom, LINESTRING(106.05 20.9, 106.05 21.1))', [4]],
    ['finds features within 50 m on the ellipsoid', 'S_DWITHIN(geom, POINT(106.07 21.18), 50, meters)', [1]],
    ['finds features within 200 m on the ellipsoid', 'S_DWITHIN(geom, POINT(106.07 21.18), 200, meters)', [1, 5]],
    ['finds features within a distance across the antimeridian', 'S_DWITHIN(geom, POINT(179.9 0), 100, kilometers)', [6, 7]],
    [
      'combines spatial and attribute predicates',
      `S_INTERSECTS(geom, BBOX(105, 20, 107, 22)) AND NOT "tên xã" LIKE 'Bắc%'`,
      [3, 4, 5],
    ],
  ];
  for (const [what, text, expected] of textCases) {
    it(`${what}: ${text}`, async () => {
      expect(await ids(compileCql2(parseCql2Text(text), ctx))).to.deep.equal(expected);
    });
  }

  it('answers CQL2-JSON the same as the text', async () => {
    const json = {
      op: 'and',
      args: [
        { op: 'like', args: [{ property: 'tên xã' }, 'Bắc%'] },
        {
          op: 's_intersects',
          args: [
            { property: 'geom' },
            {
              type: 'Polygon',
              coordinates: [
                [
                  [106, 21],
                  [106.1, 21],
                  [106.1, 21.2],
                  [106, 21.2],
                  [106, 21],
                ],
              ],
            },
          ],
        },
      ],
    };
    expect(await ids(compileCql2(parseCql2Json(json), ctx))).to.deep.equal([1]);
  });

  it('transforms a literal in EPSG:3857 and still finds the feature', async () => {
    const [x0, y0] = mercator(106.05, 21.17);
    const [x1, y1] = mercator(106.1, 21.19);
    const filter = compileCql2(parseCql2Text(`S_INTERSECTS(geom, BBOX(${x0}, ${y0}, ${x1}, ${y1}))`), {
      ...ctx,
      filterSrid: 3857,
    });
    expect(await ids(filter)).to.deep.equal([1, 5]);
  });

  it('returns an injection string as a plain value and leaves the table in place', async () => {
    const quoted = injection.replace(/'/g, "''");
    expect(await ids(compileCql2(parseCql2Text(`"a""b" = '${quoted}'`), ctx))).to.deep.equal([3]);
    expect(await ids(compileCql2(parseCql2Text(`"tên xã" = '${quoted}'`), ctx))).to.deep.equal([]);
    expect(
      await ids(compileCql2(parseCql2Json({ op: 'like', args: [{ property: 'tên xã' }, "%' OR '1'='1"] }), ctx)),
    ).to.deep.equal([]);
    expect(await ids(compileCql2(parseCql2Text(`"a""b" = 'a\\b'`), ctx))).to.deep.equal([5]);
    const [exists] = await db().rows<{ n: number }>('SELECT count(*)::int AS n FROM pg_class WHERE relname = ?::text', [table]);
    expect(exists.n).to.equal(1);
    const [count] = await db().rows<{ n: number }>(`SELECT count(*)::int AS n FROM ${tableSql}`);
    expect(count.n).to.equal(rows.length);
  });

  for (const text of [
    'S_INTERSECTS(geom, BBOX(106.05, 21.17, 106.1, 21.19))',
    'S_DWITHIN(geom, POINT(106.07 21.18), 200, meters)',
  ]) {
    it(`plans ${text.slice(0, 12)} with the GiST index on the bare column`, async () => {
      const filter = compileCql2(parseCql2Text(text), ctx);
      const plan = await db().knex.transaction(async (trx) => {
        await trx.raw('SET LOCAL enable_seqscan = off');
        const res = await trx.raw(`EXPLAIN SELECT id FROM ${tableSql} AS t WHERE ${filter.sql}`, filter.bindings as never[]);
        return (res.rows as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).to.contain(`${table}_geom`);
    });
  }
});
