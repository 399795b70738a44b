/** Pure parts of the upload pipeline: names, JSON error positions, zip checks, shapefile parts, CRS and encoding decisions, DBF. */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { safeColumnNames, inferType, observe, planColumns, type ColumnStats } from '../../server/upload/columns.ts';
import { layerIdFromName, parseCrsAnswer, parseMetadata } from '../../server/upload/options.ts';
import { findJsonError } from '../../server/upload/formats/json-position.ts';
import { parseJsonWithPosition, lineColumn } from '../../server/upload/formats/geojson.ts';
import { checkEntries, unsafeEntryReason } from '../../server/upload/zip.ts';
import { groupShapefiles } from '../../server/upload/formats/shapefile.ts';
import { readDbfHeader, readDbfRecords } from '../../server/upload/formats/dbf.ts';
import { detectCoordinateColumns } from '../../server/upload/formats/csv.ts';
import { decideCrs, checkInsideVietnam } from '../../server/upload/crs-decision.ts';
import { decideEncoding, encodingByName } from '../../server/upload/text.ts';
import { dropDegenerateParts, splitByFamily } from '../../server/upload/geometry.ts';
import { RawText } from '../../server/upload/types.ts';
import { decodeTcvn3, encodeTcvn3 } from '../../server/text/encodings/tcvn3.ts';
import { encodeVni } from '../../server/text/encodings/vni.ts';
import { encodeWindows1258 } from '../../server/text/encodings/windows1258.ts';
import { communeNames, controlPoints, dbfBytes, prjTm3, tempDir, towgs84DecisionSigns } from '../fixtures/upload/builders.ts';

const limits = { maxEntries: 10, maxTotalBytes: 100 << 20, maxRatio: 100 };
const official = '-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278';

describe('upload: names', () => {
  it('makes safe, unique column names from Vietnamese, numeric and reserved names', () => {
    expect(safeColumnNames(['Tên xã', 'Dân số 2019', '2020', 'id', 'geom', 'TEN XA', 'a"b;DROP', 'Đường'])).to.deep.equal([
      'ten_xa',
      'dan_so_2019',
      'c_2020',
      'src_id',
      'src_geom',
      'ten_xa_2',
      'a_b_drop',
      'duong',
    ]);
  });

  it('derives a layer id from a file name', () => {
    expect(layerIdFromName('Ranh giới xã (2024).zip')).to.equal('ranh_gioi_xa_2024');
    expect(layerIdFromName('2024 đất.geojson')).to.equal('layer_2024_dat');
  });

  it('infers column types from values, text typed only for CSV', () => {
    const stats = new Map<string, ColumnStats>();
    for (const v of ['12', '7', '-3']) observe(stats, 'n', new RawText(Buffer.from(v)), true);
    for (const v of ['1.5', '2']) observe(stats, 'x', new RawText(Buffer.from(v)), true);
    for (const v of ['0123', '45']) observe(stats, 'code', new RawText(Buffer.from(v)), true);
    observe(stats, 'd', new Date(Date.UTC(2020, 0, 1)), false);
    observe(stats, 's', '12', false);
    expect(Object.fromEntries([...stats].map(([k, s]) => [k, inferType(s)]))).to.deep.equal({
      n: 'integer',
      x: 'number',
      code: 'string',
      d: 'date',
      s: 'string',
    });
  });

  it('labels columns with their decoded names and makes the safe name from the label', () => {
    const stats = new Map<string, ColumnStats>();
    observe(stats, Buffer.from(encodeTcvn3('tên_xã')).toString('latin1'), 'x', false);
    const [c] = planColumns(stats, (k) => decodeTcvn3(Buffer.from(k, 'latin1')));
    expect(c).to.include({ name: 'ten_xa', label: 'tên_xã', type: 'string' });
  });

  it('validates metadata and CRS answers', () => {
    expect(parseMetadata({ keywords: 'a, b', access: 'restricted' })).to.deep.equal({
      keywords: ['a', 'b'],
      access: 'restricted',
    });
    expect(() => parseMetadata({ access: 'secret' })).to.throw(/public or restricted/);
    expect(() => parseMetadata({ style: '{"type":"categorical"}' })).to.throw(/style/);
    expect(parseCrsAnswer({ srid: 'EPSG:9214', swapAxes: 'false' })).to.deep.equal({ srid: 9214, swapAxes: false });
    expect(() => parseCrsAnswer({ srid: '9214; DROP' })).to.throw(/EPSG code/);
  });
});

describe('upload: JSON error positions', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['{"a": 1,}', 8, /property name/],
    ['{"a" 1}', 5, /':'/],
    ['[1, 2', 5, /text ends early/],
    ['{"a": tru}', 6, /JSON value/],
    ['{"a": 1} x', 9, /end of the text/],
  ];
  for (const [text, offset, expected] of cases) {
    it(`finds the error of ${JSON.stringify(text)} at character ${offset}`, () => {
      const found = findJsonError(text)!;
      expect(found.offset).to.equal(offset);
      expect(found.expected).to.match(expected);
    });
  }
  it('accepts valid JSON and names line and column of an error', () => {
    expect(findJsonError('{"a": [1, -2.5e3, "x\\u00e9", true, null]}')).to.equal(null);
    expect(lineColumn('ab\ncd', 4)).to.deep.equal({ line: 2, column: 2 });
    expect(() => parseJsonWithPosition('{\n "a": }', 'f.geojson')).to.throw(/f\.geojson is not valid JSON at line 2, column 7/);
  });
});

describe('upload: zip checks', () => {
  it('rejects path traversal, absolute and drive paths', () => {
    expect(unsafeEntryReason('../x.shp')).to.match(/climbs out/);
    expect(unsafeEntryReason('a/../../x.shp')).to.match(/climbs out/);
    expect(unsafeEntryReason('a\\..\\x.shp')).to.match(/climbs out/);
    expect(unsafeEntryReason('/etc/passwd')).to.match(/absolute/);
    expect(unsafeEntryReason('C:/x.shp')).to.match(/absolute/);
    expect(unsafeEntryReason('data/x..shp')).to.equal(null);
  });

  it('rejects archives that inflate too much in total, by ratio, or with too many entries', () => {
    expect(() => checkEntries([{ name: 'a', compressedSize: 60 << 20, uncompressedSize: 200 << 20 }], limits)).to.throw(
      /inflates to .* zip bomb/,
    );
    expect(() => checkEntries([{ name: 'a', compressedSize: 1000, uncompressedSize: 50 << 20 }], limits)).to.throw(
      /inflates \d+ times/,
    );
    expect(() =>
      checkEntries(
        Array.from({ length: 11 }, (_, i) => ({ name: `${i}`, compressedSize: 1, uncompressedSize: 1 })),
        limits,
      ),
    ).to.throw(/11 entries/);
    expect(
      checkEntries(
        [
          { name: 'd/', compressedSize: 0, uncompressedSize: 0 },
          { name: 'd/a.shp', compressedSize: 10, uncompressedSize: 500 },
        ],
        limits,
      ),
    ).to.have.length(1);
  });

  it('groups shapefile parts case-insensitively and names a missing part', () => {
    const g = groupShapefiles([
      'Data/Roads.SHP',
      'Data/roads.shx',
      'Data/ROADS.dbf',
      'Data/roads.prj',
      '__MACOSX/Data/._roads.shp',
      'readme.txt',
    ]);
    expect([...g.keys()]).to.deep.equal(['data/roads']);
    expect(g.get('data/roads')!.get('prj')).to.equal('Data/roads.prj');
    expect(() => groupShapefiles(['a.shp', 'a.dbf'])).to.throw(/"a\.shp" has no \.shx \(the shape index\)/);
    expect(() => groupShapefiles(['a.shp', 'a.shx'])).to.throw(/"a\.shp" has no \.dbf \(the attribute table\)/);
  });
});

describe('upload: DBF reader', () => {
  it('hands out character fields as raw bytes, numbers as numbers, and skips deleted records', async () => {
    const tmp = tempDir();
    try {
      const bytes = dbfBytes(
        [
          { name: 'TEN', type: 'C', length: 20 },
          { name: 'SO', type: 'N', length: 8, decimals: 2 },
        ],
        [
          [encodeTcvn3('Bắc Giang'), 1.5],
          [encodeTcvn3('Xóa'), 2],
          [null, null],
        ],
        0x57,
      );
      bytes[bytes.readUInt16LE(8) + 1 + 28] = 0x2a; // mark the second record deleted
      const file = path.join(tmp.dir, 'a.dbf');
      fs.writeFileSync(file, bytes);
      const header = await readDbfHeader(file);
      expect(header).to.deep.include({ records: 3, ldid: 0x57 });
      expect(header.fields.map((f) => [f.name, f.type])).to.deep.equal([
        ['TEN', 'C'],
        ['SO', 'N'],
      ]);
      const out = [];
      for await (const r of readDbfRecords(file, header)) out.push(r);
      expect(out[1]).to.equal(null);
      expect((out[0]!.TEN as RawText).bytes).to.deep.equal(encodeTcvn3('Bắc Giang'));
      expect(out[0]!.SO).to.equal(1.5);
      expect(out[2]).to.deep.equal({ TEN: null, SO: null });
    } finally {
      tmp.remove();
    }
  });
});

describe('upload: text encoding decision', () => {
  const names = communeNames.slice(0, 12).map((n) => `Xã ${n}`);
  const cases: Array<[string, (s: string) => Uint8Array]> = [
    ['tcvn3', encodeTcvn3],
    ['vni', encodeVni],
    ['windows-1258', encodeWindows1258],
  ];
  for (const [encoding, encode] of cases) {
    it(`detects ${encoding} without a .cpg and asks to confirm it`, () => {
      const d = decideEncoding(null, names.map(encode), undefined);
      expect(d.status).to.equal('needs_confirmation');
      expect(d.encoding).to.equal(encoding);
      expect(d.candidates[0].preview).to.deep.equal(names.slice(0, 5));
    });
  }

  it('accepts valid UTF-8 and a declaration the text agrees with, and flags one it contradicts', () => {
    expect(
      decideEncoding(
        null,
        names.map((n) => Buffer.from(n)),
        undefined,
      ),
    ).to.include({ status: 'resolved', encoding: 'utf-8' });
    expect(decideEncoding({ source: '.cpg', value: '1258' }, names.map(encodeWindows1258), undefined)).to.include({
      status: 'resolved',
      encoding: 'windows-1258',
    });
    const wrong = decideEncoding({ source: '.cpg', value: 'UTF-8' }, names.map(encodeTcvn3), undefined);
    expect(wrong).to.include({ status: 'needs_confirmation', encoding: 'tcvn3' });
    expect(wrong.reason).to.match(/\.cpg says utf-8/);
    expect(decideEncoding(null, [], undefined).status).to.equal('not_needed');
    expect(decideEncoding(null, names.map(encodeVni), 'VNI')).to.include({ status: 'resolved', encoding: 'vni' });
    expect(() => decideEncoding(null, [], 'ebcdic')).to.throw(/not one we read/);
    expect(encodingByName('ANSI 1258')).to.equal('windows-1258');
  });
});

describe('upload: CRS decision', () => {
  const pts = controlPoints();
  const tm3 = pts.map((p) => [p.e9214, p.n9214]);

  it('asks for confirmation when nothing is declared, proposing the TM-3 zones that land in Bắc Giang', () => {
    const d = decideCrs(null, 'Shapefile', tm3, {});
    expect(d.status).to.equal('needs_confirmation');
    expect(d.proposals[0].srid).to.equal(9214);
    expect(d.reason).to.match(/declares no CRS/);
  });

  it('resolves a .prj naming VN-2000 without TOWGS84 to EPSG:9214 with the official shift', () => {
    const d = decideCrs({ source: '.prj', wkt: prjTm3(107, null) }, 'Shapefile', tm3, {});
    expect(d.status).to.equal('resolved');
    expect(d.chosen!.srid).to.equal(9214);
    expect(d.chosen!.proj4).to.include(official);
  });

  it('asks to confirm when the .prj has the decision signs or says WGS 84 for a TM-3 zone', () => {
    const signs = decideCrs({ source: '.prj', wkt: prjTm3(107, towgs84DecisionSigns) }, 'Shapefile', tm3, {});
    expect(signs.status).to.equal('needs_confirmation');
    expect(signs.proposals[0].srid).to.equal(9214);
    const wgs = decideCrs(
      {
        source: '.prj',
        wkt: prjTm3(107, null, 'D_WGS_1984').replace('GCS_VN_2000', 'GCS_WGS_1984').replace('VN_2000_TM3_107', 'TM3_107'),
      },
      'Shapefile',
      tm3,
      {},
    );
    expect(wgs.status).to.equal('needs_confirmation');
    expect(wgs.reason).to.match(/says WGS 84.*EPSG:9214/);
  });

  it('detects northing-first values and swaps them', () => {
    const d = decideCrs(
      null,
      'CSV',
      pts.map((p) => [p.n9209, p.e9209]),
      { srid: 9209 },
    );
    expect(d).to.include({ status: 'resolved', swapAxes: true });
    expect(() =>
      checkInsideVietnam(
        d.chosen!,
        d.swapAxes,
        pts.map((p) => [p.n9209, p.e9209]),
        'csv',
      ),
    ).to.not.throw();
  });

  it('takes GeoJSON without a crs member as WGS 84 but asks when its numbers are metres', () => {
    expect(
      decideCrs(
        null,
        'GeoJSON',
        pts.map((p) => [p.lon, p.lat]),
        {},
      ).status,
    ).to.equal('resolved');
    expect(decideCrs(null, 'GeoJSON', tm3, {}).status).to.equal('needs_confirmation');
  });

  it('rejects a proj4 string for a TM-3 zone without +towgs84', () => {
    expect(() =>
      decideCrs(null, 'CSV', tm3, {
        proj4: '+proj=tmerc +lat_0=0 +lon_0=107 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs',
      }),
    ).to.throw(/towgs84/);
  });

  it('fails data that lands outside Vietnam, suggesting the zones where it fits', () => {
    const d = decideCrs(null, 'CSV', tm3, { srid: 5896 });
    expect(() => checkInsideVietnam(d.chosen!, false, tm3, 'x')).to.throw(/outside Vietnam when read as EPSG:5896.*EPSG:9214/);
  });
});

describe('upload: geometry families', () => {
  it('splits a geometry collection into one Multi* per family', () => {
    const parts = splitByFamily({
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
        { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [3, 4] }] },
      ],
    });
    expect(parts).to.deep.equal([
      [
        'point',
        {
          type: 'MultiPoint',
          coordinates: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
      [
        'line',
        {
          type: 'MultiLineString',
          coordinates: [
            [
              [0, 0],
              [1, 1],
            ],
          ],
        },
      ],
    ]);
  });

  it('drops parts PostGIS cannot build: short lines and rings', () => {
    expect(dropDegenerateParts({ type: 'LineString', coordinates: [[0, 0]] })).to.equal(null);
    expect(
      dropDegenerateParts({
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      }),
    ).to.equal(null);
    const square = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 0],
    ];
    expect(
      dropDegenerateParts({
        type: 'Polygon',
        coordinates: [
          square,
          [
            [0, 0],
            [0, 0],
          ],
        ],
      }),
    ).to.deep.equal({ type: 'Polygon', coordinates: [square] });
    expect(
      dropDegenerateParts({
        type: 'MultiLineString',
        coordinates: [
          [[0, 0]],
          [
            [0, 0],
            [1, 1],
          ],
        ],
      }),
    ).to.deep.equal({
      type: 'MultiLineString',
      coordinates: [
        [
          [0, 0],
          [1, 1],
        ],
      ],
    });
  });

  it('finds coordinate columns by Vietnamese and English names, or as named', () => {
    expect(detectCoordinateColumns(['STT', 'Kinh độ', 'Vĩ độ'])).to.include({ x: 'Kinh độ', y: 'Vĩ độ' });
    expect(detectCoordinateColumns(['id', 'Longitude', 'Latitude'])).to.include({ x: 'Longitude', y: 'Latitude' });
    expect(detectCoordinateColumns(['a', 'b'], { x: 'b', y: 'a' })).to.include({ x: 'b', y: 'a' });
    expect(() => detectCoordinateColumns(['a', 'b'])).to.throw(/xField and yField/);
  });
});
