/**
 * Uploaded and in-place layers got the column default maxzoom 22, which TileJSON then announced: clients asked for
 * empty detail instead of overzooming. They now get 18 (server/catalog/definition.ts `dataLayerMaxzoom`).
 */
import type { Knex } from 'knex';

/** Lowers the maxzoom of non-built-in layers left at the old default, and the default itself. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`UPDATE layer_catalog SET maxzoom = 18 WHERE origin <> 'builtin' AND maxzoom = 22`);
  await knex.raw('ALTER TABLE layer_catalog ALTER COLUMN maxzoom SET DEFAULT 18');
}

/** Puts the old column default back (the lowered maxzooms stay: 18 is as valid as 22). */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE layer_catalog ALTER COLUMN maxzoom SET DEFAULT 22');
}
