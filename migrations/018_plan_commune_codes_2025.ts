/**
 * Today's commune on the parcels of the land-use plan, so the plan's conversions can be read per unit of 1 July 2025
 * (`GET|POST /query/conversions`, server/query/conversions.ts): `landuse_plan_2030` gets `commune_code_2025` and
 * `commune_name_2025`, filled like those of the current parcels (server/seed/commune-codes.ts, ST_PointOnSurface),
 * and the view `landuse_plan_2030_changes` gains the two columns at its end (a view may only grow at the end).
 */
import type { Knex } from 'knex';
import { refreshCommuneCodes } from '../server/seed/commune-codes.ts';
import { sqlOf } from '../server/seed/sql.ts';

/** The view of migration 014, grouped by today's commune too when `with2025`. */
function viewSql(with2025: boolean): string {
  const extra = with2025 ? ', commune_code_2025, commune_name_2025' : '';
  return `
    CREATE OR REPLACE VIEW landuse_plan_2030_changes AS
    SELECT district_name, commune_name, commune_code, current_code, code AS planned_code,
      round((sum(area_m2) / 10000)::numeric, 2) AS area_ha, count(*)::int AS parcels${extra}
    FROM landuse_plan_2030 WHERE changed
    GROUP BY district_name, commune_name, commune_code, current_code, code${extra}`;
}

/** Adds the columns and their index, fills them, and widens the view. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    'ALTER TABLE landuse_plan_2030 ADD COLUMN IF NOT EXISTS commune_code_2025 text, ADD COLUMN IF NOT EXISTS commune_name_2025 text',
  );
  await knex.raw('CREATE INDEX IF NOT EXISTS landuse_plan_2030_commune_code_2025_idx ON landuse_plan_2030 (commune_code_2025)');
  await refreshCommuneCodes(sqlOf(knex), ['landuse_plan_2030']);
  await knex.raw(viewSql(true));
}

/** Puts the view of migration 014 back and drops the columns. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP VIEW IF EXISTS landuse_plan_2030_changes');
  await knex.raw(viewSql(false));
  await knex.raw(
    'ALTER TABLE landuse_plan_2030 DROP COLUMN IF EXISTS commune_code_2025, DROP COLUMN IF EXISTS commune_name_2025',
  );
}
