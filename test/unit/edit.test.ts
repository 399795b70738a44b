/** The pure parts of feature edits: property checks against columns, changed keys, If-Match, Content-Crs and body shapes. */
import { expect } from 'chai';
import { changedKeys, checkProperties, type FeatureJson } from '../../server/edit/properties.ts';
import { ifMatchHolds } from '../../server/edit/service.ts';
import {
  parseContentCrs,
  parseFeatureBody,
  parseFeaturePatch,
  parseIfMatch,
  parseIfNoneMatch,
  parsePathNumber,
  parseRepair,
} from '../../server/http/params/edit.ts';
import { CRS84 } from '../../server/crs/registry.ts';
import { InvalidParameterError, PayloadTooLargeError } from '../../server/errors.ts';
import type { LayerColumn } from '../../server/catalog/definition.ts';

const col = (name: string, type: LayerColumn['type']): LayerColumn => ({ name, type, label: { en: name, vi: name } });
const columns = [
  col('ma_dat', 'string'),
  col('so_thua', 'integer'),
  col('dien_tich', 'number'),
  col('da_duyet', 'boolean'),
  col('ngay', 'date'),
  col('luc', 'datetime'),
];
const square = {
  type: 'Polygon',
  coordinates: [
    [
      [106, 21],
      [106.1, 21],
      [106.1, 21.1],
      [106, 21],
    ],
  ],
};

describe('edit: properties against the layer columns', () => {
  it('accepts values of each column type and normalises text to NFC', () => {
    const decomposed = 'Đất ở'.normalize('NFD');
    const values = checkProperties('l', columns, {
      ma_dat: decomposed,
      so_thua: 12,
      dien_tich: 10.5,
      da_duyet: true,
      ngay: '2026-07-01',
      luc: '2026-07-01T08:00:00+07:00',
    });
    expect([...values.entries()]).to.deep.equal([
      ['ma_dat', 'Đất ở'.normalize('NFC')],
      ['so_thua', 12],
      ['dien_tich', 10.5],
      ['da_duyet', true],
      ['ngay', '2026-07-01'],
      ['luc', '2026-07-01T08:00:00+07:00'],
    ]);
  });

  it('leaves out the columns not given and keeps null to clear one', () => {
    expect([...checkProperties('l', columns, { so_thua: null }).entries()]).to.deep.equal([['so_thua', null]]);
  });

  const wrong: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an unknown property', { ma_xa: 1 }, /property "ma_xa" is not a column of layer "l" \(columns: ma_dat, so_thua/],
    ['text for an integer', { so_thua: '12' }, /property "so_thua".*"12" is not a whole number/],
    ['a fraction for an integer', { so_thua: 1.5 }, /property "so_thua"/],
    ['infinity for a number', { dien_tich: Infinity }, /property "dien_tich"/],
    ['a string for a boolean', { da_duyet: 'có' }, /property "da_duyet".*true or false/],
    ['an impossible date', { ngay: '2026-02-31x' }, /property "ngay".*YYYY-MM-DD/],
    ['a date for a datetime', { luc: 'hôm qua' }, /property "luc"/],
    ['an object for a string', { ma_dat: { a: 1 } }, /property "ma_dat".*not a string/],
  ];
  for (const [what, props, message] of wrong) {
    it(`refuses ${what}, naming the property`, () => {
      expect(() => checkProperties('l', columns, props)).to.throw(InvalidParameterError, message);
    });
  }

  it('lists the changed keys, with "geometry" when it moved', () => {
    const a: FeatureJson = {
      type: 'Feature',
      id: 1,
      geometry: { type: 'Point', coordinates: [106, 21] },
      properties: { x: 1, y: 'a' },
    };
    const b: FeatureJson = { ...a, properties: { x: 1, y: 'b' } };
    expect(changedKeys(a, b)).to.deep.equal(['y']);
    expect(changedKeys(a, { ...a, geometry: { type: 'Point', coordinates: [106, 21.1] } })).to.deep.equal(['geometry']);
    expect(changedKeys(null, a)).to.deep.equal(['x', 'y', 'geometry']);
  });
});

describe('edit: request headers and bodies', () => {
  it('reads If-Match lists, *, and refuses what is not an entity tag', () => {
    expect(parseIfMatch(undefined)).to.equal(null);
    expect(parseIfMatch('"a", "b"')).to.deep.equal(['"a"', '"b"']);
    expect(parseIfMatch('*')).to.deep.equal(['*']);
    expect(() => parseIfMatch('abc')).to.throw(InvalidParameterError, /"If-Match"/);
  });

  it('reads If-None-Match: * (restore of a deleted feature) and refuses entity tags there, naming the header', () => {
    expect(parseIfNoneMatch(undefined)).to.equal(false);
    expect(parseIfNoneMatch(' * ')).to.equal(true);
    expect(() => parseIfNoneMatch('"a"')).to.throw(InvalidParameterError, /header "If-None-Match": only \*/);
  });

  it('matches If-Match strongly: a weak tag never matches, * always does', () => {
    expect(ifMatchHolds(['"a"'], '"a"')).to.equal(true);
    expect(ifMatchHolds(['W/"a"'], '"a"')).to.equal(false);
    expect(ifMatchHolds(['*'], '"a"')).to.equal(true);
  });

  it('reads Content-Crs in angle brackets, defaults to CRS84 and names the header when unknown', () => {
    expect(parseContentCrs(undefined)).to.equal(CRS84);
    expect(parseContentCrs('<http://www.opengis.net/def/crs/EPSG/0/9209>').srid).to.equal(9209);
    expect(parseContentCrs('EPSG:4326').axisOrder).to.equal('lat-lon');
    expect(() => parseContentCrs('<EPSG:99999>')).to.throw(InvalidParameterError, /header "Content-Crs"/);
  });

  it('reads repair=true|false and refuses anything else', () => {
    expect(parseRepair({})).to.equal(false);
    expect(parseRepair({ repair: 'true' })).to.equal(true);
    expect(() => parseRepair({ repair: '1' })).to.throw(InvalidParameterError, /"repair"/);
  });

  it('reads path numbers and leaves the rest to a 404', () => {
    expect(parsePathNumber('42')).to.equal(42);
    expect(parsePathNumber('4.2')).to.equal(null);
    expect(parsePathNumber('1e3')).to.equal(null);
  });

  it('reads a Feature body and refuses a PUT whose id is another feature', () => {
    const f = parseFeatureBody({ type: 'Feature', geometry: square, properties: { a: 1 } }, CRS84, 7);
    expect(f.geometry.geojson.type).to.equal('Polygon');
    expect(f.properties).to.deep.equal({ a: 1 });
    expect(() => parseFeatureBody({ type: 'Feature', id: 8, geometry: square }, CRS84, 7)).to.throw(
      InvalidParameterError,
      /field "id"/,
    );
    expect(() => parseFeatureBody([], CRS84)).to.throw(InvalidParameterError, /JSON object/);
  });

  it('accepts projected coordinates (their range is checked after the transform, in PostGIS)', () => {
    const f = parseFeatureBody({ type: 'Feature', geometry: { type: 'Point', coordinates: [553000, 2340000] } }, CRS84);
    expect(f.geometry.geojson.coordinates).to.deep.equal([553000, 2340000]);
  });

  const badGeometry: Array<[string, unknown, RegExp]> = [
    ['an unknown type', { type: 'Circle', coordinates: [0, 0] }, /"geometry.type"/],
    ['a position of one number', { type: 'Point', coordinates: [1] }, /"geometry.coordinates"/],
    ['a NaN-like string', { type: 'Point', coordinates: ['1', 2] }, /finite numbers/],
    ['a line of one position', { type: 'LineString', coordinates: [[1, 2]] }, /line 0 needs at least 2/],
    [
      'an open ring',
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        ],
      },
      /ring 0 of polygon 0/,
    ],
    ['an empty multipolygon', { type: 'MultiPolygon', coordinates: [] }, /non-empty/],
  ];
  for (const [what, geometry, message] of badGeometry) {
    it(`refuses a geometry with ${what}, naming the field`, () => {
      expect(() => parseFeatureBody({ type: 'Feature', geometry }, CRS84)).to.throw(InvalidParameterError, message);
    });
  }

  it('refuses a geometry of more vertices than the cap with PayloadTooLarge', () => {
    const coordinates = Array.from({ length: 50_001 }, (_, i) => [106 + i * 1e-6, 21]);
    expect(() => parseFeatureBody({ type: 'Feature', geometry: { type: 'MultiPoint', coordinates } }, CRS84)).to.throw(
      PayloadTooLargeError,
    );
  });

  it('reads a merge patch of properties and/or geometry, and nothing else', () => {
    expect(parseFeaturePatch({ properties: { a: null } }, CRS84)).to.deep.equal({ properties: { a: null } });
    expect(parseFeaturePatch({ geometry: square }, CRS84).geometry!.geojson.type).to.equal('Polygon');
    expect(() => parseFeaturePatch({ bbox: [] }, CRS84)).to.throw(InvalidParameterError, /field "bbox"/);
    expect(() => parseFeaturePatch({ geometry: null }, CRS84)).to.throw(InvalidParameterError, /cannot lose its geometry/);
    expect(() => parseFeaturePatch({}, CRS84)).to.throw(InvalidParameterError, /changes nothing/);
  });
});
