/**
 * The planning maps the province says it has digitised, as demo layers (filled by server/seed/planning.ts):
 * the land-use plan 2021-2030 of Bắc Giang city, Việt Yên and Hiệp Hòa (`landuse_plan_2030`, the planned code
 * of every parcel next to its current code), the transport plan (`transport_plan`: planned and upgraded roads
 * with status and horizon year) and the post offices beside the BTS stations (`post_offices`). The view
 * `landuse_plan_2030_changes` is the conversion summary: hectares of current code -> planned code per commune.
 */
import type { Knex } from 'knex';

/** Table name -> geometry type and column definitions (SQL, after `id` and before `geom`). */
const tables: Array<{ name: string; geometry: string; columns: string[]; indexes?: string[] }> = [
  {
    name: 'landuse_plan_2030',
    geometry: 'Polygon',
    columns: [
      'parcel_id integer NOT NULL', // landuse_parcels.id of the same seed
      'parcel_no integer NOT NULL',
      'sheet_no integer NOT NULL',
      'code text NOT NULL', // planned code (2030)
      'name_vi text NOT NULL',
      'name_en text NOT NULL',
      'current_code text NOT NULL',
      'changed boolean NOT NULL',
      'area_m2 double precision NOT NULL',
      'commune_code text',
      'commune_name text NOT NULL',
      'district_name text NOT NULL',
      'plan_period text NOT NULL',
    ],
    indexes: ['code', 'current_code'],
  },
  {
    name: 'transport_plan',
    geometry: 'LineString',
    columns: [
      'name text NOT NULL',
      'ref text',
      "class text NOT NULL CHECK (class IN ('expressway', 'national', 'provincial', 'urban'))",
      "status text NOT NULL CHECK (status IN ('planned', 'upgrade'))",
      'horizon_year integer NOT NULL',
      'length_m double precision NOT NULL',
      'name_search text',
    ],
  },
  {
    name: 'post_offices',
    geometry: 'Point',
    columns: [
      'name text NOT NULL',
      "kind text NOT NULL CHECK (kind IN ('post_office', 'cultural_post'))",
      'bts_station_code text', // the station it stands beside; null where the commune has none
      'commune_name text NOT NULL',
      'district_name text NOT NULL',
      'name_search text',
    ],
  },
];

/** Creates the three tables and the conversion summary view. */
export async function up(knex: Knex): Promise<void> {
  for (const t of tables) {
    const columns = ['id integer PRIMARY KEY', ...t.columns, `geom geometry(${t.geometry}, 4326) NOT NULL`];
    await knex.raw(`CREATE TABLE IF NOT EXISTS "${t.name}" (\n  ${columns.join(',\n  ')}\n)`);
    await knex.raw(`CREATE INDEX IF NOT EXISTS "${t.name}_geom_idx" ON "${t.name}" USING gist (geom)`);
    for (const c of t.indexes ?? []) {
      await knex.raw(`CREATE INDEX IF NOT EXISTS "${t.name}_${c}_idx" ON "${t.name}" ("${c}")`);
    }
  }
  await knex.raw(`
    CREATE OR REPLACE VIEW landuse_plan_2030_changes AS
    SELECT district_name, commune_name, commune_code, current_code, code AS planned_code,
      round((sum(area_m2) / 10000)::numeric, 2) AS area_ha, count(*)::int AS parcels
    FROM landuse_plan_2030 WHERE changed
    GROUP BY district_name, commune_name, commune_code, current_code, code`);
}

/** Drops what up() created. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP VIEW IF EXISTS landuse_plan_2030_changes');
  for (const t of [...tables].reverse()) await knex.raw(`DROP TABLE IF EXISTS "${t.name}"`);
}
