/**
 * The history of single-feature edits (OGC API Features Part 4): one row per change of one feature, with the feature
 * before and after as GeoJSON (EPSG:4326) and the names of the changed keys. Versions count per layer and feature id
 * from 1; a delete is a version too (after = NULL), so a deleted feature can be restored from the version before it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feature_history', (t) => {
    t.bigIncrements('id');
    t.string('layer_id', 63).notNullable();
    t.bigInteger('fid').notNullable();
    t.integer('version').notNullable();
    t.string('action', 16).notNullable(); // create | replace | update | delete | restore
    t.string('token_id', 32); // api_tokens.id of the editor
    t.text('actor').notNullable(); // the token's name at the time
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.jsonb('before'); // the feature before the change (GeoJSON Feature), NULL for a create
    t.jsonb('after'); // the feature after the change, NULL for a delete
    t.specificType('changed', 'text[]').notNullable(); // property names, and "geometry" when it moved
    t.unique(['layer_id', 'fid', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('feature_history');
}
