/**
 * Layers read in place from tables already in PostGIS (origin 'source'): the catalog row names the schema, the
 * primary key (integer or text) and the geometry column of the table, its SRID (the existing `srid` column), and a
 * cache TTL for tables that cannot take our triggers. `sdi_source_change_notify(geom_column, srid)` is 005's change
 * function for such tables: the geometry column has any name and SRID, so the extent is transformed to EPSG:4326.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE layer_catalog
      ADD COLUMN IF NOT EXISTS source_schema text,
      ADD COLUMN IF NOT EXISTS id_column text,
      ADD COLUMN IF NOT EXISTS id_type text,
      ADD COLUMN IF NOT EXISTS geom_column text,
      ADD COLUMN IF NOT EXISTS cache_ttl_seconds integer,
      ADD COLUMN IF NOT EXISTS column_sources jsonb`);
  await knex.raw(`
    CREATE OR REPLACE FUNCTION sdi_source_change_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      b box2d;
      g text := quote_ident(TG_ARGV[0]);
      srid int := TG_ARGV[1]::int;
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('tile_changes', json_build_object('table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA, 'bbox', NULL)::text);
        RETURN NULL;
      ELSIF TG_OP = 'INSERT' THEN
        EXECUTE format('SELECT ST_Extent(%s) FROM sdi_new_rows', g) INTO b;
      ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT ST_Extent(%s) FROM sdi_old_rows', g) INTO b;
      ELSE
        EXECUTE format('SELECT ST_Extent(%1$s) FROM (SELECT %1$s FROM sdi_old_rows UNION ALL SELECT %1$s FROM sdi_new_rows) c', g) INTO b;
      END IF;
      IF b IS NOT NULL THEN
        IF srid <> 4326 THEN
          b := ST_Transform(ST_SetSRID(b::geometry, srid), 4326)::box2d;
        END IF;
        PERFORM pg_notify('tile_changes', json_build_object(
          'table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA,
          'bbox', json_build_array(ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)))::text);
      END IF;
      RETURN NULL;
    END $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION IF EXISTS sdi_source_change_notify() CASCADE');
  await knex.raw(`
    ALTER TABLE layer_catalog DROP COLUMN IF EXISTS source_schema, DROP COLUMN IF EXISTS id_column,
      DROP COLUMN IF EXISTS id_type, DROP COLUMN IF EXISTS geom_column, DROP COLUMN IF EXISTS cache_ttl_seconds,
      DROP COLUMN IF EXISTS column_sources`);
}
