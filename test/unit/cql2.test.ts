import { expect } from 'chai';
import { CqlError, compileCql2, parseCql2Json, parseCql2Text, type CompileContext } from '../../server/sql/cql2/index.ts';
import type { ColumnType } from '../../server/catalog/definition.ts';
import { quoteIdent } from '../../server/sql/identifiers.ts';

const columns: Record<string, ColumnType> = {
  name: 'string',
  pop: 'integer',
  area: 'number',
  ok: 'boolean',
  d: 'date',
  t: 'datetime',
  'tên xã': 'string',
  'a"b': 'string',
  'có?': 'string',
};

const ctx: CompileContext = {
  resolveProperty: (name) => (Object.hasOwn(columns, name) ? { sqlIdent: quoteIdent(name), type: columns[name] } : undefined),
  geometrySql: '"geom"',
};

const prop = (property: string) => ({ property });
const env = '?::double precision, ?::double precision, ?::double precision, ?::double precision';

/** [what, CQL2 text, CQL2-JSON, SQL, bindings]: both encodings must give this SQL and these bindings. */
const operators: Array<[string, string, unknown, string, unknown[]]> = [
  ['equality with text', "name = 'Bắc Ninh'", { op: '=', args: [prop('name'), 'Bắc Ninh'] }, '("name" = ?::text)', ['Bắc Ninh']],
  ['inequality', 'pop <> 3', { op: '<>', args: [prop('pop'), 3] }, '("pop" <> ?::bigint)', [3]],
  ['less than', 'pop < -3', { op: '<', args: [prop('pop'), -3] }, '("pop" < ?::bigint)', [-3]],
  ['greater than', 'area > 2.5', { op: '>', args: [prop('area'), 2.5] }, '("area" > ?::numeric)', [2.5]],
  ['less or equal', 'area <= 1e3', { op: '<=', args: [prop('area'), 1000] }, '("area" <= ?::numeric)', [1000]],
  [
    'greater or equal with a fraction on an integer',
    'pop >= 2.5',
    { op: '>=', args: [prop('pop'), 2.5] },
    '("pop" >= ?::numeric)',
    [2.5],
  ],
  ['boolean equality', 'ok = TRUE', { op: '=', args: [prop('ok'), true] }, '("ok" = ?::boolean)', [true]],
  [
    'date comparison',
    "d >= DATE('2024-02-29')",
    { op: '>=', args: [prop('d'), { date: '2024-02-29' }] },
    '("d" >= ?::date)',
    ['2024-02-29'],
  ],
  [
    'timestamp comparison',
    "t < TIMESTAMP('2024-01-01T07:00:00Z')",
    { op: '<', args: [prop('t'), { timestamp: '2024-01-01T07:00:00Z' }] },
    '("t" < ?::timestamptz)',
    ['2024-01-01T07:00:00Z'],
  ],
  ['a quoted Vietnamese property', `"tên xã" = 'x'`, { op: '=', args: [prop('tên xã'), 'x'] }, '("tên xã" = ?::text)', ['x']],
  ['a property with a double quote', `"a""b" = 'x'`, { op: '=', args: [prop('a"b'), 'x'] }, '("a""b" = ?::text)', ['x']],
  ['property against property', 'name = "tên xã"', { op: '=', args: [prop('name'), prop('tên xã')] }, '("name" = "tên xã")', []],
  ['LIKE', "name LIKE 'Bắc%'", { op: 'like', args: [prop('name'), 'Bắc%'] }, '("name" LIKE ?::text)', ['Bắc%']],
  [
    'NOT LIKE',
    "name NOT LIKE '_a'",
    { op: 'not', args: [{ op: 'like', args: [prop('name'), '_a'] }] },
    '(NOT ("name" LIKE ?::text))',
    ['_a'],
  ],
  [
    'LIKE with an escaped wildcard',
    "name LIKE '100\\%'",
    { op: 'like', args: [prop('name'), '100\\%'] },
    '("name" LIKE ?::text)',
    ['100\\%'],
  ],
  [
    'CASEI LIKE',
    "CASEI(name) LIKE CASEI('bắc%')",
    {
      op: 'like',
      args: [
        { op: 'casei', args: [prop('name')] },
        { op: 'casei', args: ['bắc%'] },
      ],
    },
    '(lower("name") LIKE lower(?::text))',
    ['bắc%'],
  ],
  ['IN', "name IN ('a', 'b')", { op: 'in', args: [prop('name'), ['a', 'b']] }, '("name" IN (?::text, ?::text))', ['a', 'b']],
  [
    'NOT IN',
    'pop NOT IN (1, 2)',
    { op: 'not', args: [{ op: 'in', args: [prop('pop'), [1, 2]] }] },
    '(NOT ("pop" IN (?::bigint, ?::bigint)))',
    [1, 2],
  ],
  [
    'BETWEEN',
    'pop BETWEEN 1 AND 10',
    { op: 'between', args: [prop('pop'), 1, 10] },
    '("pop" BETWEEN ?::bigint AND ?::bigint)',
    [1, 10],
  ],
  [
    'NOT BETWEEN',
    'area NOT BETWEEN 0.5 AND 1',
    { op: 'not', args: [{ op: 'between', args: [prop('area'), 0.5, 1] }] },
    '(NOT ("area" BETWEEN ?::numeric AND ?::numeric))',
    [0.5, 1],
  ],
  ['IS NULL', 'name IS NULL', { op: 'isNull', args: [prop('name')] }, '("name" IS NULL)', []],
  [
    'IS NOT NULL',
    'name IS NOT NULL',
    { op: 'not', args: [{ op: 'isNull', args: [prop('name')] }] },
    '(NOT ("name" IS NULL))',
    [],
  ],
  ['IS NULL on the geometry', 'geom IS NULL', { op: 'isNull', args: [prop('geom')] }, '("geom" IS NULL)', []],
  ['a lone TRUE', 'TRUE', true, '?::boolean', [true]],
  [
    'S_INTERSECTS with a point',
    'S_INTERSECTS(geom, POINT(106.1 21.2))',
    { op: 's_intersects', args: [prop('geom'), { type: 'Point', coordinates: [106.1, 21.2] }] },
    'ST_Intersects("geom", ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326))',
    ['{"type":"Point","coordinates":[106.1,21.2]}'],
  ],
  [
    'S_INTERSECTS with a bbox',
    'S_INTERSECTS(geometry, BBOX(105, 20, 107, 22))',
    { op: 's_intersects', args: [prop('geometry'), { bbox: [105, 20, 107, 22] }] },
    `ST_Intersects("geom", ST_MakeEnvelope(${env}, 4326))`,
    [105, 20, 107, 22],
  ],
  [
    'a bbox across the antimeridian as two boxes',
    'S_INTERSECTS(geom, BBOX(150, -90, -150, 90))',
    { op: 's_intersects', args: [prop('geom'), { bbox: [150, -90, -150, 90] }] },
    `ST_Intersects("geom", ST_Collect(ST_MakeEnvelope(${env}, 4326), ST_MakeEnvelope(${env}, 4326)))`,
    [150, -90, 180, 90, -180, -90, -150, 90],
  ],
  [
    'S_WITHIN with a polygon',
    'S_WITHIN(geom, POLYGON((0 0, 1 0, 1 1, 0 0)))',
    {
      op: 's_within',
      args: [
        prop('geom'),
        {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0],
            ],
          ],
        },
      ],
    },
    'ST_Within("geom", ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326))',
    ['{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}'],
  ],
  [
    'S_CONTAINS with a multipoint',
    'S_CONTAINS(geom, MULTIPOINT((1 2), (3 4)))',
    {
      op: 's_contains',
      args: [
        prop('geom'),
        {
          type: 'MultiPoint',
          coordinates: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
    },
    'ST_Contains("geom", ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326))',
    ['{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}'],
  ],
  [
    'S_DISJOINT with a line',
    'S_DISJOINT(geom, LINESTRING(1 2, 3 4))',
    {
      op: 's_disjoint',
      args: [
        prop('geom'),
        {
          type: 'LineString',
          coordinates: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
    },
    'ST_Disjoint("geom", ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326))',
    ['{"type":"LineString","coordinates":[[1,2],[3,4]]}'],
  ],
  [
    'S_TOUCHES with a multipolygon',
    'S_TOUCHES(geom, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0))))',
    {
      op: 's_touches',
      args: [
        prop('geom'),
        {
          type: 'MultiPolygon',
          coordinates: [
            [
              [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 0],
              ],
            ],
          ],
        },
      ],
    },
    'ST_Touches("geom", ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326))',
    ['{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}'],
  ],
  [
    'S_CROSSES with a multilinestring',
    'S_CROSSES(geom, MULTILINESTRING((0 0, 1 1), (2 2, 3 3)))',
    {
      op: 's_crosses',
      args: [
        prop('geom'),
        {
          type: 'MultiLineString',
          coordinates: [
            [
              [0, 0],
              [1, 1],
            ],
            [
              [2, 2],
              [3, 3],
            ],
          ],
        },
      ],
    },
    'ST_Crosses("geom", ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326))',
    ['{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]}'],
  ],
  [
    'S_EQUALS and S_OVERLAPS with a geometry collection',
    'S_EQUALS(geom, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1))) AND S_OVERLAPS(POINT Z(1 2 3), geom)',
    {
      op: 'and',
      args: [
        {
          op: 's_equals',
          args: [
            prop('geom'),
            {
              type: 'GeometryCollection',
              geometries: [
                { type: 'Point', coordinates: [1, 2] },
                {
                  type: 'LineString',
                  coordinates: [
                    [0, 0],
                    [1, 1],
                  ],
                },
              ],
            },
          ],
        },
        { op: 's_overlaps', args: [{ type: 'Point', coordinates: [1, 2, 3] }, prop('geom')] },
      ],
    },
    '(ST_Equals("geom", ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326)) AND ST_Overlaps(ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326), "geom"))',
    [
      '{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}',
      '{"type":"Point","coordinates":[1,2,3]}',
    ],
  ],
];

/** Parses both encodings, checks they give the same tree, and compiles it. */
function compileBoth(text: string, json: unknown, context: CompileContext = ctx) {
  const fromText = parseCql2Text(text);
  const fromJson = parseCql2Json(json);
  expect(fromText, 'the text and JSON trees').to.deep.equal(fromJson);
  return compileCql2(fromText, context);
}

describe('CQL2 parsing and compiling', () => {
  describe('every operator in text and JSON', () => {
    for (const [what, text, json, sql, bindings] of operators) {
      it(`compiles ${what} to bound SQL from both encodings`, () => {
        const compiled = compileBoth(text, json);
        expect(compiled.sql).to.equal(sql);
        expect(compiled.bindings).to.deep.equal(bindings);
        expect(compiled.sql.split('?').length - 1, 'one placeholder per binding').to.equal(bindings.length);
      });
    }
  });

  describe('precedence', () => {
    const cases: Array<[string, string]> = [
      ["name = 'a' OR name = 'b' AND pop = 1", '(("name" = ?::text) OR (("name" = ?::text) AND ("pop" = ?::bigint)))'],
      ["(name = 'a' OR name = 'b') AND pop = 1", '((("name" = ?::text) OR ("name" = ?::text)) AND ("pop" = ?::bigint))'],
      ["NOT name = 'a' AND pop = 1", '((NOT ("name" = ?::text)) AND ("pop" = ?::bigint))'],
      ["NOT (name = 'a' AND pop = 1)", '(NOT (("name" = ?::text) AND ("pop" = ?::bigint)))'],
      ['pop BETWEEN 1 AND 2 AND pop <> 3', '(("pop" BETWEEN ?::bigint AND ?::bigint) AND ("pop" <> ?::bigint))'],
      ["name = 'a' and not pop = 1 or ok = false", '((("name" = ?::text) AND (NOT ("pop" = ?::bigint))) OR ("ok" = ?::boolean))'],
    ];
    for (const [text, sql] of cases) {
      it(`reads ${JSON.stringify(text)} with OR loosest, then AND, then NOT`, () => {
        expect(compileCql2(parseCql2Text(text), ctx).sql).to.equal(sql);
      });
    }

    it('flattens a chain of ANDs into one node like CQL2-JSON does', () => {
      const tree = parseCql2Text('pop = 1 AND pop = 2 AND pop = 3');
      if (tree.kind !== 'and') expect.fail(`expected an "and" node, got ${tree.kind}`);
      expect(tree.args).to.have.length(3);
    });
  });

  describe('predicates from the CQL2 conformance tests (OGC 21-065 annex A)', () => {
    const atsColumns: Record<string, ColumnType> = {
      name: 'string',
      pop_other: 'integer',
      date: 'date',
      start: 'datetime',
      boolean: 'boolean',
    };
    const atsCtx: CompileContext = {
      resolveProperty: (n) => (Object.hasOwn(atsColumns, n) ? { sqlIdent: quoteIdent(n), type: atsColumns[n] } : undefined),
      geometrySql: '"geom"',
    };
    const predicates = [
      'true',
      'false',
      "name<>'København'",
      'pop_other<=1038288',
      '"date">=DATE(\'2022-04-16\')',
      "start<TIMESTAMP('2022-04-16T10:13:19Z')",
      'boolean=true',
      "name LIKE 'B_r%'",
      'pop_other BETWEEN 1000000 AND 3000000',
      "name IN ('Kiev','kobenhavn','Berlin')",
      "CASEI(name) IN (CASEI('Kiev'), CASEI('kobenhavn'))",
      "ACCENTI(name) = ACCENTI('Chişinău')",
      'S_INTERSECTS(geom,BBOX(-180,-90,180,90))',
      'S_INTERSECTS(geom,POINT(7.02 49.92))',
    ];
    for (const p of predicates) {
      it(`compiles ${p}`, () => {
        expect(compileCql2(parseCql2Text(p), atsCtx).sql).to.be.a('string');
      });
    }

    it('compiles the logical template (NOT ({p2}) AND {p1}) OR ({p3} and {p4}) or not ({p1} OR {p4})', () => {
      const [p1, p2, p3, p4] = ['pop_other<>1038288', "name<>'København'", 'pop_other IS NULL', "name<'København'"];
      const compiled = compileCql2(parseCql2Text(`(NOT (${p2}) AND ${p1}) OR (${p3} and ${p4}) or not (${p1} OR ${p4})`), atsCtx);
      expect(compiled.sql).to.equal(
        '(((NOT ("name" <> ?::text)) AND ("pop_other" <> ?::bigint)) OR (("pop_other" IS NULL) AND ("name" < ?::text)) OR ' +
          '(NOT (("pop_other" <> ?::bigint) OR ("name" < ?::text))))',
      );
      expect(compiled.bindings).to.deep.equal(['København', 1038288, 'København', 1038288, 'København']);
    });
  });

  describe('literals', () => {
    it("reads '' and \\' inside a string as one quote", () => {
      expect(compileCql2(parseCql2Text("name = 'it''s' OR name = 'it\\'s'"), ctx).bindings).to.deep.equal(["it's", "it's"]);
    });

    it('keeps a LIKE pattern that ends in an escaped backslash, and ends the string after it', () => {
      expect(compileCql2(parseCql2Text("name LIKE 'a\\\\' OR name = 'b'"), ctx).bindings).to.deep.equal(['a\\\\', 'b']);
    });

    it('checks calendar dates, leap days and early years included', () => {
      expect(compileCql2(parseCql2Text("d = DATE('2024-02-29') OR d = DATE('0050-01-01')"), ctx).bindings).to.deep.equal([
        '2024-02-29',
        '0050-01-01',
      ]);
      expect(() => parseCql2Text("d = DATE('2024-13-01')")).to.throw(CqlError, /is not a date/);
      expect(() => parseCql2Text("t = TIMESTAMP('2024-01-01T24:00:00Z')")).to.throw(CqlError, /is not a timestamp/);
    });

    it('escapes a question mark in a column name so knex does not take it for a placeholder', () => {
      const compiled = compileCql2(parseCql2Text(`"có?" = '?'`), ctx);
      expect(compiled.sql).to.equal('("có\\?" = ?::text)');
      expect(compiled.bindings).to.deep.equal(['?']);
    });

    it('reads signed and scientific numbers', () => {
      expect(compileCql2(parseCql2Text('area IN (-1.5, +2, .5, 1E-2, 3e+2)'), ctx).bindings).to.deep.equal([
        -1.5, 2, 0.5, 0.01, 300,
      ]);
    });

    it('reads keywords in any case', () => {
      expect(compileCql2(parseCql2Text("name like 'a%' and pop between 1 and 2 or name is not null"), ctx).sql).to.match(
        /LIKE.*BETWEEN.*IS NULL/,
      );
    });

    it('accepts S_DWITHIN in metres and other units, with the column bare for the index', () => {
      const metres = compileCql2(parseCql2Text('S_DWITHIN(geom, POINT(106 21), 1.5, kilometers)'), ctx);
      expect(metres.sql).to.match(/^\("geom" && \(SELECT ST_Expand/);
      expect(metres.sql).to.contain(
        'ST_DWithin("geom"::geography, ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326)::geography, ?::double precision)',
      );
      expect(metres.bindings).to.deep.equal([
        '{"type":"Point","coordinates":[106,21]}',
        1500,
        '{"type":"Point","coordinates":[106,21]}',
        1500,
      ]);
      const json = parseCql2Json({
        op: 's_dwithin',
        args: [prop('geom'), { type: 'Point', coordinates: [106, 21] }, 1500, 'meters'],
      });
      expect(json).to.deep.equal(parseCql2Text('S_DWITHIN(geom, POINT(106 21), 1.5, kilometers)'));
    });

    it('transforms literals from the filter CRS and swaps latitude-first axes, leaving the column bare', () => {
      const projected = compileCql2(parseCql2Text('S_INTERSECTS(geom, POINT(500000 2300000))'), { ...ctx, filterSrid: 9214 });
      expect(projected.sql).to.equal(
        'ST_Intersects("geom", ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(?::text), ?::int), 4326))',
      );
      expect(projected.bindings).to.deep.equal(['{"type":"Point","coordinates":[500000,2300000]}', 9214]);
      const box = compileCql2(parseCql2Text('S_INTERSECTS(geom, BBOX(0, 0, 3200, 6400))'), { ...ctx, filterSrid: 3857 });
      expect(box.sql).to.equal(
        `ST_Intersects("geom", ST_Transform(ST_Segmentize(ST_MakeEnvelope(${env}, ?::int), ?::double precision), 4326))`,
      );
      expect(box.bindings, 'bindings in placeholder order').to.deep.equal([0, 0, 3200, 6400, 3857, 200]);
      expect(() => compileCql2(parseCql2Text('S_INTERSECTS(geom, BBOX(10, 0, 0, 1))'), { ...ctx, filterSrid: 3857 })).to.throw(
        CqlError,
        /minx 10 above maxx 0/,
      );
      const latLon = compileCql2(parseCql2Text('S_INTERSECTS(geom, POINT(21 106))'), { ...ctx, swapAxes: true });
      expect(latLon.bindings).to.deep.equal(['{"type":"Point","coordinates":[106,21]}']);
    });

    it('strips accents with bound translate tables for ACCENTI', () => {
      const compiled = compileCql2(parseCql2Text("ACCENTI(name) = ACCENTI('Bắc Giang')"), ctx);
      expect(compiled.sql).to.equal(
        '(translate(normalize("name", NFC), ?::text, ?::text) = translate(normalize(?::text, NFC), ?::text, ?::text))',
      );
      expect(compiled.bindings[2]).to.equal('Bắc Giang');
      expect(compiled.bindings[0]).to.contain('ắ').and.contain('đ');
    });
  });

  describe('hostile input', () => {
    const sqlFragments = ["'; DROP TABLE x; --", "' OR '1'='1", '" OR 1=1 --', '$1); DELETE FROM layer_catalog; --'];
    for (const fragment of sqlFragments) {
      it(`binds the string ${JSON.stringify(fragment)} as a value and never writes it into SQL`, () => {
        const text = `name = '${fragment.replace(/'/g, "''")}'`;
        const compiled = compileBoth(text, { op: '=', args: [prop('name'), fragment] });
        expect(compiled.sql).to.equal('("name" = ?::text)');
        expect(compiled.bindings).to.deep.equal([fragment]);
      });

      it(`rejects the property name ${JSON.stringify(fragment)} as unknown, naming it`, () => {
        const quoted = `"${fragment.replace(/"/g, '""')}" = 1`;
        expect(() => compileCql2(parseCql2Text(quoted), ctx)).to.throw(CqlError, /unknown property/);
        expect(() => compileCql2(parseCql2Json({ op: '=', args: [prop(fragment), 1] }), ctx)).to.throw(
          CqlError,
          /unknown property.*at \$\.args\[0\]/,
        );
      });
    }

    const badText: Array<[string, string, RegExp]> = [
      ['an unknown property', 'nope = 1', /unknown property "nope" at offset 0/],
      ['an unknown function', "FOO(name) = 'a'", /unknown function FOO at offset 0/],
      ['an unknown operator', 'pop == 1', /expected a value.*found "=" at offset 5/],
      ['a temporal operator', "T_AFTER(t, DATE('2020-01-01'))", /T_AFTER is not supported/],
      ['an unterminated string', "name = 'abc", /unterminated string literal at offset 7/],
      ['an unterminated quoted name', '"name = 1', /unterminated quoted property name at offset 0/],
      ['garbage characters', 'name = 1 ; 2', /unexpected character ";" at offset 9/],
      ['a trailing operator', "name = 'a' AND", /found the end of the filter at offset 14/],
      ['an unclosed parenthesis', "(name = 'a'", /expected "\)".*offset 0.*at offset 11/],
      ['an empty filter', '   ', /empty/],
      ['text against an integer', "pop = '5'", /cannot compare property "pop" \(integer\) and '5' \(string\) at offset 4/],
      ['a number against text', 'name > 5', /cannot compare property "name" \(string\) and 5 \(number\)/],
      ['LIKE on a number', "pop LIKE '1%'", /LIKE needs text/],
      ['an invalid date', "d = DATE('2023-02-29')", /"2023-02-29" is not a date/],
      ['an invalid timestamp', "t = TIMESTAMP('2023-01-01 10:00')", /is not a timestamp/],
      ['a number that overflows', 'area < 1e999', /the number 1e999 is out of range at offset 7/],
      ['NaN as a number', 'area = NaN', /unknown property "NaN"/],
      ['a spatial predicate with one argument', 'S_INTERSECTS(geom)', /it takes 2/],
      ['a spatial predicate with three arguments', 'S_INTERSECTS(geom, POINT(1 2), POINT(3 4))', /it takes 2 arguments/],
      ['S_DWITHIN without units', 'S_DWITHIN(geom, POINT(1 2), 10)', /units such as meters/],
      ['S_DWITHIN with unknown units', 'S_DWITHIN(geom, POINT(1 2), 10, parsecs)', /unknown distance units "parsecs"/],
      ['a latitude beyond 90', 'S_INTERSECTS(geom, POINT(90 180))', /latitude 180 is outside -90..90 at offset 19/],
      ['an open polygon ring', 'S_WITHIN(geom, POLYGON((0 0, 1 0, 1 1, 0 1)))', /must end at its first position/],
      ['an empty geometry', 'S_WITHIN(geom, POINT EMPTY)', /empty geometries are not supported/],
      ['a geometry compared as a value', "geom = 'x'", /is a geometry/],
      ['a text column in a spatial predicate', 'S_INTERSECTS(name, POINT(1 2))', /property "name" is not a geometry/],
      ['a geometry literal outside a spatial predicate', 'POINT(1 2) IS NULL', /only allowed in a spatial predicate/],
      ['a NUL character in a string', "name = 'a\u0000b'", /NUL character at offset 9/],
      ['a bbox with 5 numbers', 'S_INTERSECTS(geom, BBOX(1, 2, 3, 4, 5))', /4 numbers.*or 6/],
    ];
    for (const [what, text, message] of badText) {
      it(`rejects ${what} with a CqlError naming it and its offset`, () => {
        expect(() => compileCql2(parseCql2Text(text), ctx)).to.throw(CqlError, message);
      });
    }

    const badJson: Array<[string, unknown, RegExp]> = [
      ['an unknown operator', { op: 'xor', args: [true, false] }, /unknown operator "xor" at \$\.op/],
      ['a comparison with one argument', { op: '=', args: [prop('name')] }, /"=" takes 2 arguments, got 1 at \$\.args/],
      ['"and" with one argument', { op: 'and', args: [true] }, /takes at least 2 arguments, got 1/],
      ['"not" with two arguments', { op: 'not', args: [true, true] }, /"not" takes 1 arguments, got 2/],
      ['missing args', { op: 'like' }, /needs "args"/],
      ['NaN', { op: '=', args: [prop('area'), Number.NaN] }, /NaN is not a finite number at \$\.args\[1\]/],
      ['Infinity', { op: '<', args: [prop('area'), Number.POSITIVE_INFINITY] }, /Infinity is not a finite number/],
      ['null as a value', { op: '=', args: [prop('name'), null] }, /null is not a value/],
      ['an array as a predicate', [1, 2], /expected a predicate/],
      ['a string as a predicate', "name = 'a'", /expected a predicate/],
      [
        'a nested unknown operator',
        { op: 'and', args: [true, { op: 'or', args: [true, { op: 'boom', args: [] }] }] },
        /at \$\.args\[1\]\.args\[1\]\.op/,
      ],
      ['a function call', { op: '=', args: [{ op: 'upper', args: [prop('name')] }, 'A'] }, /"upper" is not a value/],
      ['an empty IN list', { op: 'in', args: [prop('name'), []] }, /non-empty array/],
      [
        'an unknown GeoJSON type',
        { op: 's_intersects', args: [prop('geom'), { type: 'Circle', coordinates: [1, 2] }] },
        /unknown GeoJSON geometry type "Circle" at \$\.args\[1\]\.type/,
      ],
      [
        'a position of one number',
        { op: 's_intersects', args: [prop('geom'), { type: 'Point', coordinates: [1] }] },
        /2 or 3 numbers at \$\.args\[1\]\.coordinates/,
      ],
      [
        'a string coordinate',
        {
          op: 's_intersects',
          args: [
            prop('geom'),
            {
              type: 'LineString',
              coordinates: [
                [0, 0],
                [1, '1'],
              ],
            },
          ],
        },
        /"1" is not a finite number at \$\.args\[1\]\.coordinates\[1\]\[1\]/,
      ],
      [
        'a trailing escape in a LIKE pattern',
        { op: 'like', args: [prop('name'), 'abc\\'] },
        /must not end with the escape character/,
      ],
      ['a NUL character in a string', { op: '=', args: [prop('name'), 'a\u0000b'] }, /NUL character at \$\.args\[1\]/],
      [
        'a NUL character in a property name',
        { op: '=', args: [prop('na\u0000me'), 'a'] },
        /NUL character at \$\.args\[0\]\.property/,
      ],
      ['a non-string property', { op: '=', args: [{ property: 5 }, 1] }, /"property" must be a non-empty string/],
      ['a date that is not a string', { op: '=', args: [prop('d'), { date: 20240101 }] }, /is not a date/],
    ];
    for (const [what, json, message] of badJson) {
      it(`rejects ${what} in CQL2-JSON with a CqlError naming the JSON path`, () => {
        expect(() => compileCql2(parseCql2Json(json), ctx)).to.throw(CqlError, message);
      });
    }

    it('stops CQL2-JSON nested 10,000 levels deep at the depth limit, without a stack overflow', () => {
      let deep: unknown = { op: '=', args: [prop('pop'), 1] };
      for (let i = 0; i < 10_000; i++) deep = { op: 'not', args: [deep] };
      expect(() => parseCql2Json(deep)).to.throw(CqlError, /nested deeper than 64 levels at \$\.args\[0\]/);
    });

    it('stops CQL2 text nested in 30,000 parentheses or NOTs at the depth limit', () => {
      expect(() => parseCql2Text(`${'('.repeat(30_000)}pop = 1${')'.repeat(30_000)}`)).to.throw(
        CqlError,
        /nested deeper than 64 levels/,
      );
      expect(() => parseCql2Text(`${'NOT '.repeat(10_000)}pop = 1`)).to.throw(CqlError, /nested deeper than 64 levels/);
      expect(() => parseCql2Text(`${'CASEI('.repeat(100)}name${')'.repeat(100)} = 'a'`)).to.throw(CqlError, /nested deeper/);
    });

    it('accepts nesting up to the depth limit', () => {
      expect(compileCql2(parseCql2Text(`${'('.repeat(60)}pop = 1${')'.repeat(60)}`), ctx).sql).to.equal('("pop" = ?::bigint)');
    });

    it('rejects a 1,000,000-vertex WKT line by its length before parsing it', () => {
      const wkt = `S_INTERSECTS(geom, LINESTRING(${Array.from({ length: 1_000_000 }, (_, i) => `${i % 180} 1`).join(', ')}))`;
      expect(() => parseCql2Text(wkt)).to.throw(CqlError, /bytes long, more than the limit of 65536/);
    });

    it('rejects WKT over the vertex limit when the text limit allows it', () => {
      const wkt = `S_INTERSECTS(geom, LINESTRING(${Array.from({ length: 2_000 }, () => '1 1').join(', ')}))`;
      const limits = { maxTextBytes: 1 << 20, maxDepth: 64, maxNodes: 10_000, maxInListItems: 1_000, maxVertices: 1_000 };
      expect(() => parseCql2Text(wkt, limits)).to.throw(CqlError, /more than 1000 vertices/);
    });

    it('rejects a 1,000,000-vertex GeoJSON line at the vertex limit', () => {
      const coordinates = Array.from({ length: 1_000_000 }, (_, i) => [i % 180, 1]);
      const json = { op: 's_intersects', args: [prop('geom'), { type: 'LineString', coordinates }] };
      expect(() => parseCql2Json(json)).to.throw(CqlError, /more than 100000 vertices at \$\.args\[1\]\.coordinates\[100000\]/);
    });

    it('rejects a huge IN list in both encodings', () => {
      const values = Array.from({ length: 5_000 }, (_, i) => i);
      expect(() => parseCql2Text(`pop IN (${values.join(',')})`)).to.throw(CqlError, /IN list has more than 1000 values/);
      expect(() => parseCql2Json({ op: 'in', args: [prop('pop'), values] })).to.throw(
        CqlError,
        /IN list has 5000 values, more than 1000/,
      );
    });

    it('rejects a filter with more nodes than the limit', () => {
      const text = Array.from({ length: 4_000 }, () => 'pop = 1').join(' OR ');
      expect(() => parseCql2Text(text)).to.throw(CqlError, /more than 10000 nodes/);
    });

    it('refuses a hand-built tree whose operator is not one of the known ones', () => {
      const sneaky = {
        kind: 'compare',
        op: '= 1 OR 1 =',
        left: { kind: 'property', name: 'pop' },
        right: { kind: 'number', value: 1 },
      };
      expect(() => compileCql2(sneaky as never, ctx)).to.throw(CqlError, /unknown comparison operator/);
      const spatial = {
        kind: 'spatial',
        op: 'pg_sleep',
        left: { kind: 'property', name: 'geom' },
        right: { kind: 'property', name: 'geom' },
      };
      expect(() => compileCql2(spatial as never, ctx)).to.throw(CqlError, /unknown spatial operator/);
      expect(() => compileCql2({ kind: 'raw' } as never, ctx)).to.throw(CqlError, /unknown node "raw"/);
    });

    it('rejects a compile context with an invalid filter SRID', () => {
      expect(() => compileCql2(parseCql2Text('pop = 1'), { ...ctx, filterSrid: Number.NaN })).to.throw(
        CqlError,
        /not a valid SRID/,
      );
    });
  });
});
