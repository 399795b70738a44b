/**
 * Today's commune on the records of the thematic layers, and the validity columns of a layer in the catalog.
 *
 * Each land-use parcel, industrial park/cluster and BTS station gets the code and name of the commune or ward of
 * 1 July 2025 it lies in (`commune_code_2025`, `commune_name_2025`), computed spatially by the seed
 * (server/seed/commune-codes.ts) and refreshed whenever the units are rebuilt. `layer_catalog.temporal` holds a
 * layer's `temporal` declaration (which columns say from when to when a feature is valid), so the feature service
 * can answer `datetime`. A database seeded before this migration gets the codes now (the seed computes them after).
 */
import type { Knex } from 'knex';
import { refreshCommuneCodes } from '../server/seed/commune-codes.ts';
import { sqlOf } from '../server/seed/sql.ts';

/** The tables whose records carry today's commune. */
const tables = ['landuse_parcels', 'industrial_zones', 'bts_stations'];

/** Adds the columns (and an index on the code, the usual groupBy). */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE layer_catalog ADD COLUMN IF NOT EXISTS temporal jsonb');
  for (const t of tables) {
    await knex.raw(
      `ALTER TABLE "${t}" ADD COLUMN IF NOT EXISTS commune_code_2025 text, ADD COLUMN IF NOT EXISTS commune_name_2025 text`,
    );
    await knex.raw(`CREATE INDEX IF NOT EXISTS "${t}_commune_code_2025_idx" ON "${t}" (commune_code_2025)`);
  }
  await refreshCommuneCodes(sqlOf(knex), tables);
}

/** Drops what up() added. */
export async function down(knex: Knex): Promise<void> {
  for (const t of tables) {
    await knex.raw(`ALTER TABLE "${t}" DROP COLUMN IF EXISTS commune_code_2025, DROP COLUMN IF EXISTS commune_name_2025`);
  }
  await knex.raw('ALTER TABLE layer_catalog DROP COLUMN IF EXISTS temporal');
}
