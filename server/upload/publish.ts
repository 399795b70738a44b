/**
 * Publishing, rollback and removal of uploaded layers. A publish renames the staging table to the live name and
 * upserts the catalog row in ONE transaction (readers see the old or the new version, never a mix); the replaced
 * table is kept as `upl$prev$<id>` (see table-names.ts) with its catalog row in `layer_previous`, so a rollback swaps
 * them back. Every change takes a transaction-scoped advisory lock on the layer id (serialising uploads across
 * instances), checks under that lock that the caller may change the layer (ownership.ts), and writes an audit row
 * in the same transaction.
 */
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import type { DatasetMetadata } from '../catalog/metadata.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { actorOf, recordAudit, type Actor } from '../auth/audit.ts';
import type { Principal } from '../catalog/catalog.ts';
import { ConflictError, InvalidParameterError, NotFoundError } from '../errors.ts';
import { checkAccessChange, checkMayChange } from './ownership.ts';
import { jobOfStagingTable, liveTable, previousTable, stagingPrefix, swapTable } from './table-names.ts';
import type { StagedTable } from './stage.ts';
import { dataLayerMaxzoom, type LayerColumn, type LayerStyle } from '../catalog/definition.ts';

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
  /** The open-data metadata record (validated by server/catalog/metadata.ts), replaced whole. */
  record?: DatasetMetadata;
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

/**
 * Throws unless this upload may publish `layerId`: ConflictError when the layer exists and is built in or `replace`
 * was not asked for, ForbiddenError when `who` does not own it (or would change its access without being admin).
 */
export function checkReplaceable(
  existing: { origin: string; owner: string | null; access: string } | undefined,
  layerId: string,
  replace: boolean,
  who: Principal,
  access?: string,
): void {
  if (!existing) return;
  if (existing.origin !== 'upload') {
    throw new ConflictError(
      `layer "${layerId}" is a built-in layer (layers/${layerId}.json) and cannot be replaced by an upload`,
    );
  }
  if (!replace) throw new ConflictError(`layer "${layerId}" exists; send replace=true to replace it`);
  checkMayChange({ ...existing, id: layerId }, who, 'replace its data');
  checkAccessChange({ id: layerId, access: existing.access }, access, who);
}

/**
 * Publishes staged tables as layers in one transaction, for `who` (the owner of new layers). `replace` allows
 * replacing existing uploaded layers that `who` may change. Returns the new data versions. On any error nothing
 * changes (and the caller drops the staging tables).
 */
export async function publishLayers(
  db: Database,
  items: PublishItem[],
  replace: boolean,
  who: Principal,
): Promise<Array<{ id: string; dataVersion: number }>> {
  const actor = actorOf(who);
  const sorted = [...items].sort((a, b) => a.staged.layerId.localeCompare(b.staged.layerId)); // lock order: no deadlocks
  return db.knex.transaction(async (trx) => {
    for (const it of sorted) await lockLayer(trx, it.staged.layerId);
    const out: Array<{ id: string; dataVersion: number }> = [];
    for (const it of sorted) {
      const id = it.staged.layerId;
      const old = await currentRow(trx, id);
      checkReplaceable(old as (CatalogRow & { access: string }) | undefined, id, replace, who, it.metadata.access);
      const table = liveTable(id);
      if (old) {
        await trx.raw(`DROP TABLE IF EXISTS ${quoteIdent(previousTable(id))}`);
        await trx.raw(`ALTER TABLE ${quoteIdent(old.source_table)} RENAME TO ${quoteIdent(previousTable(id))}`);
        await trx.raw(
          `INSERT INTO layer_previous (layer_id, catalog_row, saved_at) VALUES (?, ?::jsonb, now())
           ON CONFLICT (layer_id) DO UPDATE SET catalog_row = EXCLUDED.catalog_row, saved_at = now()`,
          [id, JSON.stringify(old)],
        );
      } else {
        // Leftovers of a deleted layer of the same id must not become its "previous version".
        await trx.raw(`DROP TABLE IF EXISTS ${quoteIdent(previousTable(id))}`);
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
        maxzoom: (old?.maxzoom as number | undefined) ?? dataLayerMaxzoom,
        srid: 4326,
        source_crs: it.sourceCrs,
        columns: JSON.stringify(it.columns),
        style: JSON.stringify(m.style ?? old?.style ?? defaultStyle(id)),
        attribution: m.attribution ?? (old?.attribution as string | undefined) ?? '',
        licence: m.licence ?? (old?.licence as string | undefined) ?? '',
        access: m.access ?? (old?.access as string | undefined) ?? 'public',
        origin: 'upload',
        owner: old ? old.owner : who.tokenId,
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
 * Drops staging tables a crashed process left behind (`upl$stage$<job>$<n>`, and nothing else: the name is matched
 * whole, see table-names.ts): those whose job is not queued or running, or has not moved for an hour. Another
 * instance's running job keeps its tables.
 */
export async function dropOrphanStaging(db: Database): Promise<number> {
  const tables = await db.rows<{ tablename: string }>(
    'SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, ?::text)',
    [stagingPrefix],
  );
  const busy = await db.rows<{ id: string }>(
    `SELECT id FROM upload_jobs WHERE status IN ('queued', 'running') AND updated_at > now() - interval '1 hour'`,
  );
  const running = new Set(busy.map((j) => j.id.slice(0, 8)));
  const orphans = tables
    .map((t) => t.tablename)
    .filter((t) => {
      const job = jobOfStagingTable(t);
      return job !== null && !running.has(job);
    });
  await dropStaging(db, orphans);
  return orphans.length;
}

/**
 * Who asks for a change: a request's principal (checked against the ownership rule), or the command line's actor
 * (`cliActor`), which acts with full rights because it runs on the server with the database's own credentials.
 */
export type Changer = Principal | Actor;

function checkChanger(cur: CatalogRow, who: Changer, what: string): void {
  if ('role' in who) checkMayChange({ id: cur.id, origin: cur.origin, owner: cur.owner, access: String(cur.access) }, who, what);
}

const actorOfChanger = (who: Changer): Actor => ('role' in who ? actorOf(who) : who);

async function lockedRow(trx: Knex.Transaction, layerId: string): Promise<CatalogRow> {
  await lockLayer(trx, layerId);
  const cur = await currentRow(trx, layerId);
  if (!cur) throw new NotFoundError(`layer "${layerId}" does not exist`);
  return cur;
}

/** Restores the previous version of an uploaded layer (the current one becomes the previous). 409 when none. */
export async function rollbackLayer(db: Database, layerId: string, who: Changer): Promise<{ id: string; dataVersion: number }> {
  return db.knex.transaction(async (trx) => {
    const cur = await lockedRow(trx, layerId);
    checkChanger(cur, who, 'roll it back');
    if (cur.origin !== 'upload') throw new ConflictError(`layer "${layerId}" is built in; only uploaded layers have versions`);
    const prev = (await trx('layer_previous').where({ layer_id: layerId }).first()) as { catalog_row: CatalogRow } | undefined;
    const prevExists = prev && (await trx.raw('SELECT to_regclass(?) AS t', [quoteIdent(previousTable(layerId))])).rows[0].t;
    if (!prev || !prevExists) throw new ConflictError(`layer "${layerId}" has no previous version to roll back to`);
    const live = liveTable(layerId);
    await trx.raw(`ALTER TABLE ${quoteIdent(cur.source_table)} RENAME TO ${quoteIdent(swapTable(layerId))}`);
    await trx.raw(`ALTER TABLE ${quoteIdent(previousTable(layerId))} RENAME TO ${quoteIdent(live)}`);
    await trx.raw(`ALTER TABLE ${quoteIdent(swapTable(layerId))} RENAME TO ${quoteIdent(previousTable(layerId))}`);
    const p = prev.catalog_row;
    const version = cur.data_version + 1;
    await trx('layer_catalog')
      .where({ id: layerId })
      .update({
        source_table: live,
        geometry_type: p.geometry_type,
        source_crs: p.source_crs,
        columns: JSON.stringify(p.columns),
        style: JSON.stringify(p.style),
        data_version: version,
        updated_at: trx.fn.now(),
      });
    await trx('layer_previous')
      .where({ layer_id: layerId })
      .update({ catalog_row: JSON.stringify(cur), saved_at: trx.fn.now() });
    const actor = actorOfChanger(who);
    await recordAudit(trx, actor, {
      action: 'rollback',
      layerId,
      oldVersion: cur.data_version,
      newVersion: version,
      details: { restoredVersion: p.data_version },
    });
    return { id: layerId, dataVersion: version };
  });
}

/** Deletes an uploaded layer, its previous version and its catalog row. */
export async function deleteLayer(db: Database, layerId: string, who: Changer): Promise<void> {
  await db.knex.transaction(async (trx) => {
    const cur = await lockedRow(trx, layerId);
    checkChanger(cur, who, 'delete it');
    if (cur.origin !== 'upload' && cur.origin !== 'source') {
      throw new ConflictError(`layer "${layerId}" is built in (layers/${layerId}.json); remove its definition instead`);
    }
    // A table read in place belongs to whoever loaded it: unpublishing leaves it alone.
    if (cur.origin === 'upload') await trx.raw(`DROP TABLE IF EXISTS ${quoteIdent(cur.source_table)}`);
    await trx.raw(`DROP TABLE IF EXISTS ${quoteIdent(previousTable(layerId))}`);
    await trx('layer_previous').where({ layer_id: layerId }).delete();
    await trx('layer_catalog').where({ id: layerId }).delete();
    const actor = actorOfChanger(who);
    await recordAudit(trx, actor, {
      action: 'delete',
      layerId,
      oldVersion: cur.data_version,
      newVersion: null,
      details: { table: cur.source_table },
    });
  });
}

/**
 * Changes metadata of a layer (built-in ones too, by an admin, until the next start re-applies their file); bumps
 * updated_at, not data_version. A change of `access` needs an admin and gets its own audit row (old and new access).
 */
export async function updateMetadata(db: Database, layerId: string, m: LayerMetadata, who: Changer): Promise<void> {
  await db.knex.transaction(async (trx) => {
    const cur = await lockedRow(trx, layerId);
    checkChanger(cur, who, 'change its metadata');
    if ('role' in who) checkAccessChange({ id: layerId, access: String(cur.access) }, m.access, who);
    const actor = actorOfChanger(who);
    const change: Record<string, unknown> = {};
    if (m.title !== undefined) change.title = m.title;
    if (m.titleVi !== undefined) change.title_vi = m.titleVi;
    if (m.description !== undefined) change.description = m.description;
    if (m.keywords !== undefined) change.keywords = m.keywords;
    if (m.licence !== undefined) change.licence = m.licence;
    if (m.attribution !== undefined) change.attribution = m.attribution;
    if (m.group !== undefined) change.layer_group = m.group;
    if (m.access !== undefined && m.access !== cur.access) change.access = m.access;
    if (m.style !== undefined) change.style = JSON.stringify(m.style);
    if (m.record !== undefined) change.metadata = JSON.stringify(m.record);
    await trx('layer_catalog')
      .where({ id: layerId })
      .update({ ...change, updated_at: trx.fn.now() });
    if (change.access !== undefined) {
      await recordAudit(trx, actor, {
        action: 'access_change',
        layerId,
        oldVersion: cur.data_version,
        newVersion: cur.data_version,
        details: { oldAccess: cur.access, newAccess: change.access },
      });
    }
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

/**
 * Hands a layer to another owner (admins only: the caller checks the role). `tokenId` must name a live token with
 * at least the editor role, so the layer never goes to a token that could not change it. Audited with both ids.
 */
export async function setLayerOwner(db: Database, layerId: string, tokenId: string, who: Changer): Promise<void> {
  await db.knex.transaction(async (trx) => {
    const cur = await lockedRow(trx, layerId);
    if (cur.origin !== 'upload')
      throw new ConflictError(`layer "${layerId}" is built in; built-in layers have no owner (admins change them)`);
    const [token] = (await trx.raw('SELECT role FROM api_tokens WHERE id = ? AND revoked_at IS NULL', [tokenId])).rows as Array<{
      role: string;
    }>;
    if (!token) throw new InvalidParameterError(`owner: no live token with id ${JSON.stringify(tokenId)}`, 'owner');
    if (token.role === 'viewer') {
      throw new InvalidParameterError(`owner: token ${tokenId} has the viewer role and could not change the layer`, 'owner');
    }
    await trx('layer_catalog').where({ id: layerId }).update({ owner: tokenId, updated_at: trx.fn.now() });
    await recordAudit(trx, actorOfChanger(who), {
      action: 'owner_change',
      layerId,
      oldVersion: cur.data_version,
      newVersion: cur.data_version,
      details: { oldOwner: cur.owner, newOwner: tokenId },
    });
  });
}

/** Whether each uploaded layer has a previous version to roll back to. */
export async function layersWithPrevious(db: Database): Promise<Set<string>> {
  const rows = await db.rows<{ layer_id: string }>('SELECT layer_id FROM layer_previous');
  return new Set(rows.map((r) => r.layer_id));
}
