import { expect } from 'chai';
import pg from 'pg';
import { forEachBackend, testConfig } from '../support/servers.ts';
import { serverDatabaseUrl } from '../support/environment.ts';
import { openDatabase, type Database } from '../../server/db/database.ts';
import { migrateLatest } from '../../server/db/migrate.ts';
import { applyLayerDefinitions } from '../../server/catalog/catalog.ts';
import { loadLayerDefinitions } from '../../server/catalog/definition.ts';
import { demoTables, hasDemoData, seedDemo } from '../../server/seed/demo.ts';
import * as demoMigration from '../../migrations/003_demo_tables.ts';
import { apportion } from '../../server/seed/bts.ts';
import { distanceM, meander, type LonLat } from '../../server/seed/lines.ts';
import { landUseCodes, weightTable } from '../../server/seed/landuse-codes.ts';
import { zones } from '../../server/seed/industrial.ts';
import { Random } from '../../server/seed/random.ts';

/** Rows and a checksum of every geometry (WKB) and every attribute, in id order, per demo table. */
async function fingerprint(db: Database): Promise<Record<string, { n: number; geom: string; attrs: string }>> {
  const out: Record<string, { n: number; geom: string; attrs: string }> = {};
  for (const t of demoTables) {
    const [r] = await db.rows<{ n: number; geom: string; attrs: string }>(
      `SELECT count(*)::int AS n,
         md5(coalesce(string_agg(encode(ST_AsBinary(geom), 'hex'), ',' ORDER BY id), '')) AS geom,
         md5(coalesce(string_agg((to_jsonb(t) - 'geom')::text, ',' ORDER BY id), '')) AS attrs
       FROM "${t}" t`,
    );
    out[t] = r;
  }
  return out;
}

/** Every demo table has live rows and no dead ones (the seed vacuums what its UPDATEs and a reseed's DELETE leave). */
async function expectNoDeadRows(db: Database): Promise<void> {
  const rows = await db.rows<{ relname: string; dead: number; live: number }>(
    'SELECT relname, n_dead_tup::int AS dead, n_live_tup::int AS live FROM pg_stat_user_tables WHERE relname = ANY(?)',
    [[...demoTables]],
  );
  expect(rows.map((r) => r.relname).sort()).to.deep.equal([...demoTables].sort());
  for (const r of rows) {
    expect(r.live, `live rows of ${r.relname}`).to.be.greaterThan(0);
    expect(r.dead, `dead rows of ${r.relname}`).to.equal(0);
  }
}

describe('demo data generators (pure parts)', () => {
  it('repeats the same random sequence for the same seed, and another for another seed', () => {
    const take = (r: Random) => Array.from({ length: 5 }, () => r.next());
    expect(take(new Random('road:QL1'))).to.deep.equal(take(new Random('road:QL1')));
    expect(take(new Random('road:QL1'))).to.not.deep.equal(take(new Random('road:QL31')));
    for (const u of take(new Random(7))) expect(u).to.be.within(0, 1 - Number.EPSILON);
  });

  it('apportions stations in whole numbers that sum to the total, in proportion to the weights', () => {
    const counts = apportion([1, 1, 2, 0, 6], 21);
    expect(counts.reduce((a, b) => a + b, 0)).to.equal(21);
    expect(counts[3]).to.equal(0);
    expect(counts[4]).to.be.within(12, 13);
    expect(apportion([1, 1, 1], 2)).to.deep.equal([1, 1, 0]); // ties go to the earlier commune
  });

  it('meanders a line through its waypoints without straying more than the amplitude allows', () => {
    const points: LonLat[] = [
      [106.0, 21.0],
      [106.1, 21.05],
      [106.2, 21.0],
    ];
    const line = meander(points, new Random('test'), 0.05, 200);
    expect(line[0]).to.deep.equal(points[0]);
    expect(line[line.length - 1]).to.deep.equal(points[2]);
    // Points of the first leg (up to the middle waypoint) stay within amplitude * (1 + 1/2 + 1/3) of the
    // leg length from the straight leg; 20 % slack for the flat-earth distance.
    const leg = distanceM(points[0], points[1]);
    const middle = line.findIndex((p) => p[0] === points[1][0] && p[1] === points[1][1]);
    expect(middle, 'the middle waypoint is kept').to.be.greaterThan(0);
    for (const p of line.slice(0, middle)) {
      const t = (p[0] - points[0][0]) / (points[1][0] - points[0][0]);
      const onLeg: LonLat = [points[0][0] + t * 0.1, points[0][1] + t * 0.05];
      expect(distanceM(p, onLeg)).to.be.below(leg * 0.05 * (11 / 6) * 1.2);
    }
  });

  it('draws land-use codes from intervals that cover [0, 1) in every zone, with every code named', () => {
    const known = new Set(landUseCodes.map((c) => c.code));
    const byZone = new Map<string, Array<{ lo: number; hi: number; code: string }>>();
    for (const r of weightTable()) byZone.set(r.zone, [...(byZone.get(r.zone) ?? []), r]);
    for (const [zone, rows] of byZone) {
      expect(rows[0].lo, zone).to.equal(0);
      rows.slice(1).forEach((r, i) => expect(r.lo, zone).to.equal(rows[i].hi));
      expect(rows[rows.length - 1].hi, zone).to.be.at.least(1);
      for (const r of rows) expect(known.has(r.code), `${zone} ${r.code}`).to.equal(true);
    }
  });

  it('lists fewer parks than clusters, about 30 clusters, all names unique', () => {
    const all = zones();
    const parks = all.filter((z) => z.kind === 'park');
    const clusters = all.filter((z) => z.kind === 'cluster');
    expect(parks.length).to.be.lessThan(clusters.length);
    expect(clusters.length).to.be.within(25, 35);
    expect(new Set(all.map((z) => z.name)).size).to.equal(all.length);
  });
});

// A reseed on a server deletes the old rows (server/seed/demo.ts), so the new ones land wherever the free space map puts
// them, and the tables have statistics: scans return rows in another order and plans change. Every unordered
// aggregate or tie of the seed then shows: two reseeds of the same scale gave different parcels (vertices, communes,
// numbers, codes) from each other and from the first seed. Checked in a database of its own, seeded three times.
if (serverDatabaseUrl)
  describe('demo data seed on a PostgreSQL server, seeded again over its own data', function () {
    this.timeout(600_000);
    const scale = 0.25;
    const name = `sdi_seed_test_${process.pid}`;
    const admin = new pg.Client({ connectionString: serverDatabaseUrl });
    let db: Database | undefined;

    before(async () => {
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(serverDatabaseUrl);
      url.pathname = `/${name}`;
      db = await openDatabase(testConfig('server', { databaseUrl: url.toString() }));
    });
    after(async () => {
      await db?.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    });

    it('gives the same rows, geometries and attributes as the first seed, every time', async () => {
      await seedDemo(db!, { scale });
      const first = await fingerprint(db!);
      for (const round of [2, 3]) {
        await seedDemo(db!, { scale });
        const again = await fingerprint(db!);
        for (const t of demoTables) expect(again[t], `${t} after seed ${round}`).to.deep.equal(first[t]);
      }
    });

    it('leaves no dead rows behind, though a reseed on a server deletes the old rows rather than truncating them', async () => {
      await expectNoDeadRows(db!);
    });
  });

describe('demo data seed on a fresh embedded database', function () {
  this.timeout(600_000);
  // Small enough to seed twice quickly on the embedded build, large enough to have every zone kind.
  const scale = 0.1;
  let db: Database;

  before(async () => {
    db = await openDatabase(testConfig('embedded', { dataDir: 'memory://' }));
    await applyLayerDefinitions(db, loadLayerDefinitions(testConfig('embedded').layersDir));
  });
  after(async () => db?.close());

  it('reports no demo data before the first seed', async () => {
    expect(await hasDemoData(db)).to.equal(false);
  });

  it('gives the same counts and the same geometry and attribute checksums when seeded twice at one scale', async () => {
    const first = await seedDemo(db, { scale });
    const a = await fingerprint(db);
    const second = await seedDemo(db, { scale });
    const b = await fingerprint(db);
    expect(second.counts).to.deep.equal(first.counts);
    expect(b).to.deep.equal(a);
    expect(await hasDemoData(db)).to.equal(true);
    for (const t of demoTables) expect(a[t].n, `rows in ${t}`).to.be.greaterThan(0);
  });

  it('leaves no dead rows behind (the seed updates every row it wrote, and a reseed deletes the old ones)', async () => {
    await expectNoDeadRows(db);
  });

  it('scales the parcels and BTS stations with the scale (about 20,000 and 2,000 per unit)', async () => {
    const [r] = await db.rows<{ parcels: number; bts: number }>(
      'SELECT (SELECT count(*) FROM landuse_parcels)::int AS parcels, (SELECT count(*) FROM bts_stations)::int AS bts',
    );
    expect(r.parcels).to.be.within(20_000 * scale * 0.85, 20_000 * scale * 1.15);
    expect(r.bts).to.equal(2_000 * scale);
  });

  it('bumps data_version of every seeded layer, so tile caches drop', async () => {
    const rows = await db.rows<{ id: string; data_version: number }>(
      'SELECT id, data_version FROM layer_catalog WHERE origin = ? ORDER BY id',
      ['builtin'],
    );
    expect(rows.length).to.be.greaterThan(0);
    for (const r of rows) expect(r.data_version, r.id).to.equal(3); // 1 at insert, +1 per seed
  });

  it('runs the migrations again without error, including the demo tables migration itself', async () => {
    expect(await migrateLatest(db.knex)).to.deep.equal([]);
    await demoMigration.up(db.knex);
    expect(await hasDemoData(db)).to.equal(true);
  });
});

forEachBackend('demo data seed', (server) => {
  const db = () => server().ctx.db;

  it('dissolves the communes into 10 + 8 districts and 2 provinces', async () => {
    const rows = await db().rows<{ province_code: string; n: number }>(
      'SELECT province_code, count(*)::int AS n FROM admin_districts GROUP BY province_code ORDER BY province_code',
    );
    expect(rows).to.deep.equal([
      { province_code: '24', n: 10 },
      { province_code: '27', n: 8 },
    ]);
    const provinces = await db().rows<{ code: string; name: string; population_2009: number }>(
      'SELECT code, name, population_2009 FROM admin_provinces ORDER BY code',
    );
    // Census 2009 totals of the source files.
    expect(provinces).to.deep.equal([
      { code: '24', name: 'Bắc Giang', population_2009: 1_522_360 },
      { code: '27', name: 'Bắc Ninh', population_2009: 916_123 },
    ]);
  });

  it('keeps all 358 communes with their vintage', async () => {
    const [r] = await db().rows<{ n: number; vintages: string[] }>(
      'SELECT count(*)::int AS n, array_agg(DISTINCT vintage) AS vintages FROM admin_communes',
    );
    expect(r.n).to.equal(358);
    expect(r.vintages).to.deep.equal(['2009 boundaries, pre-2025 names']);
  });

  it('puts every demo feature inside the dissolved provinces (1e-6 degree tolerance)', async () => {
    for (const t of demoTables) {
      const [r] = await db().rows<{ outside: number }>(
        `WITH o AS (SELECT ST_Buffer(ST_Union(geom), 0.000001) AS geom FROM admin_provinces)
         SELECT count(*)::int AS outside FROM "${t}" f, o WHERE NOT ST_Covers(o.geom, f.geom)`,
      );
      expect(r.outside, `features of ${t} outside the province`).to.equal(0);
    }
  });

  it('tiles the province with parcels that never overlap one another', async () => {
    const [r] = await db().rows<{ overlaps: number; invalid: number }>(
      `SELECT (SELECT count(*) FROM landuse_parcels a JOIN landuse_parcels b
                 ON a.id < b.id AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********'))::int AS overlaps,
              (SELECT count(*) FROM landuse_parcels WHERE NOT ST_IsValid(geom))::int AS invalid`,
    );
    expect(r).to.deep.equal({ overlaps: 0, invalid: 0 });
  });

  it('covers nearly all of the province with parcels (only border corner cuts are left out)', async () => {
    const [r] = await db().rows<{ share: number }>(
      `SELECT (SELECT sum(ST_Area(geom)) FROM landuse_parcels) / (SELECT ST_Area(ST_Union(geom)) FROM admin_provinces) AS share`,
    );
    expect(r.share).to.be.within(0.97, 1.0000001);
  });

  it('never lets industrial zones overlap, and makes parks larger and fewer than clusters', async () => {
    const [r] = await db().rows<{ overlaps: number; parks: number; clusters: number; park_ha: number; cluster_ha: number }>(
      `SELECT (SELECT count(*) FROM industrial_zones a JOIN industrial_zones b
                 ON a.id < b.id AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********'))::int AS overlaps,
              count(*) FILTER (WHERE kind = 'park')::int AS parks, count(*) FILTER (WHERE kind = 'cluster')::int AS clusters,
              avg(area_ha) FILTER (WHERE kind = 'park') AS park_ha, avg(area_ha) FILTER (WHERE kind = 'cluster') AS cluster_ha
       FROM industrial_zones`,
    );
    expect(r.overlaps).to.equal(0);
    expect(r.parks).to.be.lessThan(r.clusters);
    expect(r.park_ha).to.be.greaterThan(r.cluster_ha * 3);
  });

  it('makes land-use codes plausible: paddy widespread, forest in Sơn Động, orchards in Lục Ngạn, industry in parks', async () => {
    const share = async (code: string, district?: string) => {
      const [r] = await db().rows<{ share: number }>(
        `SELECT sum(area_m2) FILTER (WHERE code = ?) / sum(area_m2) AS share FROM landuse_parcels
         WHERE ?::text IS NULL OR district_name = ?`,
        [code, district ?? null, district ?? null],
      );
      return r.share ?? 0;
    };
    expect((await share('LUC')) + (await share('LUK'))).to.be.greaterThan(0.2);
    expect((await share('RSX', 'Sơn Động')) + (await share('RPH', 'Sơn Động'))).to.be.greaterThan(0.4);
    expect(await share('CLN', 'Lục Ngạn')).to.be.greaterThan(0.25);
    const [p] = await db().rows<{ share: number }>(
      `SELECT avg((code = 'SKK')::int)::float8 AS share FROM landuse_parcels l
       WHERE EXISTS (SELECT 1 FROM industrial_zones z WHERE z.kind = 'park' AND ST_Intersects(z.geom, ST_PointOnSurface(l.geom)))`,
    );
    expect(p.share).to.be.greaterThan(0.7);
  });

  it('draws only codes of the legend, rice land as LUC or LUK and never the group code LUA', async () => {
    const known = new Set(landUseCodes.map((c) => c.code));
    const rows = await db().rows<{ code: string; name_vi: string }>(
      'SELECT DISTINCT code, name_vi FROM landuse_parcels ORDER BY code',
    );
    for (const r of rows) expect(known.has(r.code), r.code).to.equal(true);
    expect(rows.map((r) => r.code)).to.include.members(['LUC', 'LUK', 'ODT', 'ONT', 'RSX', 'SKK', 'DGT', 'SON']);
    expect(rows.map((r) => r.code)).to.not.include('LUA');
    expect(rows.find((r) => r.code === 'LUC')?.name_vi).to.equal('Đất chuyên trồng lúa nước');
    expect(rows.find((r) => r.code === 'LUK')?.name_vi).to.equal('Đất trồng lúa nước còn lại');
  });

  it('gives wards a larger share of urban land (ODT) and smaller parcels than rural communes', async () => {
    const rows = await db().rows<{ ward: boolean; odt: number; mean_m2: number }>(
      `SELECT c.type = 'Phường' AS ward, sum(l.area_m2) FILTER (WHERE l.code = 'ODT') / sum(l.area_m2) AS odt,
         avg(l.area_m2) AS mean_m2
       FROM landuse_parcels l JOIN admin_communes c ON c.code = l.commune_code
       WHERE c.type IN ('Phường', 'Xã') GROUP BY 1 ORDER BY 1`,
    );
    const [rural, ward] = rows;
    expect(ward.odt).to.be.greaterThan(0.2);
    expect(ward.odt).to.be.greaterThan(rural.odt * 5);
    expect(ward.mean_m2).to.be.lessThan(rural.mean_m2 / 2);
  });

  it('covers the north-east hills (Sơn Động, Lục Ngạn, Lục Nam) with forest far more than the rest', async () => {
    const [r] = await db().rows<{ hills: number; rest: number }>(
      `SELECT sum(area_m2) FILTER (WHERE code IN ('RSX', 'RPH') AND hills) / sum(area_m2) FILTER (WHERE hills) AS hills,
              sum(area_m2) FILTER (WHERE code IN ('RSX', 'RPH') AND NOT hills) / sum(area_m2) FILTER (WHERE NOT hills) AS rest
       FROM (SELECT *, district_name IN ('Sơn Động', 'Lục Ngạn', 'Lục Nam') AS hills FROM landuse_parcels) l`,
    );
    expect(r.hills).to.be.greaterThan(0.3);
    expect(r.hills).to.be.greaterThan(r.rest * 3);
  });

  it('bounds parcels by the main roads: only road and river parcels cross them, and every DGT parcel is on a road', async () => {
    const [r] = await db().rows<{ crossed: number; dgt_off_road: number }>(
      // A road may graze a parcel by a centimetre where the corridor was cut at the province border.
      `SELECT (SELECT count(*) FROM landuse_parcels l JOIN roads r ON r.class IN ('national', 'provincial') AND r.geom && l.geom
                 AND ST_Relate(l.geom, r.geom, '1********') WHERE l.code NOT IN ('DGT', 'SON', 'DTL')
                 AND ST_Length(ST_Intersection(l.geom, r.geom)::geography) > 1)::int AS crossed,
              (SELECT count(*) FROM landuse_parcels l WHERE l.code = 'DGT'
                 AND NOT EXISTS (SELECT 1 FROM roads r WHERE ST_DWithin(r.geom, l.geom, 0.0005)))::int AS dgt_off_road`,
    );
    expect(r).to.deep.equal({ crossed: 0, dgt_off_road: 0 });
  });

  it('places more BTS stations per km² in wards and towns than in rural communes', async () => {
    const rows = await db().rows<{ urban: boolean; per_km2: number }>(
      `SELECT urban, sum(n) / sum(km2) AS per_km2 FROM (
         SELECT c.type IN ('Phường', 'Thị trấn') AS urban, ST_Area(c.geom::geography) / 1e6 AS km2,
           (SELECT count(*) FROM bts_stations b WHERE ST_Intersects(c.geom, b.geom)) AS n
         FROM admin_communes c WHERE c.type IS NOT NULL) x
       GROUP BY urban ORDER BY urban`,
    );
    expect(rows[1].per_km2).to.be.greaterThan(rows[0].per_km2 * 2);
  });

  it('puts most industrial parks beside a national road and more BTS stations along roads than away from them', async () => {
    const [z] = await db().rows<{ share: number }>(
      `SELECT avg((EXISTS (SELECT 1 FROM roads r WHERE r.class = 'national' AND ST_DWithin(r.geom::geography, z.geom::geography, 1000)))::int)::float8
         AS share FROM industrial_zones z WHERE z.kind = 'park'`,
    );
    expect(z.share).to.be.greaterThan(0.5);
    const [b] = await db().rows<{ near: number }>(
      `SELECT avg((EXISTS (SELECT 1 FROM roads r WHERE ST_DWithin(r.geom, b.geom, 0.0007)))::int)::float8 AS near FROM bts_stations b`,
    );
    expect(b.near).to.be.greaterThan(0.3); // a 70 m band along the roads is a few per cent of the province
  });

  it('fills name_search without diacritics', async () => {
    const rows = await db().rows<{ name: string }>(`SELECT name FROM places WHERE name_search = ? ORDER BY id`, ['bac giang']);
    expect(rows.map((r) => r.name)).to.include('Bắc Giang');
    const [r] = await db().rows<{ missing: number }>(
      `SELECT (SELECT count(*) FROM roads WHERE name_search IS NULL) + (SELECT count(*) FROM admin_communes WHERE name_search IS NULL)
         + (SELECT count(*) FROM industrial_zones WHERE name_search IS NULL) AS missing`,
    );
    expect(Number(r.missing)).to.equal(0);
  });

  it('runs the migrations again without error', async () => {
    expect(await migrateLatest(db().knex)).to.deep.equal([]);
    expect(await migrateLatest(db().knex)).to.deep.equal([]);
  });
});
