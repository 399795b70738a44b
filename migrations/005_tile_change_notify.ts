/**
 * The trigger function behind area invalidation of cached tiles: after any INSERT, UPDATE or DELETE
 * statement on a layer table it sends NOTIFY tile_changes with the table and the EPSG:4326 extent of the
 * rows before and after. Statement-level with transition tables, so a bulk load sends one message.
 * Triggers are attached per layer table by the tile service (`ensureChangeTriggers`), as tables come and go.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION sdi_tile_change_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      b box2d;
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('tile_changes', json_build_object('table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA, 'bbox', NULL)::text);
        RETURN NULL;
      ELSIF TG_OP = 'INSERT' THEN
        SELECT ST_Extent(geom) INTO b FROM sdi_new_rows;
      ELSIF TG_OP = 'DELETE' THEN
        SELECT ST_Extent(geom) INTO b FROM sdi_old_rows;
      ELSE
        SELECT ST_Extent(geom) INTO b FROM (SELECT geom FROM sdi_old_rows UNION ALL SELECT geom FROM sdi_new_rows) changed;
      END IF;
      IF b IS NOT NULL THEN
        PERFORM pg_notify('tile_changes', json_build_object(
          'table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA,
          'bbox', json_build_array(ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)))::text);
      END IF;
      RETURN NULL;
    END $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION IF EXISTS sdi_tile_change_notify() CASCADE');
}
