/**
 * Pure parts of issue 12's fidelity work: HTML descriptions as text, the streaming KML and GeoJSON readers, the CSV
 * reader's BOM, names and coordinate roles, the encoding decision after a BOM, declared date columns and empty strings.
 */
import { statusOfError } from '../../server/http/errors.ts';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { decodeEntities, htmlToText, looksLikeHtml } from '../../server/text/html.ts';
import { openKml, parseKmlCoordinates } from '../../server/upload/formats/kml.ts';
import { openGeoJson } from '../../server/upload/formats/geojson.ts';
import { detectCoordinateColumns, openCsv } from '../../server/upload/formats/csv.ts';
import { BYTE_ORDER_MARK, confirmEncoding, decideEncoding, decodeText, unicodeText } from '../../server/upload/text.ts';
import { coerce, inferType, observe, planColumns, type ColumnStats } from '../../server/upload/columns.ts';
import { RawText, type SourceDataset, type SourceFeature } from '../../server/upload/types.ts';
import { encodeText } from '../../server/text/encodings/index.ts';
import { excelCsvLegacy, excelCsvUtf8, googleEarthKml, tempDir } from '../fixtures/upload/builders.ts';

async function all(ds: SourceDataset): Promise<SourceFeature[]> {
  const out: SourceFeature[] = [];
  for await (const f of ds.features()) out.push(f);
  return out;
}

describe('upload fidelity: HTML descriptions as text', () => {
  it('keeps the text of an HTML table, one row a line, without scripts, images or markup', () => {
    const html =
      '<table><tr><th>Tên</th><td>Chùa &amp; đình</td></tr><tr><td>Năm</td><td>1850</td></tr></table>' +
      '<img src="x.jpg"><script>alert(1)</script><!-- c -->';
    expect(htmlToText(html)).to.equal('Tên Chùa & đình\nNăm 1850');
    expect(htmlToText('Dòng 1<br/>Dòng 2<p>Đoạn&nbsp;ba</p>')).to.equal('Dòng 1\nDòng 2\nĐoạn ba');
  });

  it('takes only known tags for markup, so text with angle brackets stays as written', () => {
    expect(looksLikeHtml('<b>đậm</b>')).to.equal(true);
    expect(looksLikeHtml('<div class="x">a</div>')).to.equal(true);
    expect(looksLikeHtml('nhà <số 5>, x < y')).to.equal(false);
    expect(htmlToText('<b>a</b> <số 5>')).to.equal('a <số 5>');
  });

  it('decodes numeric and common named references and leaves unknown ones', () => {
    expect(decodeEntities('&#7889; &#x1EA1; &lt;&gt; &foo; &#xD800;')).to.equal('ố ạ <> &foo; &#xD800;');
  });
});

describe('upload fidelity: KML read as a stream', () => {
  const tmp = tempDir();
  after(() => tmp.remove());
  const write = (name: string, text: string) => {
    const file = path.join(tmp.dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('reads name, HTML description as text, ExtendedData, time and the folder path of each placemark', async () => {
    const file = write(
      'a.kml',
      googleEarthKml({
        'Huyện Yên Dũng/Xã Tân Tiến': [
          {
            name: 'Chùa',
            description: '<b>Chùa</b> cổ',
            data: { ma: 'C01', rong: '' },
            kml: '<TimeStamp><when>2024-05-01</when></TimeStamp><Point><coordinates>106.1,21.2,5</coordinates></Point>',
          },
        ],
        '': [
          {
            name: 'Ngoài',
            description: 'a < b',
            kml: '<LinearRing><coordinates>106,21 106.1,21 106.1,21.1 106,21</coordinates></LinearRing>',
          },
        ],
      }),
    );
    const ds = openKml('a', file, 'a.kml');
    const features = await all(ds);
    expect(features.map((f) => f.properties)).to.deep.equal([
      {
        name: 'Chùa',
        description: 'Chùa cổ',
        ma: 'C01',
        rong: '',
        timestamp: '2024-05-01',
        folder: 'Huyện Yên Dũng / Xã Tân Tiến',
      },
      { name: 'Ngoài', description: 'a < b' },
    ]);
    expect(features.map((f) => f.geometry?.type)).to.deep.equal(['Point', 'Polygon']);
    expect(features[0].geometry).to.deep.equal({ type: 'Point', coordinates: [106.1, 21.2] });
    expect(ds.notes).to.deep.equal(['1 HTML descriptions were kept as their text (tags left out, entities decoded)']);
    await all(ds);
    expect(ds.notes).to.have.length(1); // the second pass (loading) does not repeat the note
  });

  it('builds Multi* and collections from MultiGeometry, holes from innerBoundaryIs, lines from gx:Track', async () => {
    const ring = (x: number) =>
      `<LinearRing><coordinates>${x},21 ${x + 0.1},21 ${x + 0.1},21.1 ${x},21</coordinates></LinearRing>`;
    const file = write(
      'b.kml',
      `<kml xmlns:gx="http://www.google.com/kml/ext/2.2"><Document>
      <Placemark><MultiGeometry>
        <Polygon><outerBoundaryIs>${ring(106)}</outerBoundaryIs><innerBoundaryIs>${ring(106.02)}</innerBoundaryIs></Polygon>
        <Polygon><outerBoundaryIs>${ring(107)}</outerBoundaryIs></Polygon>
      </MultiGeometry></Placemark>
      <Placemark><MultiGeometry>
        <Point><coordinates>106,21</coordinates></Point><LineString><coordinates>106,21 106.1,21.1</coordinates></LineString>
      </MultiGeometry></Placemark>
      <Placemark><gx:Track>
        <when>2024-01-01T00:00:00Z</when><when>2024-01-01T00:01:00Z</when><gx:coord>106 21 0</gx:coord><gx:coord>106.1 21.1 0</gx:coord>
      </gx:Track></Placemark>
      <Placemark><name>không hình</name></Placemark>
      </Document></kml>`,
    );
    const features = await all(openKml('b', file, 'b.kml'));
    expect(features.map((f) => f.geometry?.type ?? null)).to.deep.equal([
      'MultiPolygon',
      'GeometryCollection',
      'LineString',
      null,
    ]);
    expect((features[0].geometry as { coordinates: unknown[][] }).coordinates[0]).to.have.length(2);
    expect(features.map((f) => f.row)).to.deep.equal([1, 2, 3, 4]);
  });

  it('reads placemarks cut by chunk boundaries, and a file much larger than a chunk, in order', async () => {
    const marks = Array.from({ length: 20_000 }, (_, i) => ({
      name: `Điểm ${i}`,
      description: `<p>mô tả ${i}</p>`,
      kml: `<Point><coordinates>${106 + i * 1e-5},21.2</coordinates></Point>`,
    }));
    const file = write('c.kml', googleEarthKml({ 'Thư mục': marks }));
    expect(fs.statSync(file).size).to.be.above(2 << 20);
    const features = await all(openKml('c', file, 'c.kml'));
    expect(features).to.have.length(20_000);
    expect(features[12_345].properties).to.deep.equal({ name: 'Điểm 12345', description: 'mô tả 12345', folder: 'Thư mục' });
  });

  it('answers 400 naming line and column for broken XML, and the position for a bad coordinate', async () => {
    const broken = write('d.kml', '<kml>\n<Placemark><name>x</Placemark></kml>');
    await all(openKml('d', broken, 'd.kml')).then(
      () => expect.fail('broken XML was read'),
      (err: Error) => {
        expect(statusOfError(err)?.status).to.equal(400);
        expect(err.message).to.match(/d\.kml is not valid XML at line 2, column \d+: Unexpected close tag/);
      },
    );
    expect(() => parseKmlCoordinates('106,21 abc,21', 'e.kml line 3')).to.throw(
      /e\.kml line 3: "abc,21" is not a "longitude,latitude" position/,
    );
    const empty = write('f.kml', '');
    await all(openKml('f', empty, 'f.kml')).then(
      () => expect.fail('an empty file was read'),
      (err: Error) => expect(err.message).to.match(/no root element/),
    );
  });
});

describe('upload fidelity: GeoJSON read as a stream', () => {
  const tmp = tempDir();
  after(() => tmp.remove());
  const open = (text: string) => {
    const file = path.join(tmp.dir, `${Math.random().toString(36).slice(2)}.geojson`);
    fs.writeFileSync(file, text);
    return openGeoJson('t', file, 't.geojson');
  };

  it('reads a FeatureCollection whose crs member comes after its features, keeping "" apart from null', async () => {
    const ds = open(
      '{"features":[{"type":"Feature","properties":{"a":"","b":null,"c":{"d":1}},"geometry":{"type":"Point","coordinates":[1,2]}}],' +
        '"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:9214"}}}',
    );
    const features = await all(ds);
    expect(features).to.deep.equal([
      { geometry: { type: 'Point', coordinates: [1, 2] }, properties: { a: '', b: null, c: '{"d":1}' }, row: 1 },
    ]);
    expect(ds.crs).to.deep.include({ uri: 'EPSG:9214' });
  });

  it('reads a lone Feature and a bare geometry (after a byte-order mark)', async () => {
    expect(await all(open('{"type":"Feature","properties":{"n":1},"geometry":null}'))).to.deep.equal([
      { geometry: null, properties: { n: 1 }, row: 1 },
    ]);
    expect(await all(open('\uFEFF{"type":"LineString","coordinates":[[1,2],[3,4]]}'))).to.deep.equal([
      {
        geometry: {
          type: 'LineString',
          coordinates: [
            [1, 2],
            [3, 4],
          ],
        },
        properties: {},
        row: 1,
      },
    ]);
  });

  const bad: Array<[string, string, RegExp]> = [
    [
      'a syntax error',
      '{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature" "geometry": null}\n ]}',
      /line 3, column 22 \(character 66\): expected ',' or '}'/,
    ],
    ['a truncated file', '{"type":"FeatureCollection","features":[', /line 1, column 41 .*the text ends early/],
    ['an empty file', '', /line 1, column 1 .*the text ends early/],
    ['text after the document', '{"type":"Point","coordinates":[1,2]} x', /expected the end of the text/],
    ['a member that is not a Feature', '{"type":"FeatureCollection","features":[1]}', /features\[0\] is not a Feature/],
    ['a FeatureCollection without features', '{"type":"FeatureCollection"}', /needs a "features" array/],
    ['an array', '[1]', /is not a GeoJSON object/],
    ['an unknown type', '{"type":"Thing"}', /"type" must be FeatureCollection, Feature or a geometry type, got "Thing"/],
    [
      'a geometry without coordinates',
      '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point"}}]}',
      /features\[0\]\.geometry: a Point needs "coordinates"/,
    ],
  ];
  for (const [what, text, message] of bad) {
    it(`answers 400 for ${what}`, async () => {
      await all(open(text)).then(
        () => expect.fail('read without error'),
        (err: Error) => {
          expect(statusOfError(err)?.status).to.equal(400);
          expect(err.message).to.match(message);
        },
      );
    });
  }
});

describe('upload fidelity: CSV as Excel writes it', () => {
  const tmp = tempDir();
  after(() => tmp.remove());
  const header = ['STT', 'Tên điểm', 'Kinh độ', 'Vĩ độ'];
  const write = (name: string, bytes: Buffer) => {
    const file = path.join(tmp.dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };

  it('reads a BOM file as UTF-8: names and cells keep their bytes, declared by the BOM; coordinates kept with their role', async () => {
    const file = write('a.csv', excelCsvUtf8([header, [1, 'Đình "Cổ", Bắc Ninh', 106.1, 21.2]]));
    const ds = await openCsv('a', file, 'a.csv', {});
    expect(ds.encoding).to.deep.equal({ source: BYTE_ORDER_MARK, value: 'UTF-8', encoding: 'utf-8' });
    expect(ds.rawNames).to.equal(true);
    const [f] = await all(ds);
    const names = Object.keys(f.properties).map((k) => decodeText(Buffer.from(k, 'latin1'), 'utf-8'));
    expect(names).to.deep.equal(header);
    const cell = f.properties[Buffer.from('Tên điểm').toString('latin1')] as RawText;
    expect(decodeText(cell.bytes, 'utf-8')).to.equal('Đình "Cổ", Bắc Ninh');
    expect(f.geometry).to.deep.equal({ type: 'Point', coordinates: [106.1, 21.2] });
    expect([...ds.declaredColumns!.values()]).to.deep.equal([{ role: 'x' }, { role: 'y' }]);
    expect(f.properties[Buffer.from('Kinh độ').toString('latin1')]).to.equal(106.1);
  });

  it('decides UTF-8 after a BOM whatever the text scores, and never proposes a legacy code page', () => {
    // Even bytes that only TCVN3 reads as Vietnamese: the BOM is the writer's word, and detection does not overrule it.
    const samples = ['Xã Tân Tiến', 'Chùa Dâu', 'Đồng Kỳ'].map((t) => encodeText(t, 'tcvn3'));
    const decision = decideEncoding({ source: BYTE_ORDER_MARK, value: 'UTF-8', encoding: 'utf-8' }, samples, undefined);
    expect(decision).to.deep.include({ status: 'resolved', encoding: 'utf-8', reason: null });
    expect(decision.notes.join())
      .to.match(/byte-order mark/)
      .and.not.match(/given by the uploader/);
  });

  it("keeps a settled encoding when the confirmation repeats it, and takes any other answer as the uploader's", () => {
    const bom = { rawText: true, encoding: { source: BYTE_ORDER_MARK, value: 'UTF-8', encoding: 'utf-8' } };
    const samples = [Buffer.from('Chùa Dâu')];
    const settled = decideEncoding(bom.encoding, samples, undefined);
    expect(confirmEncoding(settled, bom, samples, 'UTF8')).to.equal(settled);
    expect(confirmEncoding(settled, bom, samples, undefined)).to.equal(settled);
    expect(confirmEncoding(settled, bom, samples, 'tcvn3')).to.deep.include({ status: 'resolved', encoding: 'tcvn3' });
    expect(confirmEncoding(settled, bom, samples, 'tcvn3').notes).to.include('encoding given by the uploader: tcvn3');
    const unicode = unicodeText('GeoJSON');
    expect(confirmEncoding(unicode, { rawText: false, encoding: null }, [], 'vni')).to.equal(unicode);
  });

  it('finds the coordinate columns of a legacy-encoded header by their decoded names', async () => {
    const file = write(
      'b.csv',
      excelCsvLegacy(
        [
          ['STT', 'Tên', 'kinh độ', 'vĩ độ'],
          [1, 'Chùa Dâu', 106.1, 21.2],
        ],
        'tcvn3',
      ),
    );
    const ds = await openCsv('b', file, 'b.csv', {});
    expect(ds.encoding).to.equal(null);
    expect(ds.notes[0]).to.match(/x = "kinh độ", y = "vĩ độ"/);
  });

  it('finds coordinate columns under the names survey tables use', () => {
    const cases: Array<[string[], [string, string]]> = [
      [
        ['X', 'Y'],
        ['X', 'Y'],
      ],
      [
        ['kinh_do', 'vi_do'],
        ['kinh_do', 'vi_do'],
      ],
      [
        ['Kinh độ', 'Vĩ độ'],
        ['Kinh độ', 'Vĩ độ'],
      ],
      [
        ['long', 'lat'],
        ['long', 'lat'],
      ],
      [
        ['Longitude', 'Latitude'],
        ['Longitude', 'Latitude'],
      ],
      [
        ['lon', 'lat'],
        ['lon', 'lat'],
      ],
      [
        ['Easting', 'Northing'],
        ['Easting', 'Northing'],
      ],
    ];
    for (const [names, [x, y]] of cases)
      expect(detectCoordinateColumns(['STT', ...names, 'Ghi chú']), names.join()).to.include({ x, y });
  });
});

describe('upload fidelity: column types and empty values', () => {
  const stats = (values: unknown[], typedText: boolean, declared?: { type?: 'date' | 'datetime'; role?: 'x' | 'y' }) => {
    const m = new Map<string, ColumnStats>();
    for (const v of values) observe(m, 'c', v as never, typedText, declared);
    return m;
  };

  it('keeps a declared date or datetime type when every value is a date, and falls back to text otherwise', () => {
    const midnight = new Date(Date.UTC(2024, 0, 1));
    const noon = new Date(Date.UTC(2024, 0, 1, 12));
    expect(inferType(stats([midnight, null], false, { type: 'date' }).get('c')!)).to.equal('date');
    expect(inferType(stats([midnight], false, { type: 'datetime' }).get('c')!)).to.equal('datetime');
    expect(inferType(stats([null, null], false, { type: 'date' }).get('c')!)).to.equal('date');
    expect(inferType(stats([midnight, 'not a date'], false, { type: 'date' }).get('c')!)).to.equal('string');
    expect(inferType(stats([midnight, noon], false).get('c')!)).to.equal('datetime');
  });

  it('stores a date as its calendar day, whatever the time zone', () => {
    expect(coerce(new Date(Date.UTC(2019, 4, 21)), 'date')).to.equal('2019-05-21');
    expect(coerce(new Date(Date.UTC(2023, 10, 2, 8, 30)), 'datetime')).to.equal('2023-11-02T08:30:00.000Z');
  });

  it('keeps "" in text columns and makes it null in others; an empty CSV cell types nothing', () => {
    expect(coerce('', 'string')).to.equal('');
    expect(coerce('', 'integer')).to.equal(null);
    expect(coerce(' ', 'date')).to.equal(null);
    expect(inferType(stats([new RawText(Buffer.from('7')), ''], true).get('c')!)).to.equal('integer');
  });

  it('marks coordinate columns with their role and a description', () => {
    const [plan] = planColumns(stats([1.5], true, { role: 'x' }));
    expect(plan).to.deep.include({ role: 'x', type: 'number' });
    expect(plan.description).to.match(/Coordinate X as recorded in the file/);
  });

  it('says nothing was given by the uploader for formats whose text is Unicode', () => {
    expect(unicodeText('KML')).to.deep.include({
      status: 'not_needed',
      encoding: 'utf-8',
      notes: ['KML text is Unicode by definition'],
    });
  });
});
