import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import proj4 from 'proj4';
import {
  CRS84,
  CRS84_URI,
  SUPPORTED_CRS,
  UnknownCrsError,
  VN2000_CRS,
  VN2000_TM3_CRS,
  VN2000_TOWGS84,
  crsBySrid,
  crsFromPrj,
  crsUri,
  detectSwappedAxes,
  foldPlaceName,
  isInsideVietnam,
  needsAxisSwap,
  parseCrsUri,
  proj4Transformer,
  suggestVn2000Crs,
  tm3ZoneOfProvince,
  type Position,
} from '../../server/crs/index.ts';
import { parseWkt, WktSyntaxError } from '../../server/crs/wkt.ts';
import { vn2000SpatialRefSysRows } from '../../server/crs/spatial-ref-sys.ts';

const fixtures = path.resolve(import.meta.dirname, '..', 'fixtures', 'crs');
const prj = (name: string) => fs.readFileSync(path.join(fixtures, name), 'utf8');

/** One row of vn2000-control-points.csv: WGS 84 and its VN-2000 equivalents, computed with PROJ 9.1.1 (EPSG:6960). */
interface ControlPoint {
  wgs84: Position;
  expected: Record<number, Position>;
}

const controlPoints: ControlPoint[] = prj('vn2000-control-points.csv')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const v = line.split(',').map(Number);
    return {
      wgs84: [v[0], v[1]],
      expected: { 4756: [v[2], v[3]], 9214: [v[4], v[5]], 9209: [v[6], v[7]], 5897: [v[8], v[9]], 3405: [v[10], v[11]] },
    };
  });

const CHECKED_SRIDS = [4756, 9214, 9209, 5897, 3405];

/** Distance in metres between two positions of a CRS (degrees are converted on the WGS 84 ellipsoid near Vietnam). */
function metres(srid: number, a: Position, b: Position): number {
  if (crsBySrid(srid).kind === 'projected') return Math.hypot(a[0] - b[0], a[1] - b[1]);
  const lat = (a[1] * Math.PI) / 180;
  // Metres per degree at this latitude on WGS 84 (meridian and parallel), good to 0.1 % for the tolerances used.
  const mLat = 111132.92 - 559.82 * Math.cos(2 * lat);
  const mLon = 111412.84 * Math.cos(lat) - 93.5 * Math.cos(3 * lat);
  return Math.hypot((a[0] - b[0]) * mLon, (a[1] - b[1]) * mLat);
}

describe('CRS registry', () => {
  it('lists CRS84, EPSG:4326, 3857, 4756, 3405, 3406 and the 18 VN-2000 TM-3 zones', () => {
    const codes = SUPPORTED_CRS.map((c) => c.code);
    expect(codes.slice(0, 7)).to.deep.equal([
      'OGC:CRS84',
      'EPSG:4326',
      'EPSG:3857',
      'EPSG:4756',
      'EPSG:3405',
      'EPSG:3406',
      'EPSG:5896',
    ]);
    expect(VN2000_TM3_CRS.map((c) => c.srid)).to.deep.equal([
      5896,
      5897,
      5898,
      5899,
      ...Array.from({ length: 14 }, (_, i) => 9205 + i),
    ]);
  });

  it('gives every TM-3 zone k = 0.9999, false easting 500 000 m and its central meridian', () => {
    const cms = Object.fromEntries(VN2000_TM3_CRS.map((c) => [c.srid, c.centralMeridian]));
    expect(cms).to.deep.equal({
      5896: 102,
      5897: 105,
      5898: 108,
      5899: 107.75,
      9205: 103,
      9206: 104,
      9207: 104.5,
      9208: 104.75,
      9209: 105.5,
      9210: 105.75,
      9211: 106,
      9212: 106.25,
      9213: 106.5,
      9214: 107,
      9215: 107.25,
      9216: 107.5,
      9217: 108.25,
      9218: 108.5,
    });
    for (const c of VN2000_TM3_CRS) {
      expect(c.proj4).to.contain(`+lon_0=${c.centralMeridian} `).and.contain('+k=0.9999 ').and.contain('+x_0=500000 ');
    }
    expect(crsBySrid(9214).title).to.equal('VN-2000 / TM-3 107-00');
    expect(crsBySrid(5897).title).to.equal('VN-2000 / TM-3 zone 482');
  });

  it('gives every VN-2000 CRS the position-vector towgs84 of EPSG:6960', () => {
    expect(VN2000_TOWGS84).to.equal('-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278');
    expect(VN2000_CRS).to.have.length(21);
    for (const c of VN2000_CRS) expect(c.proj4).to.contain(`+towgs84=${VN2000_TOWGS84} `);
  });

  it('parses OGC URIs, URNs, CURIEs and CRS84 spellings', () => {
    expect(parseCrsUri('http://www.opengis.net/def/crs/EPSG/0/9214').srid).to.equal(9214);
    expect(parseCrsUri('https://www.opengis.net/def/crs/EPSG/0/4756').srid).to.equal(4756);
    expect(parseCrsUri('EPSG:9214').srid).to.equal(9214);
    expect(parseCrsUri('epsg:3405').srid).to.equal(3405);
    expect(parseCrsUri('[EPSG:9209]').srid).to.equal(9209);
    expect(parseCrsUri('urn:ogc:def:crs:EPSG::5897').srid).to.equal(5897);
    expect(parseCrsUri('urn:ogc:def:crs:EPSG:9.9.1:3857').srid).to.equal(3857);
    for (const s of [
      CRS84_URI,
      'https://www.opengis.net/def/crs/OGC/1.3/CRS84',
      'urn:ogc:def:crs:OGC:1.3:CRS84',
      'OGC:CRS84',
      'CRS84',
      '[OGC:CRS84]',
    ]) {
      expect(parseCrsUri(s), s).to.equal(CRS84);
    }
  });

  it('throws UnknownCrsError naming the value for unknown, deprecated and hostile CRS values', () => {
    for (const bad of [
      'EPSG:2154',
      'http://www.opengis.net/def/crs/EPSG/0/999999',
      'EPSG:6957',
      "EPSG:4326'; DROP TABLE x; --",
      '',
      '9214',
      'EPSG:',
    ]) {
      let err: unknown;
      try {
        parseCrsUri(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).to.be.instanceOf(UnknownCrsError);
      expect((err as UnknownCrsError).value).to.equal(bad);
      expect((err as Error).message).to.contain(`"${bad}"`);
    }
    expect(() => parseCrsUri('EPSG:6957')).to.throw(/deprecated by EPSG, use EPSG:5897/);
    expect(() => crsBySrid(2154)).to.throw(UnknownCrsError);
  });

  it('builds the EPSG URI of an SRID', () => {
    expect(crsUri(9214)).to.equal('http://www.opengis.net/def/crs/EPSG/0/9214');
    expect(crsUri(4326)).to.equal('http://www.opengis.net/def/crs/EPSG/0/4326');
    expect(() => crsUri(1234)).to.throw(UnknownCrsError, /"1234"/);
  });

  it('swaps axes for EPSG:4326 and EPSG:4756 by URI, not for CRS84 or projected CRSs', () => {
    expect(needsAxisSwap('http://www.opengis.net/def/crs/EPSG/0/4326')).to.equal(true);
    expect(needsAxisSwap('EPSG:4756')).to.equal(true);
    expect(needsAxisSwap(CRS84_URI)).to.equal(false);
    expect(needsAxisSwap(crsBySrid(9214))).to.equal(false);
    expect(needsAxisSwap('EPSG:3857')).to.equal(false);
    expect(needsAxisSwap('EPSG:3405')).to.equal(false);
  });
});

describe('VN-2000 transformations against the control points', () => {
  for (const srid of CHECKED_SRIDS) {
    it(`converts every control point from WGS 84 to EPSG:${srid} and back within 2 mm of PROJ`, () => {
      const t = proj4Transformer(4326, srid);
      let maxForward = 0;
      let maxBack = 0;
      for (const p of controlPoints) {
        maxForward = Math.max(maxForward, metres(srid, t.forward(p.wgs84), p.expected[srid]));
        maxBack = Math.max(maxBack, metres(4326, t.inverse(p.expected[srid]), p.wgs84));
      }
      expect(controlPoints).to.have.length(30);
      expect(maxForward, `max error WGS 84 -> EPSG:${srid} (m)`).to.be.below(0.002);
      expect(maxBack, `max error EPSG:${srid} -> WGS 84 (m)`).to.be.below(0.002);
    });
  }

  it('reproduces the check value of vn2000-tm3.md (21.28° N, 106.20° E in EPSG:9214)', () => {
    const [e, n] = proj4Transformer('EPSG:4326', 'http://www.opengis.net/def/crs/EPSG/0/9214').forward([106.2, 21.28]);
    expect(e).to.be.closeTo(416791.038, 0.002);
    expect(n).to.be.closeTo(2354163.553, 0.002);
  });

  it("would catch the decision's rotation signs pasted into towgs84: about 0.76 m off", () => {
    const decisionSigns = '-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278';
    const wrong = crsBySrid(9214).proj4.replace(VN2000_TOWGS84, decisionSigns);
    expect(wrong).to.not.equal(crsBySrid(9214).proj4);
    const t = proj4Transformer(4326, wrong);
    const errors = controlPoints.map((p) => metres(9214, t.forward(p.wgs84), p.expected[9214]));
    expect(Math.min(...errors)).to.be.above(0.6);
    expect(Math.max(...errors)).to.be.below(0.9);
    const [e, n] = t.forward([106.2, 21.28]);
    expect(e).to.be.closeTo(416791.766, 0.01);
    expect(n).to.be.closeTo(2354163.76, 0.01);
  });

  it('would catch a missing datum shift: about 220 m off', () => {
    const t = proj4Transformer(4326, crsBySrid(9214).proj4.replace(`+towgs84=${VN2000_TOWGS84} `, ''));
    const err = metres(9214, t.forward(controlPoints[0].wgs84), controlPoints[0].expected[9214]);
    expect(err).to.be.within(200, 240);
  });

  it('goes to Web Mercator and treats CRS84 and EPSG:4326 alike in proj4 order', () => {
    const [x, y] = proj4Transformer(CRS84, 3857).forward([106.2, 21.28]);
    // PROJ 9.1.1 cs2cs EPSG:4326 EPSG:3857 of 21.28° N, 106.2° E.
    expect(x).to.be.closeTo(11822129.9222, 0.001);
    expect(y).to.be.closeTo(2425297.0842, 0.001);
    expect(proj4Transformer(CRS84, 'EPSG:4326').forward([106.2, 21.28])).to.deep.equal([106.2, 21.28]);
  });

  it('agrees with proj4js given the same definitions directly', () => {
    const direct = proj4('EPSG:4326', crsBySrid(9209).proj4).forward([106.05, 21.18]);
    expect(proj4Transformer(4326, 9209).forward([106.05, 21.18])).to.deep.equal(direct);
  });

  it('rejects positions that cannot be transformed with a RangeError naming them', () => {
    expect(() => proj4Transformer(4326, 9214).forward([Number.NaN, 21])).to.throw(RangeError, /NaN/);
  });
});

describe('Vietnam bounds', () => {
  it('accepts Hà Nội, Bắc Giang, Cà Mau and Phú Quốc and rejects Bangkok, Guangzhou and (0, 0)', () => {
    expect(isInsideVietnam(105.85, 21.03)).to.equal(true);
    expect(isInsideVietnam(106.2, 21.28)).to.equal(true);
    expect(isInsideVietnam(105.15, 9.18)).to.equal(true);
    expect(isInsideVietnam(103.96, 10.22)).to.equal(true);
    expect(isInsideVietnam(100.5, 13.75)).to.equal(false);
    expect(isInsideVietnam(113.26, 23.13)).to.equal(false);
    expect(isInsideVietnam(0, 0)).to.equal(false);
  });
});

describe('axis order detection', () => {
  const tm3 = controlPoints.map((p) => p.expected[9214]);
  it('sees easting first in ordinary TM-3 coordinates', () => {
    expect(detectSwappedAxes(tm3)).to.deep.include({ swapped: false, kind: 'projected' });
  });

  it('sees northing first in a Vietnamese survey table (X = northing, Y = easting)', () => {
    const d = detectSwappedAxes(tm3.map(([e, n]) => [n, e] as Position));
    expect(d).to.deep.include({ swapped: true, kind: 'projected' });
    expect(d.votes.northFirst).to.equal(30);
  });

  it('sees latitude first in degrees and says unknown for values Vietnam cannot have', () => {
    expect(detectSwappedAxes([[21.28, 106.2]])).to.deep.include({ swapped: true, kind: 'geographic' });
    expect(detectSwappedAxes([[106.2, 21.28]])).to.deep.include({ swapped: false, kind: 'geographic' });
    expect(
      detectSwappedAxes([
        [5, 5],
        [-3e7, 1],
      ]),
    ).to.deep.include({ swapped: false, kind: 'unknown' });
    expect(detectSwappedAxes([])).to.deep.include({ kind: 'unknown' });
  });
});

describe('CRS proposals for coordinates without a CRS', () => {
  const bacGiangTm3 = controlPoints.map((p) => p.expected[9214]);

  it('ranks EPSG:9214 first for Bắc Giang TM-3 coordinates and lists the other zones that land in Vietnam', () => {
    const s = suggestVn2000Crs(bacGiangTm3);
    expect(s[0].srid).to.equal(9214);
    expect(s[0].insideVietnam).to.equal(true);
    expect(s[0].reasons.join(' ')).to.contain('Bắc Giang');
    expect(s.map((c) => c.srid)).to.include.members([9209, 5897, 9213]);
    expect(s.every((c) => c.fractionInside > 0)).to.equal(true);
    for (const c of s) expect(c.score).to.be.within(0, 1);
  });

  it('ranks EPSG:9209 first for former Bắc Ninh coordinates in the 105°30′ zone', () => {
    const bacNinh: Position[] = [
      [106.07, 21.18],
      [105.95, 21.05],
      [106.25, 21.0],
    ];
    const tm3 = bacNinh.map((p) => proj4Transformer(4326, 9209).forward(p));
    expect(suggestVn2000Crs(tm3)[0].srid).to.equal(9209);
  });

  it('finds the zone through swapped survey columns and a bbox, and says the axes were swapped', () => {
    const xs = bacGiangTm3.map((p) => p[0]);
    const ys = bacGiangTm3.map((p) => p[1]);
    const swappedBbox = [Math.min(...ys), Math.min(...xs), Math.max(...ys), Math.max(...xs)] as const;
    const s = suggestVn2000Crs(swappedBbox);
    expect(s[0]).to.deep.include({ srid: 9214, axesSwapped: true });
  });

  it('follows a province hint and ranks the hinted zone first when the points fit it', () => {
    const hinted = suggestVn2000Crs(bacGiangTm3, { province: 'bac giang', preferSrids: [] });
    expect(hinted[0].srid).to.equal(9214);
    expect(tm3ZoneOfProvince('Tỉnh Bắc Ninh')?.srid).to.equal(9209);
    expect(tm3ZoneOfProvince('Thừa Thiên - Huế')?.srid).to.equal(9214);
    expect(tm3ZoneOfProvince('Atlantis')).to.equal(undefined);
    expect(foldPlaceName('Đắk Lắk')).to.equal('daklak');
  });

  it('does not let a wrong province hint outrank the zone the points actually fit', () => {
    const s = suggestVn2000Crs(bacGiangTm3, { province: 'Bắc Ninh' });
    expect(s[0].srid).to.equal(9214);
    expect(s.find((c) => c.srid === 9209)?.reasons.join(' ')).to.contain('outside Bắc Ninh');
  });

  it('proposes WGS 84 and VN-2000 geographic for degrees', () => {
    const s = suggestVn2000Crs(controlPoints.map((p) => p.wgs84));
    expect(s.map((c) => c.srid)).to.deep.equal([4326, 4756]);
  });

  it('proposes nothing for coordinates that land outside Vietnam in every zone', () => {
    expect(
      suggestVn2000Crs([
        [500000, 5_000_000],
        [510000, 5_010_000],
      ]),
    ).to.deep.equal([]);
    expect(suggestVn2000Crs([[2.35, 48.85]])).to.deep.equal([]);
  });
});

describe('CRS from .prj files', () => {
  const cases: Array<[string, number]> = [
    ['epsg9214.esri.prj', 9214],
    ['epsg9214.wkt1.prj', 9214],
    ['epsg9214.wkt2.prj', 9214],
    ['epsg9209.esri.prj', 9209],
    ['epsg9209.wkt1.prj', 9209],
    ['epsg9209.wkt2.prj', 9209],
    ['epsg5897.esri.prj', 5897],
    ['epsg5897.wkt2.prj', 5897],
    ['epsg3405.esri.prj', 3405],
    ['epsg3405.wkt1.prj', 3405],
    ['epsg3405.wkt2.prj', 3405],
    ['epsg4756.esri.prj', 4756],
    ['epsg4756.wkt1.prj', 4756],
    ['epsg4756.wkt2.prj', 4756],
    ['epsg4326.esri.prj', 4326],
    ['epsg3857.esri.prj', 3857],
  ];
  for (const [file, srid] of cases) {
    it(`recognises ${file} as EPSG:${srid}`, () => {
      const crs = crsFromPrj(prj(file));
      expect(crs?.srid).to.equal(srid);
      expect(crs?.proj4).to.equal(crsBySrid(srid).proj4);
    });
  }

  it('adds the official towgs84 when a VN-2000 .prj has none', () => {
    const crs = crsFromPrj(prj('epsg9214.esri.prj'));
    expect(crs).to.deep.include({ datum: 'VN-2000', towgs84InPrj: 'none' });
    expect(crs?.proj4).to.contain(VN2000_TOWGS84);
    expect(crs?.notes.join(' ')).to.contain('EPSG:6960');
  });

  it("replaces the decision's rotation signs in a .prj by the official towgs84", () => {
    const crs = crsFromPrj(prj('vn2000-tm3-107-decision-signs.prj'));
    expect(crs).to.deep.include({ srid: 9214, towgs84InPrj: 'decision-signs' });
    expect(crs?.proj4).to.contain(VN2000_TOWGS84);
  });

  it("recognises the datum name 'Vietnam 2000' and replaces another shift (EPSG:5194) by the official one", () => {
    const crs = crsFromPrj(prj('vn2000-tm3-105-30-vietnam-2000-name.prj'));
    expect(crs).to.deep.include({ srid: 9209, towgs84InPrj: 'other', datum: 'VN-2000' });
  });

  it('gives a proj4 string with the official shift for a VN-2000 TM-3 meridian EPSG does not list', () => {
    const crs = crsFromPrj(prj('vn2000-tm3-104-15-unlisted.prj'));
    expect(crs?.srid).to.equal(undefined);
    expect(crs?.proj4).to.equal(
      `+proj=tmerc +lat_0=0 +lon_0=104.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=${VN2000_TOWGS84} +units=m +no_defs`,
    );
    const [lon, lat] = proj4Transformer(crs!.proj4, 4326).forward([500000, 2300000]);
    expect(lon).to.be.closeTo(104.25, 0.01);
    expect(lat).to.be.closeTo(20.79, 0.01);
  });

  it('flags a TM-3 zone declared on WGS 84 as a likely VN-2000 zone without its shift', () => {
    const crs = crsFromPrj(prj('wgs84-tm3-107-lookalike.prj'));
    expect(crs).to.deep.include({ datum: 'WGS 84', vn2000Lookalike: 9214 });
    expect(crs?.srid).to.equal(undefined);
    expect(crs?.proj4).to.contain('+datum=WGS84').and.not.contain('towgs84');
    expect(crs?.notes.join(' ')).to.contain('choose EPSG:9214');
  });

  it('reads the WKT2 of a UTM zone with a bound CRS and a compound CRS around it', () => {
    const bound =
      `BOUNDCRS[SOURCECRS[${prj('epsg3405.wkt2.prj')}],` +
      'TARGETCRS[GEOGCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,298.257223563]],' +
      'CS[ellipsoidal,2],AXIS["latitude",north],AXIS["longitude",east],ANGLEUNIT["degree",0.0174532925199433]]],' +
      'ABRIDGEDTRANSFORMATION["x",METHOD["Position Vector transformation (geog2D domain)"],' +
      'PARAMETER["X-axis translation",-191.90441429]]]';
    expect(crsFromPrj(bound)?.srid).to.equal(3405);
    expect(crsFromPrj(`COMPD_CS["x",${prj('epsg9214.wkt1.prj')},VERT_CS["h",VERT_DATUM["d",2005]]]`)?.srid).to.equal(9214);
  });

  it('returns null for Hà Nội-72, garbage and hostile text', () => {
    expect(crsFromPrj(prj('hanoi72.esri.prj'))).to.equal(null);
    expect(crsFromPrj('not a prj')).to.equal(null);
    expect(crsFromPrj('')).to.equal(null);
    expect(crsFromPrj('PROJCS["x",' + '['.repeat(10_000))).to.equal(null);
    expect(crsFromPrj('GEOGCS["unclosed"')).to.equal(null);
  });

  it('reads WKT with bare words, escaped quotes and a byte-order mark', () => {
    const node = parseWkt('AXIS["say ""E""",EAST]');
    expect(node.args).to.deep.equal(['say "E"', { keyword: 'EAST', args: [] }]);
    expect(() => parseWkt('GEOGCS[1 2]')).to.throw(WktSyntaxError, /character/);
    expect(crsFromPrj('\uFEFF' + prj('epsg9214.esri.prj'))?.srid).to.equal(9214);
  });
});

describe('spatial_ref_sys rows for VN-2000', () => {
  it('has one row per VN-2000 CRS with the official TOWGS84 in srtext and proj4text', () => {
    const rows = vn2000SpatialRefSysRows();
    expect(rows.map((r) => r.srid)).to.deep.equal(VN2000_CRS.map((c) => c.srid));
    for (const r of rows) {
      expect(r.srtext).to.contain(`TOWGS84[${VN2000_TOWGS84}]`);
      expect(r.proj4text).to.contain(`+towgs84=${VN2000_TOWGS84}`);
      expect(crsFromPrj(r.srtext)?.srid, `srtext of ${r.srid} reads back`).to.equal(r.srid);
    }
  });
});
