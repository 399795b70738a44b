/** Pure parts of open data: metadata validation, built-in records, field-name shortening, WKB reading, file names, DCAT. */
import { expect } from 'chai';
import { defaults } from '../../server/config.ts';
import { loadLayerDefinitions } from '../../server/catalog/definition.ts';
import { loadOpenDataCategories, parseDatasetMetadata, MetadataValidationError } from '../../server/catalog/metadata.ts';
import { shortFieldNames } from '../../server/opendata/writers/shapefile.ts';
import { readWkb } from '../../server/opendata/writers/wkb.ts';
import { csvField, xmlText } from '../../server/opendata/writers/text.ts';
import { contentDisposition } from '../../server/http/opendata.ts';
import { gpkgGeometry } from '../../server/opendata/writers/gpkg.ts';

const definitions = loadLayerDefinitions(defaults.layersDir);

describe('open-data metadata', () => {
  it('gives every built-in layer a complete record whose categories are in the province list', () => {
    const categories = new Set(loadOpenDataCategories(defaults.layersDir).map((c) => c.id));
    expect(categories.size).to.be.greaterThan(10);
    for (const d of definitions) {
      const m = d.metadata;
      expect(m, d.id).to.not.equal(undefined);
      expect(m!.abstract.vi.length, d.id).to.be.greaterThan(20);
      expect(m!.abstract.en.length, d.id).to.be.greaterThan(20);
      expect(m!.topicCategories.length, d.id).to.be.greaterThan(0);
      expect(m!.categories.length, d.id).to.be.greaterThan(0);
      for (const c of m!.categories) expect(categories.has(c), `${d.id}: ${c}`).to.equal(true);
      expect(m!.contactPoint.email, d.id).to.match(/@/);
      expect(m!.licence.url, d.id).to.match(/^https:\/\//);
    }
  });

  it('rejects a record with a bad e-mail, an unknown topic or a missing licence, naming the field', () => {
    const good = definitions.find((d) => d.id === 'landuse_parcels')!.metadata!;
    const cases: Array<[unknown, string]> = [
      [{ ...good, contactPoint: { organisation: 'Sở', email: 'x' } }, 'metadata.contactPoint.email'],
      [{ ...good, topicCategories: ['weather'] }, 'metadata.topicCategories.0'],
      [{ ...good, licence: undefined }, 'metadata.licence'],
      [{ ...good, created: '2024-13-45' }, 'metadata.created'],
      [{ ...good, colour: 'red' }, 'metadata'],
    ];
    for (const [value, field] of cases) {
      expect(() => parseDatasetMetadata(value), field)
        .to.throw(MetadataValidationError)
        .with.property('field', field);
    }
    expect(parseDatasetMetadata(good).version).to.equal(good.version);
  });
});

describe('download writers', () => {
  it('shortens field names to 10 unique ASCII characters without diacritics', () => {
    expect(shortFieldNames(['chủ "sở" hữu', 'district_name', 'district_code', 'code', 'Đường'])).to.deep.equal([
      'chu_so_huu',
      'district_n',
      'district_c',
      'code',
      'duong',
    ]);
    expect(shortFieldNames(['district_name', 'district_names'])).to.deep.equal(['district_n', 'district_1']);
    expect(shortFieldNames(['a', 'A'])).to.deep.equal(['a', 'a_1']);
  });

  it('reads little-endian WKB points, lines and multipolygons into parts', () => {
    const point = Buffer.alloc(21);
    point.writeUInt8(1, 0);
    point.writeUInt32LE(1, 1);
    point.writeDoubleLE(106.5, 5);
    point.writeDoubleLE(21.25, 13);
    expect(readWkb(point)).to.deep.equal({ kind: 1, parts: [new Float64Array([106.5, 21.25])] });
    const polygon = (ring: number[]) => {
      const b = Buffer.alloc(13 + ring.length * 8);
      b.writeUInt8(1, 0);
      b.writeUInt32LE(3, 1);
      b.writeUInt32LE(1, 5);
      b.writeUInt32LE(ring.length / 2, 9);
      ring.forEach((v, i) => b.writeDoubleLE(v, 13 + i * 8));
      return b;
    };
    const head = Buffer.alloc(9);
    head.writeUInt8(1, 0);
    head.writeUInt32LE(6, 1);
    head.writeUInt32LE(2, 5);
    const multi = Buffer.concat([head, polygon([0, 0, 0, 1, 1, 1, 0, 0]), polygon([5, 5, 5, 6, 6, 6, 5, 5])]);
    const g = readWkb(multi);
    expect(g.kind).to.equal(3);
    expect(g.parts).to.have.length(2);
    expect([...g.parts[1]]).to.deep.equal([5, 5, 5, 6, 6, 6, 5, 5]);
  });

  it('puts the GeoPackage binary header before the WKB', () => {
    const b = gpkgGeometry(new Uint8Array([1, 2, 3]), 9209);
    expect(b.subarray(0, 2).toString('latin1')).to.equal('GP');
    expect(b.readInt32LE(4)).to.equal(9209);
    expect([...b.subarray(8)]).to.deep.equal([1, 2, 3]);
  });

  it('quotes CSV fields and escapes XML text', () => {
    expect(csvField('a,"b"')).to.equal('"a,""b"""');
    expect(csvField(null)).to.equal('');
    expect(xmlText('<b>"Đ" & \'x\'</b>')).to.equal('&#60;b&#62;&#34;Đ&#34; &#38; &#39;x&#39;&#60;/b&#62;');
  });

  it('names a download file in Vietnamese with RFC 6266 filename* and an ASCII fallback', () => {
    const value = contentDisposition('landuse_parcels.gpkg', 'Thửa đất (quy hoạch).gpkg');
    expect(value).to.equal(
      `attachment; filename="landuse_parcels.gpkg"; filename*=UTF-8''Th%E1%BB%ADa%20%C4%91%E1%BA%A5t%20%28quy%20ho%E1%BA%A1ch%29.gpkg`,
    );
  });
});
