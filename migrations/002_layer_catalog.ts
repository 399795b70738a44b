/**
 * The layer catalog: the one registry of layers at run time. Built-in definitions from `layers/*.json`
 * are applied into it at start; uploaded layers live only here.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('layer_catalog', (t) => {
    t.string('id', 63).primary();
    t.text('title').notNullable();
    t.text('title_vi');
    t.text('description').notNullable().defaultTo('');
    t.specificType('keywords', 'text[]').notNullable().defaultTo('{}');
    t.string('layer_group', 32).notNullable(); // basemap | landuse | industry | telecom | other
    t.text('source_table').notNullable();
    t.string('geometry_type', 32).notNullable(); // Point | LineString | Polygon (Multi* stored as the base type)
    t.integer('srid').notNullable().defaultTo(4326);
    t.text('source_crs'); // CRS of the original data (e.g. "EPSG:9214"), kept from uploads
    t.jsonb('columns').notNullable(); // [{name, type, label: {en, vi}}]
    t.integer('minzoom').notNullable().defaultTo(0);
    t.integer('maxzoom').notNullable().defaultTo(22);
    t.jsonb('style').notNullable().defaultTo('{}');
    t.jsonb('tile_options').notNullable().defaultTo('{}'); // simplification, label/cluster settings, cache-control
    t.text('attribution').notNullable().defaultTo('');
    t.text('licence').notNullable().defaultTo('');
    t.string('access', 16).notNullable().defaultTo('public'); // public | restricted
    t.string('origin', 16).notNullable().defaultTo('builtin'); // builtin | upload
    t.text('owner');
    t.integer('sort_order').notNullable().defaultTo(100);
    t.integer('data_version').notNullable().defaultTo(1);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    `ALTER TABLE layer_catalog ADD CONSTRAINT layer_catalog_access_check CHECK (access IN ('public', 'restricted'))`,
  );
  // Every instance reloads its catalog when any of them (or a psql session) changes a layer.
  await knex.raw(`
    CREATE OR REPLACE FUNCTION layer_catalog_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('layer_catalog_changed', TG_OP);
      RETURN NULL;
    END $$`);
  await knex.raw(`
    CREATE TRIGGER layer_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON layer_catalog
    FOR EACH STATEMENT EXECUTE FUNCTION layer_catalog_notify()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('layer_catalog');
  await knex.raw('DROP FUNCTION IF EXISTS layer_catalog_notify()');
}
