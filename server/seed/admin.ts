/**
 * Real administrative units: the 2009 commune polygons of Bắc Giang and (pre-2025) Bắc Ninh
 * (censusVN2009, MIT; copies in layers/data/), dissolved in PostGIS into districts and provinces.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Feature, FeatureCollection, Polygon } from 'geojson';
import { loadCrosswalk } from '../units/crosswalk-file.ts';
import { outlinePartsTable, outlineTable, type Sql } from './sql.ts';

/** The source files, in id order (Bắc Giang first). */
export const communeFiles = ['bac_giang_communes_2009.geojson', 'bac_ninh_pre2025_communes_2009.geojson'];

/** Written on every administrative unit: these are not today's (post-2025) units. */
export const vintage = '2009 boundaries, pre-2025 names';

/** The last day of the old units: on 1 July 2025 the provinces merged and the districts were abolished. */
export const oldUnitsValidTo = '2025-06-30';

/** The first day of today's units (the new Bắc Ninh province and its 99 communes and wards). */
export const newUnitsValidFrom = '2025-07-01';

/** Written on today's units: drawn from the 2009 boundaries, so approximate (docs/DATA-UNITS.md). */
export const newUnitsVintage = 'units of 2025-07-01, drawn from 2009 boundaries';

/** The properties of a commune feature in the source files. */
export interface CommuneProperties {
  code: string | null;
  name: string;
  full_name: string;
  type: string | null;
  district_code: string;
  district_name: string;
  district_full_name: string;
  province_code: string;
  province_name: string;
  population_2009: number | null;
  area_ha_2009: number | null;
}

/** Reads the commune features from `dataDir` (layers/data). */
export function loadCommunes(dataDir: string): Array<Feature<Polygon, CommuneProperties>> {
  return communeFiles.flatMap((file) => {
    const fc = JSON.parse(fs.readFileSync(path.join(dataDir, file), 'utf8')) as FeatureCollection<Polygon, CommuneProperties>;
    return fc.features;
  });
}

/** "Huyện Yên Thế" with name "Yên Thế" -> "Huyện". */
function unitType(fullName: string, name: string): string {
  return fullName.endsWith(name) ? fullName.slice(0, fullName.length - name.length).trim() : fullName;
}

/** SQL of a polygonal geometry without interior rings: slivers left between the thinned communes. */
const withoutHoles = (expr: string) =>
  `(SELECT ST_Multi(ST_Collect(ST_MakePolygon(ST_ExteriorRing(d.geom)) ORDER BY d.path)) FROM ST_Dump(${expr}) d)`;

/** oldUnitsValidTo as an SQL literal (a constant of ours, not input). */
const oldUnitsEnd = `DATE '${oldUnitsValidTo}'`;

/**
 * Fills admin_communes (with the unit of today each lies in), admin_districts, admin_provinces and
 * admin_provinces_2025 (today's province), and creates the temporary outline
 * tables (the union of both provinces) that every generated layer is clipped to.
 */
export async function seedAdmin(sql: Sql, dataDir: string): Promise<void> {
  const features = loadCommunes(dataDir);
  // The crosswalk (layers/data, scripts/build-crosswalk.ts) gives each commune its 2025-03-01 code and the unit of
  // today it lies in; written with the row, since an UPDATE would move rows that later steps read in heap order.
  const crosswalk = loadCrosswalk(dataDir);
  const unitName = new Map(crosswalk.units_2025.map((u) => [u.code, u.full_name]));
  const links = new Map(crosswalk.communes_2009.map((c) => [c.id, c]));
  const rows = features.map((f, i) => {
    const link = links.get(i + 1);
    if (!link || link.full_name !== f.properties.full_name)
      throw new Error(`crosswalk: commune ${i + 1} ${f.properties.full_name} is not listed`);
    return {
      id: i + 1,
      ...f.properties,
      code: link.code_2025_03,
      now_code: link.new_code,
      now_name: unitName.get(link.new_code),
      match_rule: link.rule,
      geometry: f.geometry,
    };
  });
  // The thinned polygons overlap their neighbours a little (0.6 % of the area): a sliver claimed by two communes
  // stays with the one listed first, so units dissolved from them (districts, the units of 2025) never overlap.
  // Each is cut against the raw polygons before it (row order does not matter); ST_ReducePrecision on the 1e-7
  // grid keeps the 6-decimal source vertices and snaps the new ones, which keeps later unions robust.
  await sql(
    `INSERT INTO admin_communes (id, code, name, full_name, type, district_code, district_name, province_code,
       province_name, population_2009, area_ha_2009, vintage, valid_to, now_code, now_name, match_rule, geom)
     WITH r AS MATERIALIZED (
       SELECT r.*, ST_Multi(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(r.geometry::text), 4326))) AS geom
       FROM jsonb_to_recordset(?::jsonb) AS r(id int, code text, name text, full_name text, type text,
         district_code text, district_name text, province_code text, province_name text,
         population_2009 int, area_ha_2009 numeric, now_code text, now_name text, match_rule text, geometry jsonb))
     SELECT r.id, r.code, r.name, r.full_name, r.type, r.district_code, r.district_name, r.province_code,
       r.province_name, r.population_2009, r.area_ha_2009, ?::text, ${oldUnitsEnd}, r.now_code, r.now_name, r.match_rule,
       coalesce((SELECT ST_Multi(ST_CollectionExtract(ST_ReducePrecision(ST_Difference(r.geom, ST_Union(u.geom)), 1e-7), 3))
                 FROM r u WHERE u.id < r.id AND u.geom && r.geom AND ST_Relate(u.geom, r.geom, '2********')), r.geom)
     FROM r ORDER BY r.id`,
    [JSON.stringify(rows), vintage],
  );

  const districts = new Map<
    string,
    { code: string; name: string; full_name: string; type: string; province_code: string; province_name: string }
  >();
  for (const f of features) {
    const p = f.properties;
    districts.set(p.district_code, {
      code: p.district_code,
      name: p.district_name,
      full_name: p.district_full_name,
      type: unitType(p.district_full_name, p.district_name),
      province_code: p.province_code,
      province_name: p.province_name,
    });
  }
  await sql(
    `INSERT INTO admin_districts (id, code, name, full_name, type, province_code, province_name,
       population_2009, area_ha_2009, vintage, valid_to, geom)
     SELECT row_number() OVER (ORDER BY d.code)::int, d.code, d.name, d.full_name, d.type, d.province_code,
       d.province_name, u.population, u.area_ha, ?::text, ${oldUnitsEnd}, ${withoutHoles('u.geom')}
     FROM jsonb_to_recordset(?::jsonb) AS d(code text, name text, full_name text, type text,
       province_code text, province_name text)
     JOIN (SELECT district_code, sum(population_2009)::int AS population, sum(area_ha_2009) AS area_ha,
             ST_Union(geom) AS geom
           FROM admin_communes GROUP BY district_code) u ON u.district_code = d.code`,
    [vintage, JSON.stringify([...districts.values()])],
  );

  await sql(
    `INSERT INTO admin_provinces (id, code, name, full_name, type, population_2009, area_ha_2009, vintage, valid_to, geom)
     SELECT row_number() OVER (ORDER BY province_code)::int, province_code, min(province_name),
       'Tỉnh ' || min(province_name), 'Tỉnh', sum(population_2009)::int, sum(area_ha_2009), ?::text, ${oldUnitsEnd},
       ${withoutHoles('ST_Union(geom)')}
     FROM admin_communes GROUP BY province_code`,
    [vintage],
  );

  // The clip outline: both provinces as one (the merged Bắc Ninh of 2025). Slivers along their common
  // border stay outside it, so "inside a province" and "inside the outline" are the same test.
  await sql(`CREATE TEMP TABLE ${outlineTable} ON COMMIT DROP AS SELECT ST_Union(geom) AS geom FROM admin_provinces`);
  await sql(
    `CREATE TEMP TABLE ${outlinePartsTable} ON COMMIT DROP AS
     SELECT ST_Subdivide(geom, 128) AS geom FROM ${outlineTable}`,
  );
  await sql(`CREATE INDEX ON ${outlinePartsTable} USING gist (geom)`);

  // Today's province (code 24, Bắc Ninh, from 2025-07-01) is the union of both old ones: the outline itself.
  await sql(
    `INSERT INTO admin_provinces_2025 (id, code, name, full_name, type, population_2009, area_ha_2009, vintage, valid_from, geom)
     SELECT 1, '24', 'Bắc Ninh', 'Tỉnh Bắc Ninh', 'Tỉnh', (SELECT sum(population_2009)::int FROM admin_provinces),
       (SELECT sum(area_ha_2009) FROM admin_provinces), ?::text, ?::date, ST_Multi(o.geom)
     FROM ${outlineTable} o`,
    [newUnitsVintage, newUnitsValidFrom],
  );
}
