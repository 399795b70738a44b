/**
 * The search index of /search: one row per named feature of a layer, with its name folded for diacritic-insensitive
 * matching (normalizeSearchText, computed in Node) and its bbox (EPSG:4326). Rebuilt per layer by the search
 * service whenever the layer's data_version or updated_at differs from what was indexed.
 */
import type { Knex } from 'knex';

/** Creates search_index (folded names and bboxes of named features) and search_index_state (what was indexed). */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE search_index (
      layer_id text NOT NULL,
      feature_id integer NOT NULL,
      name text NOT NULL,
      full_name text,
      name_norm text NOT NULL,
      full_norm text NOT NULL DEFAULT '',
      minx float8 NOT NULL,
      miny float8 NOT NULL,
      maxx float8 NOT NULL,
      maxy float8 NOT NULL,
      PRIMARY KEY (layer_id, feature_id)
    )`);
  // Prefix matches ("bac g%") use this; infix matches scan, which is fine for the named features of a province.
  await knex.raw('CREATE INDEX search_index_name_norm ON search_index (name_norm text_pattern_ops)');
  await knex.raw(`
    CREATE TABLE search_index_state (
      layer_id text PRIMARY KEY,
      data_version integer NOT NULL,
      updated_at timestamptz NOT NULL,
      rows integer NOT NULL,
      built_at timestamptz NOT NULL DEFAULT now()
    )`);
}

/** Drops both tables; the next start re-creates and the search service refills them. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS search_index_state');
  await knex.raw('DROP TABLE IF EXISTS search_index');
}
