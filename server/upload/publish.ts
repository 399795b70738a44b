/**
 * Publishing, rollback and removal of uploaded layers. A publish renames the staging table to the live name and
 * upserts the catalog row in ONE transaction (readers see the old or the new version, never a mix); the replaced
 * table is kept as `<table>__prev` with its catalog row in `layer_previous`, so a rollback swaps them back.
 * Every change takes a transaction-scoped advisory lock on the layer id (serialising uploads across instances)
 * and writes an audit row in the same transaction.
 */
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { recordAudit, type Actor } from '../auth/audit.ts';
import { UploadError } from './types.ts';
import type { StagedTable } from './stage.ts';
import type { LayerColumn, LayerStyle } from '../catalog/definition.ts';

/** Metadata given with an upload or a PATCH. Unset fields keep their value (or the default for a new layer). */
export interface LayerMetadata {
  title?: string;
  titleVi?: string;
  description?: string;
  keywords?: string[];
  licence?: string;
  attribution?: string;
  group?: 'basemap' | 'landuse' | 'industry' | 'telecom' | 'other';
  access?: 'public' | 'restricted';
  style?: LayerStyle;
}

/** One staged table to publish as a layer. */
export interface PublishItem {
  staged: StagedTable;
  columns: LayerColumn[];
  sourceCrs: string;
  metadata: LayerMetadata;
  /** Title of a new layer when the uploader gave none (the dataset name). */
  defaultTitle: string;
}

/** The live table name of an uploaded layer. */
export function liveTable(layerId: string): string {
  return `upl_${layerId}`;
}

const prevTable = (table: string) => `${table}__prev`;

interface CatalogRow {
  id: string;
  source_table: string;
  origin: string;
  owner: string | null;
  data_version: number;
  [key: string]: unknown;
}

/** Colours for new layers, picked by a hash of the id so a layer keeps its colour. */
const palette = ['#e41a1c', '#377eb8', '#4daf4a', '#984ea3', '#ff7f00', '#a65628', '#f781bf', '#1b9e77'];

function defaultStyle(id: string): LayerStyle {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return { type: 'single', color: palette[h % palette.length], fillOpacity: 0.4, weight: 1.5, radius: 5 };
}

async function lockLayer(trx: Knex.Transaction, layerId: string): Promise<void> {
  await trx.raw("SELECT pg_advisory_xact_lock(hashtext('sdi-layer:' || ?::text))", [layerId]);
}

async function currentRow(trx: Knex.Transaction, layerId: string): Promise<CatalogRow | undefined> {
  return (await trx.raw('SELECT * FROM layer_catalog WHERE id = ? FOR UPDATE', [layerId])).rows[0] as CatalogRow | undefined;
}

/** Throws 409 when a layer exists and may not be replaced by this upload. */
export function checkReplaceable(existing: { origin: string } | undefined, layerId: string, replace: boolean): void {
  if (!existing) return;
  if (existing.origin !== 'upload') {
    throw new UploadError(409, 'Conflict', `layer "${layerId}" is a built-in layer (layers/${layerId}.json) and cannot be replaced by an upload`);
  }
  if (!replace) throw new UploadError(409, 'Conflict', `layer "${layerId}" exists; send replace=true to replace it`);
}

/**
 * Publishes staged tables as layers in one transaction. `replace` allows replacing existing uploaded layers.
 * Returns the new data versions. On any error nothing changes (and the caller drops the staging tables).
 */
export async function publishLayers(db: Database, items: PublishItem[], replace: boolean, actor: Actor): Promise<Array<{ id: string; dataVersion: number }>> {
  const sorted = [...items].sort((a, b) => a.staged.layerId.localeCompare(b.staged.layerId)); // lock order: no deadlocks
  return db.knex.transaction(async (trx) => {
    for (const it of sorted) await lockLayer(trx, it.staged.layerId);
    const out: Array<{ id: string; dataVersion: number }> = [];
    for (const it of sorted) {
      const id = it.staged.layerId;
      const old = await currentRow(trx, id);
      checkReplaceable(old, id, replace);
      const table = liveTable(id);
      if (old) {
        await trx.raw(`DROP TABLE IF EXISTS ${quoteIdent(prevTable(old.source_table))}`);
        await trx.raw(`ALTER TABLE ${quoteIdent(old.source_table)} RENAME TO ${quoteIdent(prevTable(old.source_table))}`);
        await trx.raw(
          `INSERT INTO layer_previous (layer_id, catalog_row, saved_at) VALUES (?, ?::jsonb, now())
           ON CONFLICT (layer_id) DO UPDATE SET catalog_row = EXCLUDED.catalog_row, saved_at = now()`,
          [id, JSON.stringify(old)],
        );
      } else {
        // Leftovers of a deleted layer of the same id must not become its "previous version".
        await trx.raw(`DROP TABLE IF EXISTS ${quoteIdent(prevTable(table))}`);
        await trx('layer_previous').where({ layer_id: id }).delete();
      }
      await trx.raw(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
      await trx.raw(`ALTER TABLE ${quoteIdent(it.staged.table)} RENAME TO ${quoteIdent(table)}`);
      const m = it.metadata;
      const version = (old?.data_version ?? 0) + 1;
      const row = {
        id,
        title: m.title ?? (old?.title as string | undefined) ?? it.defaultTitle,
        title_vi: m.titleVi ?? m.title ?? (old?.title_vi as string | undefined) ?? it.defaultTitle,
        description: m.description ?? (old?.description as string | undefined) ?? '',
        keywords: m.keywords ?? (old?.keywords as string[] | undefined) ?? [],
        layer_group: m.group ?? (old?.layer_group as string | undefined) ?? 'other',
        source_table: table,
        geometry_type: it.staged.storedType.replace(/^Multi/, ''),
        srid: 4326,
        source_crs: it.sourceCrs,
        columns: JSON.stringify(it.columns),
        style: JSON.stringify(m.style ?? old?.style ?? defaultStyle(id)),
        attribution: m.attribution ?? (old?.attribution as string | undefined) ?? '',
        licence: m.licence ?? (old?.licence as string | undefined) ?? '',
        access: m.access ?? (old?.access as string | undefined) ?? 'public',
        origin: 'upload',
        owner: old?.owner ?? actor.name,
        data_version: version,
        updated_at: trx.fn.now(),
      };
      await trx('layer_catalog').insert(row).onConflict('id').merge();
      await recordAudit(trx, actor, {
        action: old ? 'replace' : 'publish',
        layerId: id,
        oldVersion: old?.data_version ?? null,
        newVersion: version,
        details: { features: it.staged.features, geometryType: it.staged.storedType, sourceCrs: it.sourceCrs },
      });
      out.push({ id, dataVersion: version });
    }
    return out;
  });
}

/** Drops staging tables left by a failed or cancelled job (outside any transaction; missing ones are fine). */
export async function dropStaging(db: Database, tables: readonly string[]): Promise<void> {
  for (const t of tables) await db.rows(`DROP TABLE IF EXISTS ${quoteIdent(t)}`);
}

/**
 * Drops staging tables a crashed process left behind (upl_stage_<job>_n): those whose job is not queued or running,
 * or has not moved for an hour. Another instance's running job keeps its tables.
 */
export async function dropOrphanStaging(db: Database): Promise<number> {
  const rows = await db.rows<{ tablename: string }>(
    `SELECT t.tablename FROM pg_tables t
      WHERE t.schemaname = current_schema() AND t.tablename LIKE 'upl\\_stage\\_%'
        AND NOT EXISTS (SELECT 1 FROM upload_jobs j
                         WHERE j.id LIKE split_part(t.tablename, '_', 3) || '%'
                           AND j.status IN ('queued', 'running') AND j.updated_at > now() - interval '1 hour')`,
  );
  await dropStaging(db, rows.map((r) => r.tablename));
  return rows.length;
}

/** Restores the previous version of an uploaded layer (the current one becomes the previous). 409 when none. */
export async function rollbackLayer(db: Database, layerId: string, actor: Actor): Promise<{ id: string; dataVersion: number }> {
  return db.knex.transaction(async (trx) => {
    await lockLayer(trx, layerId);
    const cur = await currentRow(trx, layerId);
    if (!cur) throw new UploadError(404, 'NotFound', `layer "${layerId}" does not exist`);
    if (cur.origin !== 'upload') throw new UploadError(409, 'Conflict', `layer "${layerId}" is built in; only uploaded layers have versions`);
    const prev = (await trx('layer_previous').where({ layer_id: layerId }).first()) as { catalog_row: CatalogRow } | undefined;
    const prevExists = prev && (await trx.raw('SELECT to_regclass(?) AS t', [quoteIdent(prevTable(prev.catalog_row.source_table))])).rows[0].t;
    if (!prev || !prevExists) throw new UploadError(409, 'Conflict', `layer "${layerId}" has no previous version to roll back to`);
    const live = cur.source_table;
    const swap = `${live}__swap`;
    await trx.raw(`ALTER TABLE ${quoteIdent(live)} RENAME TO ${quoteIdent(swap)}`);
    await trx.raw(`ALTER TABLE ${quoteIdent(prevTable(prev.catalog_row.source_table))} RENAME TO ${quoteIdent(live)}`);
    await trx.raw(`ALTER TABLE ${quoteIdent(swap)} RENAME TO ${quoteIdent(prevTable(live))}`);
    const p = prev.catalog_row;
    const version = cur.data_version + 1;
    await trx('layer_catalog')
      .where({ id: layerId })
      .update({
        geometry_type: p.geometry_type,
        source_crs: p.source_crs,
        columns: JSON.stringify(p.columns),
        style: JSON.stringify(p.style),
        data_version: version,
        updated_at: trx.fn.now(),
      });
    await trx('layer_previous').where({ layer_id: layerId }).update({ catalog_row: JSON.stringify(cur), saved_at: trx.fn.now() });
    await recordAudit(trx, actor, { action: 'rollback', layerId, oldVersion: cur.data_version, newVersion: version, details: { restoredVersion: p.data_version } });
    return { id: layerId, dataVersion: version };
  });
}

/** Deletes an uploaded layer, its previous version and its catalog row. */
export async function deleteLayer(db: Database, layerId: string, actor: Actor): Promise<void> {
  await db.knex.transaction(async (trx) => {
    await lockLayer(trx, layerId);
    const cur = await currentRow(trx, layerId);
    if (!cur) throw new UploadError(404, 'NotFound', `layer "${layerId}" does not exist`);
    if (cur.origin !== 'upload') throw new UploadError(409, 'Conflict', `layer "${layerId}" is built in (layers/${layerId}.json); remove its definition instead`);
    await trx.raw(`DROP TABLE IF EXISTS ${quoteIdent(cur.source_table)}`);
    await trx.raw(`DROP TABLE IF EXISTS ${quoteIdent(prevTable(cur.source_table))}`);
    await trx('layer_previous').where({ layer_id: layerId }).delete();
    await trx('layer_catalog').where({ id: layerId }).delete();
    await recordAudit(trx, actor, { action: 'delete', layerId, oldVersion: cur.data_version, newVersion: null, details: { table: cur.source_table } });
  });
}

/** Changes metadata of any layer (built-in ones too, until the next start re-applies their file); bumps updated_at, not data_version. */
export async function updateMetadata(db: Database, layerId: string, m: LayerMetadata, actor: Actor): Promise<void> {
  await db.knex.transaction(async (trx) => {
    await lockLayer(trx, layerId);
    const cur = await currentRow(trx, layerId);
    if (!cur) throw new UploadError(404, 'NotFound', `layer "${layerId}" does not exist`);
    const change: Record<string, unknown> = {};
    if (m.title !== undefined) change.title = m.title;
    if (m.titleVi !== undefined) change.title_vi = m.titleVi;
    if (m.description !== undefined) change.description = m.description;
    if (m.keywords !== undefined) change.keywords = m.keywords;
    if (m.licence !== undefined) change.licence = m.licence;
    if (m.attribution !== undefined) change.attribution = m.attribution;
    if (m.group !== undefined) change.layer_group = m.group;
    if (m.access !== undefined) change.access = m.access;
    if (m.style !== undefined) change.style = JSON.stringify(m.style);
    await trx('layer_catalog').where({ id: layerId }).update({ ...change, updated_at: trx.fn.now() });
    const before = Object.fromEntries(Object.keys(change).map((k) => [k, cur[k]]));
    await recordAudit(trx, actor, {
      action: 'update',
      layerId,
      oldVersion: cur.data_version,
      newVersion: cur.data_version,
      details: { before, after: { ...change, style: m.style } },
    });
  });
}

/** Whether each uploaded layer has a previous version to roll back to. */
export async function layersWithPrevious(db: Database): Promise<Set<string>> {
  const rows = await db.rows<{ layer_id: string }>('SELECT layer_id FROM layer_previous');
  return new Set(rows.map((r) => r.layer_id));
}
