/**
 * Ownership by token id, and internal table names that cannot collide.
 *
 * Owners were recorded by token name, which is not unique: a second token with the same name inherited the first
 * one's layers and jobs. `layer_catalog.owner` and `upload_jobs.owner` now hold the owning token's id. An existing
 * name is mapped where the answer is unambiguous: the token that published the layer (its latest `publish` audit
 * row), else the only token with that name; otherwise the owner is cleared, which leaves the layer to admins.
 *
 * The previous version of an uploaded layer was kept as `<live>__prev` and staging tables were `upl_stage_<job>_<n>`,
 * both of which a layer id could reach (`x__prev`, `stage_...`). Previous versions move to `upl$prev$<id>`; layer ids
 * cannot contain `$` (see layerIdPattern), so no live table `upl_<id>` can meet them. Staging tables of the old pattern
 * that no layer uses are dropped (the server was stopped for the migration, so no job is running).
 */
import type { Knex } from 'knex';

/** Maps name owners to token ids, renames kept previous versions, drops old-pattern staging tables. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    UPDATE layer_catalog c SET owner = coalesce(
      (SELECT a.token_id FROM audit_log a
        WHERE a.layer_id = c.id AND a.action = 'publish' AND a.token_id IS NOT NULL AND a.actor = c.owner
        ORDER BY a.id DESC LIMIT 1),
      (SELECT min(t.id) FROM api_tokens t WHERE t.name = c.owner HAVING count(*) = 1))
     WHERE c.owner IS NOT NULL AND c.owner NOT IN (SELECT id FROM api_tokens)`);
  await knex.raw(`COMMENT ON COLUMN layer_catalog.owner IS 'id of the owning token (api_tokens.id); NULL: admins only'`);

  await knex.raw(`
    UPDATE upload_jobs SET report = report || jsonb_build_object('owner', token_id, 'ownerName', owner), owner = token_id
     WHERE token_id IS NOT NULL AND owner IS DISTINCT FROM token_id`);
  await knex.raw(`COMMENT ON COLUMN upload_jobs.owner IS 'id of the token that started the job (api_tokens.id)'`);

  const previous = (await knex.raw(`SELECT p.layer_id, p.catalog_row->>'source_table' AS source_table FROM layer_previous p`))
    .rows as Array<{
    layer_id: string;
    source_table: string | null;
  }>;
  for (const p of previous) {
    if (!p.source_table) continue;
    const legacy = `${p.source_table}__prev`;
    const exists = (await knex.raw('SELECT to_regclass(?) IS NOT NULL AS e', [`"${legacy.replace(/"/g, '""')}"`])).rows[0]
      .e as boolean;
    if (exists) await knex.raw('ALTER TABLE ?? RENAME TO ??', [legacy, `upl$prev$${p.layer_id}`]);
  }

  const staging = (
    await knex.raw(
      `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename ~ '^upl_stage_[0-9a-f]{8}_[0-9]+$'
          AND tablename NOT IN (SELECT source_table FROM layer_catalog)`,
    )
  ).rows as Array<{ tablename: string }>;
  for (const s of staging) await knex.raw('DROP TABLE IF EXISTS ??', [s.tablename]);
}

/** Ownership cannot be mapped back to names reliably; previous versions get their old names again. */
export async function down(knex: Knex): Promise<void> {
  const previous = (await knex.raw(`SELECT layer_id, catalog_row->>'source_table' AS source_table FROM layer_previous`))
    .rows as Array<{
    layer_id: string;
    source_table: string | null;
  }>;
  for (const p of previous) {
    const current = `upl$prev$${p.layer_id}`;
    const exists = (await knex.raw('SELECT to_regclass(?) IS NOT NULL AS e', [`"${current}"`])).rows[0].e as boolean;
    if (exists && p.source_table) await knex.raw('ALTER TABLE ?? RENAME TO ??', [current, `${p.source_table}__prev`]);
  }
}
