/**
 * Three database-side helpers that act at write time rather than at the next periodic check:
 *
 * 1. `sdi_native_box(g, srid, domain)`: the box of an EPSG:4326 geometry in a source table's own SRID, for the index
 *    test of a query or filter on a table read in place (server/sql/native.ts). The envelope is grown by 1 % of its
 *    span and densified (32 segments a side) before the transform, so the transformed box surely covers the geometry:
 *    a straight edge of the 4326 box becomes a curve in a projected CRS, and the sagitta of a chord of 1/32 of the
 *    span stays far below 1 % of the span for any span under a few degrees. Only inside `domain` (around the table's
 *    data) is the transform trusted: a box beyond it (the whole world into a TM zone fails or folds over) gives a box
 *    holding everything, so the answer stays right and only the index is not used. IMMUTABLE: a literal is folded once.
 *
 * 2. Event triggers on DDL: a DROP, ALTER or CREATE of a table or view that a source layer reads (server/sources/)
 *    raises NOTIFY layer_catalog_changed, so the catalog re-checks its sources at once and the tile fast path stops
 *    serving cached tiles of a table that is gone (503 naming the layer) instead of waiting for SOURCE_CHECK_SECONDS.
 *    Event triggers need a superuser: without one the migration says so and the periodic check remains.
 *
 * 3. `commune_code_2025` / `commune_name_2025` of parcels, industrial zones and BTS stations set at write time: a
 *    BEFORE INSERT OR UPDATE OF geom trigger takes the unit of 1 July 2025 holding a point on the record's surface
 *    (the nearest unit when none holds it), the rule of server/seed/commune-codes.ts, so a record added or moved
 *    through the edit API carries its commune at once. An UPDATE that leaves the geometry as it was keeps the codes.
 *    A bulk load that computes the codes in one pass afterwards may skip it: SET LOCAL sdi.commune_codes_deferred = 'on'.
 */
import type { Knex } from 'knex';

/** The tables whose records carry today's commune (migration 013). */
const communeTables = ['landuse_parcels', 'industrial_zones', 'bts_stations'];

const eventTriggers = ['sdi_source_ddl_drop', 'sdi_source_ddl_end'];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION sdi_native_box(g geometry, srid integer, domain geometry) RETURNS geometry
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT CASE
          WHEN ST_Envelope(g) @ domain THEN
            ST_Transform(
              ST_Segmentize(
                ST_Expand(ST_Envelope(g), GREATEST(ST_XMax(g) - ST_XMin(g), ST_YMax(g) - ST_YMin(g), 1e-7) / 100),
                GREATEST(ST_XMax(g) - ST_XMin(g), ST_YMax(g) - ST_YMin(g), 1e-7) / 32),
              srid)
          ELSE ST_MakeEnvelope(-1e15, -1e15, 1e15, 1e15, srid)
        END
      $$`);

  // Any failure inside is swallowed: an event trigger that raises would abort the DDL of other programs.
  await knex.raw(`
    CREATE OR REPLACE FUNCTION sdi_source_ddl_notify() RETURNS event_trigger LANGUAGE plpgsql AS $$
    DECLARE
      hit boolean := false;
    BEGIN
      BEGIN
        IF TG_EVENT = 'sql_drop' THEN
          SELECT EXISTS (
            SELECT 1 FROM pg_event_trigger_dropped_objects() d
              JOIN layer_catalog c ON c.origin = 'source'
               AND c.source_schema = d.address_names[1] AND c.source_table = d.address_names[2]
             WHERE d.object_type IN ('table', 'view', 'materialized view', 'table column', 'view column')) INTO hit;
        ELSE
          SELECT EXISTS (
            SELECT 1 FROM pg_event_trigger_ddl_commands() d
              JOIN layer_catalog c ON c.origin = 'source'
               AND d.objid = to_regclass(format('%I.%I', c.source_schema, c.source_table))) INTO hit;
        END IF;
        IF hit THEN
          PERFORM pg_notify('layer_catalog_changed', 'source ddl');
        END IF;
      EXCEPTION WHEN OTHERS THEN
        NULL;
      END;
    END $$`);
  await knex.raw(`
    DO $$
    BEGIN
      DROP EVENT TRIGGER IF EXISTS sdi_source_ddl_drop;
      DROP EVENT TRIGGER IF EXISTS sdi_source_ddl_end;
      CREATE EVENT TRIGGER sdi_source_ddl_drop ON sql_drop EXECUTE FUNCTION sdi_source_ddl_notify();
      CREATE EVENT TRIGGER sdi_source_ddl_end ON ddl_command_end
        WHEN TAG IN ('ALTER TABLE', 'ALTER VIEW', 'ALTER MATERIALIZED VIEW', 'CREATE TABLE', 'CREATE TABLE AS',
                     'CREATE VIEW', 'CREATE MATERIALIZED VIEW', 'SELECT INTO')
        EXECUTE FUNCTION sdi_source_ddl_notify();
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'not a superuser: source tables are re-checked every SOURCE_CHECK_SECONDS only (no DDL event triggers)';
    END $$`);

  await knex.raw(`
    CREATE OR REPLACE FUNCTION sdi_commune_code_2025() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      p geometry;
    BEGIN
      -- A bulk load that sets every code in one pass afterwards (the demo seed) says so for its transaction.
      IF current_setting('sdi.commune_codes_deferred', true) = 'on' THEN
        RETURN NEW;
      END IF;
      IF NEW.geom IS NULL THEN
        NEW.commune_code_2025 := NULL;
        NEW.commune_name_2025 := NULL;
        RETURN NEW;
      END IF;
      IF TG_OP = 'UPDATE' AND OLD.geom IS NOT NULL AND ST_AsEWKB(NEW.geom) = ST_AsEWKB(OLD.geom) THEN
        RETURN NEW;
      END IF;
      p := ST_PointOnSurface(NEW.geom);
      SELECT u.code, u.name INTO NEW.commune_code_2025, NEW.commune_name_2025
        FROM admin_communes_2025 u WHERE u.geom && p AND ST_Intersects(u.geom, p) ORDER BY u.code LIMIT 1;
      IF NOT FOUND THEN
        SELECT u.code, u.name INTO NEW.commune_code_2025, NEW.commune_name_2025
          FROM admin_communes_2025 u ORDER BY ST_Distance(u.geom, p), u.code LIMIT 1;
      END IF;
      RETURN NEW;
    END $$`);
  for (const t of communeTables) {
    await knex.raw(`DROP TRIGGER IF EXISTS sdi_commune_code_2025 ON "${t}"`);
    await knex.raw(
      `CREATE TRIGGER sdi_commune_code_2025 BEFORE INSERT OR UPDATE OF geom ON "${t}" FOR EACH ROW EXECUTE FUNCTION sdi_commune_code_2025()`,
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const t of communeTables) await knex.raw(`DROP TRIGGER IF EXISTS sdi_commune_code_2025 ON "${t}"`);
  await knex.raw('DROP FUNCTION IF EXISTS sdi_commune_code_2025()');
  for (const e of eventTriggers) {
    await knex.raw(`DO $$ BEGIN DROP EVENT TRIGGER IF EXISTS ${e}; EXCEPTION WHEN insufficient_privilege THEN NULL; END $$`);
  }
  await knex.raw('DROP FUNCTION IF EXISTS sdi_source_ddl_notify()');
  await knex.raw('DROP FUNCTION IF EXISTS sdi_native_box(geometry, integer, geometry)');
}
