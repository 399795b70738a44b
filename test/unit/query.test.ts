import { expect } from 'chai';
import { parseBodyGeometry } from '../../server/http/params/geometry.ts';
import { parseList, parseLonLat, parseNumber } from '../../server/http/params/query-string.ts';
import { degreesCovering } from '../../server/query/distance.ts';
import { InvalidParameterError, PayloadTooLargeError } from '../../server/errors.ts';
import { statusOfError } from '../../server/http/errors.ts';
import { rankText } from '../../server/search/service.ts';

describe('query: body geometry', () => {
  it('accepts every GeoJSON geometry type we query with, and a Feature', () => {
    for (const g of [
      { type: 'Point', coordinates: [106, 21] },
      { type: 'MultiPoint', coordinates: [[106, 21]] },
      {
        type: 'LineString',
        coordinates: [
          [106, 21],
          [106.1, 21.1],
        ],
      },
      {
        type: 'Polygon',
        coordinates: [
          [
            [106, 21],
            [106.1, 21],
            [106.1, 21.1],
            [106, 21],
          ],
        ],
      },
      {
        type: 'MultiPolygon',
        coordinates: [
          [
            [
              [106, 21],
              [106.1, 21],
              [106.1, 21.1],
              [106, 21],
            ],
          ],
        ],
      },
    ]) {
      expect(parseBodyGeometry(g)).to.deep.equal(g);
    }
    expect(
      parseBodyGeometry({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [106, 21] } }),
    ).to.deep.equal({ type: 'Point', coordinates: [106, 21] });
  });

  const bad: Array<[string, unknown, string]> = [
    ['missing', undefined, 'required'],
    ['an array', [], 'object'],
    ['GeometryCollection', { type: 'GeometryCollection', geometries: [] }, 'type'],
    ['a string coordinate', { type: 'Point', coordinates: ['106', 21] }, 'finite'],
    ['NaN smuggled as null', { type: 'Point', coordinates: [null, 21] }, 'finite'],
    ['too deep', { type: 'Point', coordinates: [[106, 21]] }, 'position'],
    ['too shallow', { type: 'Polygon', coordinates: [[106, 21]] }, 'array'],
    ['a latitude of 91', { type: 'Point', coordinates: [106, 91] }, 'outside'],
    ['a one-point line', { type: 'LineString', coordinates: [[106, 21]] }, 'at least 2'],
    [
      'an open ring',
      {
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
      'ring',
    ],
    ['an empty multipolygon', { type: 'MultiPolygon', coordinates: [] }, 'empty'],
  ];
  for (const [what, value, mention] of bad) {
    it(`rejects ${what} with a 400 naming the field`, () => {
      expect(() => parseBodyGeometry(value))
        .to.throw(InvalidParameterError)
        .with.property('message')
        .that.includes(mention);
    });
  }

  it('answers 413 past the vertex cap', () => {
    const ring = Array.from({ length: 101 }, (_, i) => [106 + Math.cos(i) * 0.01, 21 + Math.sin(i) * 0.01]);
    ring.push(ring[0]);
    let thrown: unknown;
    try {
      parseBodyGeometry({ type: 'Polygon', coordinates: [ring] }, 'geometry', 100);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(PayloadTooLargeError);
    expect(statusOfError(thrown)?.status).to.equal(413);
  });
});

describe('query: parameters', () => {
  it('reads lon/lat within range and rejects text, NaN and out-of-range values naming the parameter', () => {
    expect(parseLonLat({ lon: '106.5', lat: '21.2' })).to.deep.equal({ lon: 106.5, lat: 21.2 });
    for (const [q, name] of [
      [{ lon: 'abc', lat: '21' }, 'lon'],
      [{ lon: '106', lat: 'NaN' }, 'lat'],
      [{ lon: '181', lat: '21' }, 'lon'],
      [{ lon: '106' }, 'lat'],
      [{ lon: ['1', '2'], lat: '21' }, 'lon'],
    ] as Array<[Record<string, unknown>, string]>) {
      expect(() => parseLonLat(q))
        .to.throw(InvalidParameterError)
        .with.property('message')
        .that.includes(`"${name}"`);
    }
    expect(parseNumber({}, 'k', 1, 10, 5)).to.equal(5);
    expect(parseList({ layers: 'a, b,a' }, 'layers', 5)).to.deep.equal(['a', 'b']);
  });

  it('covers a distance in metres with enough degrees at any latitude', () => {
    // 1,000 m east at 21°N is 0.00964° of longitude; the pre-filter must not be smaller.
    expect(degreesCovering(1000, 21)).to.be.greaterThan(1000 / (111_320 * Math.cos((21 * Math.PI) / 180)));
    expect(degreesCovering(1000, 0)).to.be.greaterThan(1000 / 110_574);
    expect(Number.isFinite(degreesCovering(1000, 90))).to.equal(true);
  });
});

describe('search: ranking', () => {
  it('ranks a whole name, then a prefix, then a word prefix, then anywhere; all words must appear', () => {
    expect(rankText('bac giang', 'bac giang')).to.equal(0);
    expect(rankText('bac giang city', 'bac giang')).to.equal(1);
    expect(rankText('cho bac giang', 'bac giang')).to.equal(2);
    expect(rankText('xbac giangx', 'bac giang')).to.equal(3);
    expect(rankText('giang bac', 'bac giang')).to.equal(3);
    expect(rankText('bac ninh', 'bac giang')).to.equal(null);
  });
});
