import { expect } from 'chai';
import type { Layer } from '../../server/catalog/catalog.ts';
import type { LayerColumn } from '../../server/catalog/definition.ts';
import { parseLayerDefinition } from '../../server/catalog/definition.ts';
import { dayOfInstant, parseDatetime, parseItemsQuery, parseValidity, today } from '../../server/http/params/items.ts';
import { isFiltered, validityClause, whereClause } from '../../server/sql/where.ts';
import { temporalExtent } from '../../server/features/collections.ts';
import { InvalidParameterError } from '../../server/errors.ts';
import { layerMeets, layersAsOf } from '../../server/units/as-of.ts';

const label = { en: 'x', vi: 'x' };
const columns: LayerColumn[] = [
  { name: 'code', type: 'string', label },
  { name: 'valid_from', type: 'date', label },
  { name: 'valid_to', type: 'date', label },
];

/** A temporal catalog layer without a database: only what the pure functions read. */
const units = {
  id: 'units',
  tableSql: '"units"',
  geometryType: 'Polygon',
  columns,
  temporal: { start: 'valid_from', end: 'valid_to' },
  temporalExtent: ['2009-04-01', '2025-06-30'],
  column: (name: string) => columns.find((c) => c.name === name),
} as unknown as Layer;
const plain = { ...units, temporal: null, temporalExtent: null } as unknown as Layer;

describe('units as of a date: datetime', () => {
  it('reads an instant as the calendar day in Vietnam (UTC+7), where the units changed at midnight', () => {
    expect(dayOfInstant('2025-06-30')).to.equal('2025-06-30');
    expect(dayOfInstant('2025-06-30T16:59:59Z')).to.equal('2025-06-30');
    expect(dayOfInstant('2025-06-30T17:00:00Z')).to.equal('2025-07-01');
    expect(dayOfInstant('2025-07-01T00:30:00+07:00')).to.equal('2025-07-01');
  });

  it('reads an interval as its first and last days, open ends as null', () => {
    expect(parseDatetime('2024-01-01/2025-12-31')).to.deep.equal({ first: '2024-01-01', last: '2025-12-31' });
    expect(parseDatetime('../2025-06-30')).to.deep.equal({ first: null, last: '2025-06-30' });
    expect(parseDatetime('2025-07-01T00:00:00+07:00/')).to.deep.equal({ first: '2025-07-01', last: null });
    expect(parseDatetime(undefined)).to.equal(null);
  });

  it('rejects an interval that ends before it starts, naming datetime', () => {
    expect(() => parseDatetime('2025-07-01/2025-06-30'))
      .to.throw(InvalidParameterError)
      .with.property('message')
      .that.includes('"datetime"');
  });

  it('defaults to today in Vietnam on a temporal layer and filters nothing on a layer without validity', () => {
    const now = new Date('2026-01-31T18:00:00Z');
    expect(today(now)).to.deep.equal({ first: '2026-02-01', last: '2026-02-01' });
    expect(parseValidity(units, undefined, now)?.days).to.deep.equal({ first: '2026-02-01', last: '2026-02-01' });
    expect(parseValidity(plain, '2020-01-01', now)).to.equal(null);
    expect(() => parseValidity(plain, 'yesterday')).to.throw(InvalidParameterError);
  });

  it('selects units whose validity intersects the days, with bound dates and open validity ends', () => {
    const part = validityClause({ temporal: units.temporal!, days: { first: '2024-01-01', last: '2025-12-31' } });
    expect(part.sql).to.equal(
      '(t."valid_from" IS NULL OR t."valid_from" <= ?::date) AND (t."valid_to" IS NULL OR t."valid_to" >= ?::date)',
    );
    expect(part.bindings).to.deep.equal(['2025-12-31', '2024-01-01']);
    const open = validityClause({ temporal: units.temporal!, days: { first: null, last: '2025-06-30' } });
    expect(open.bindings).to.deep.equal(['2025-06-30']);
  });

  it('makes the items query of a temporal layer filtered, so numberMatched is counted', () => {
    const q = parseItemsQuery(units, { datetime: '2025-06-30' }, 1000);
    expect(isFiltered(q)).to.equal(true);
    expect(whereClause(q).bindings).to.deep.equal(['2025-06-30', '2025-06-30']);
    expect(isFiltered(parseItemsQuery(plain, { datetime: '2025-06-30' }, 1000))).to.equal(false);
  });
});

describe('units as of a date: layer declarations and metadata', () => {
  const base = {
    id: 'units',
    title: 'Units',
    title_vi: 'Đơn vị',
    group: 'basemap',
    table: 'units',
    geometryType: 'Polygon',
    columns,
    style: { type: 'single' },
  };

  it('accepts a temporal declaration naming two date columns', () => {
    expect(
      parseLayerDefinition({ ...base, temporal: { start: 'valid_from', end: 'valid_to' } }, 'units.json').temporal,
    ).to.deep.equal({
      start: 'valid_from',
      end: 'valid_to',
    });
  });

  it('refuses a temporal declaration naming a column that is not a date', () => {
    expect(() => parseLayerDefinition({ ...base, temporal: { start: 'code', end: 'valid_to' } }, 'units.json')).to.throw(
      /temporal/,
    );
  });

  it('states the temporal extent as instants in the Gregorian calendar, open where validity is open', () => {
    expect(temporalExtent(units)).to.deep.equal({
      interval: [['2009-03-31T17:00:00Z', '2025-06-30T16:59:59Z']],
      trs: 'http://www.opengis.net/def/uri/ogc/1.3/TRS/gregorian',
    });
    const today2025 = { ...units, temporalExtent: ['2025-07-01', null] } as unknown as Layer;
    expect(temporalExtent(today2025)).to.have.deep.property('interval', [['2025-06-30T17:00:00Z', null]]);
    expect(temporalExtent(plain)).to.equal(null);
  });
});

describe('units as of a date: tiles', () => {
  const old = { temporal: { start: 'valid_from', end: 'valid_to' }, temporalExtent: [null, '2025-06-30'] } as Pick<
    Layer,
    'temporal' | 'temporalExtent'
  >;
  const now = { temporal: { start: 'valid_from', end: 'valid_to' }, temporalExtent: ['2025-07-01', null] } as Pick<
    Layer,
    'temporal' | 'temporalExtent'
  >;
  const roads = { temporal: null, temporalExtent: null } as Pick<Layer, 'temporal' | 'temporalExtent'>;

  it('keeps the vintage valid on the asked days and every layer without validity', () => {
    expect(layersAsOf([old, now, roads], { first: '2025-06-30', last: '2025-06-30' })).to.deep.equal([old, roads]);
    expect(layersAsOf([old, now, roads], { first: '2025-07-01', last: null })).to.deep.equal([now, roads]);
    expect(layersAsOf([old, now, roads], { first: '2025-06-30', last: '2025-07-01' })).to.deep.equal([old, now, roads]);
    expect(layersAsOf([old, now, roads], null)).to.deep.equal([old, now, roads]);
  });

  it('compares whole days at the boundary', () => {
    expect(layerMeets(old, { first: '2025-07-01', last: '2025-07-01' })).to.equal(false);
    expect(layerMeets(now, { first: null, last: '2025-06-30' })).to.equal(false);
  });
});
