/**
 * The layers' own tables get `geom_3857`, their geometry in Web Mercator generated from `geom`, with a GiST index
 * (server/sql/tile-geometry.ts): tiles read it instead of transforming every feature. The demo tables (migrations 003,
 * 009 and 014) and every uploaded layer's table; tables read in place are never altered. Uploads after this one create
 * the column with the table (server/upload/stage.ts). Adding it rewrites each table once (the scale-10 demo: 3.3 s).
 */
import type { Knex } from 'knex';
import { addTileGeometrySql, tileGeometryColumn } from '../server/sql/tile-geometry.ts';
import { quoteIdent } from '../server/sql/identifiers.ts';

/** The tables of the built-in layers, created by migrations 003, 009 and 014. */
const builtinTables = [
  'admin_provinces',
  'admin_districts',
  'admin_communes',
  'landuse_parcels',
  'industrial_zones',
  'rivers',
  'roads',
  'places',
  'bts_stations',
  'post_offices',
  'admin_provinces_2025',
  'admin_communes_2025',
  'landuse_plan_2030',
  'transport_plan',
];

/** Our tables that exist now and have a `geom` column: the built-in ones and the uploads' (current and previous). */
async function ownTables(knex: Knex): Promise<string[]> {
  const uploads = (await knex.raw(`SELECT source_table AS name FROM layer_catalog WHERE origin = 'upload'`)).rows as Array<{
    name: string;
  }>;
  const names = [...new Set([...builtinTables, ...uploads.map((u) => u.name)])];
  // The kept previous versions of uploads too (upl$prev$<id>, server/upload/table-names.ts): a rollback brings them back.
  const rows = (
    await knex.raw(
      `SELECT c.relname::text AS name FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'geom' AND NOT a.attisdropped
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
          AND (c.relname = ANY (?::text[]) OR starts_with(c.relname::text, 'upl$prev$'))`,
      [names],
    )
  ).rows as Array<{ name: string }>;
  return rows.map((r) => r.name);
}

export async function up(knex: Knex): Promise<void> {
  for (const table of await ownTables(knex)) {
    for (const sql of addTileGeometrySql(quoteIdent(table), table)) await knex.raw(sql);
    // The rewrite leaves the new column without statistics, and counts as no change to autovacuum: the planner would
    // guess the selectivity of every tile's index test until something else analysed the table.
    await knex.raw(`ANALYZE ${quoteIdent(table)} (${quoteIdent(tileGeometryColumn)})`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of await ownTables(knex))
    await knex.raw(`ALTER TABLE ${quoteIdent(table)} DROP COLUMN IF EXISTS ${quoteIdent(tileGeometryColumn)}`);
}
