/**
 * The units of 1 July 2025 next to the 2009 ones: validity dates on the administrative tables, today's province
 * (`admin_provinces_2025`), the 99 new communes and wards (`admin_communes_2025`), the official old -> new mapping (`admin_unit_mapping`, codes of
 * 2025-03-01 -> codes of 2025-07-01), the new unit each 2009 commune lies in now, and the `now_in` of a search hit.
 * Filled by server/seed/units.ts from layers/data/ (see docs/DATA-UNITS.md).
 */
import type { Knex } from 'knex';

/** The administrative tables that get a validity interval (dates, inclusive; null = open). */
const adminTables = ['admin_provinces', 'admin_districts', 'admin_communes'];

/** Adds validity, the new-unit columns of the 2009 communes, the 2025 units and the mapping. */
export async function up(knex: Knex): Promise<void> {
  for (const t of adminTables) {
    await knex.raw(`ALTER TABLE "${t}" ADD COLUMN IF NOT EXISTS valid_from date, ADD COLUMN IF NOT EXISTS valid_to date`);
  }
  // The new unit a 2009 commune lies in now (for drawing: a commune is assigned wholly to one unit), and the
  // crosswalk rule that linked it (code, name+type, name, name part, neighbour).
  await knex.raw(`ALTER TABLE admin_communes ADD COLUMN IF NOT EXISTS now_code text, ADD COLUMN IF NOT EXISTS now_name text,
    ADD COLUMN IF NOT EXISTS match_rule text`);
  // Today's province: a layer of its own, so the historical admin_provinces keeps its two rows.
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS admin_provinces_2025 (
      id integer PRIMARY KEY,
      code text NOT NULL,
      name text NOT NULL,
      full_name text NOT NULL,
      type text NOT NULL,
      population_2009 integer,
      area_ha_2009 numeric,
      vintage text NOT NULL,
      valid_from date,
      valid_to date,
      name_search text,
      geom geometry(MultiPolygon, 4326) NOT NULL
    )`);
  await knex.raw('CREATE INDEX IF NOT EXISTS admin_provinces_2025_geom_idx ON admin_provinces_2025 USING gist (geom)');
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS admin_communes_2025 (
      id integer PRIMARY KEY,
      code text NOT NULL UNIQUE,
      name text NOT NULL,
      full_name text NOT NULL,
      type text NOT NULL,
      province_code text NOT NULL,
      province_name text NOT NULL,
      old_codes text NOT NULL,
      approximate boolean NOT NULL,
      method text NOT NULL,
      vintage text NOT NULL,
      valid_from date,
      valid_to date,
      name_search text,
      geom geometry(MultiPolygon, 4326) NOT NULL
    )`);
  await knex.raw('CREATE INDEX IF NOT EXISTS admin_communes_2025_geom_idx ON admin_communes_2025 USING gist (geom)');
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS admin_unit_mapping (
      old_code text NOT NULL,
      old_full_name text NOT NULL,
      new_code text NOT NULL,
      new_full_name text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('full', 'partial')),
      PRIMARY KEY (old_code, new_code)
    )`);
  await knex.raw('CREATE INDEX IF NOT EXISTS admin_unit_mapping_new_code_idx ON admin_unit_mapping (new_code)');
  await knex.raw('ALTER TABLE search_index ADD COLUMN IF NOT EXISTS now_in jsonb');
}

/** Drops what up() added. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE search_index DROP COLUMN IF EXISTS now_in');
  await knex.raw('DROP TABLE IF EXISTS admin_unit_mapping');
  await knex.raw('DROP TABLE IF EXISTS admin_communes_2025');
  await knex.raw('DROP TABLE IF EXISTS admin_provinces_2025');
  await knex.raw(
    'ALTER TABLE admin_communes DROP COLUMN IF EXISTS now_code, DROP COLUMN IF EXISTS now_name, DROP COLUMN IF EXISTS match_rule',
  );
  for (const t of adminTables)
    await knex.raw(`ALTER TABLE "${t}" DROP COLUMN IF EXISTS valid_from, DROP COLUMN IF EXISTS valid_to`);
}
