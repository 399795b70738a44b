/**
 * Open data (issue 15): the metadata record of each layer (jsonb, validated by server/catalog/metadata.ts on write)
 * and the download counter per dataset and format. The counter holds numbers only: who downloaded is never stored.
 */
import type { Knex } from 'knex';

/** Adds `layer_catalog.metadata` and the `dataset_downloads` counter. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE layer_catalog ADD COLUMN IF NOT EXISTS metadata jsonb');
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS dataset_downloads (
      layer_id text NOT NULL,
      format text NOT NULL,
      downloads bigint NOT NULL DEFAULT 0,
      last_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (layer_id, format)
    )`);
}

/** Drops what up() added. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS dataset_downloads');
  await knex.raw('ALTER TABLE layer_catalog DROP COLUMN IF EXISTS metadata');
}
