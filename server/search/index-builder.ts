/**
 * Keeps `search_index` in step with the catalog: each layer with a `name` column is indexed with its names folded
 * by normalizeSearchText (Node, the same function that folds the query) and each feature's bbox (EPSG:4326).
 * A layer is re-indexed when its data_version or updated_at changes; removed layers are dropped. A feature edit
 * (server/edit/) changes neither: it updates that feature's entry in its own transaction (indexFeature).
 */
import type { Knex } from 'knex';
import type { Catalog, Layer } from '../catalog/catalog.ts';
import type { Database } from '../db/database.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { normalizeSearchText } from '../text/normalize.ts';

/** Rows written per INSERT while indexing. */
const insertBatch = 2_000;

/** The column that names a feature, if the layer has one. */
export function nameColumn(layer: Layer): string | null {
  return layer.column('name')?.type === 'string' ? 'name' : null;
}

interface StateRow {
  layer_id: string;
  data_version: number;
  updated_at: Date;
}

interface NamedRow {
  id: number;
  name: string;
  full_name: string | null;
  now_in: string | null;
  minx: number;
  miny: number;
  maxx: number;
  maxy: number;
}

/**
 * SQL of a feature's `now_in` (JSON text): the unit of today it lies in, for layers of old units that carry one
 * (`now_code` and `now_name`, as the 2009 communes do since the 2025 reorganisation); NULL for other layers.
 */
export function nowInSql(layer: Layer): string {
  const has = (c: string) => layer.column(c)?.type === 'string';
  if (!has('now_code') || !has('now_name')) return 'NULL::text';
  const code = `t.${quoteIdent('now_code')}`;
  return `CASE WHEN ${code} IS NOT NULL THEN json_build_object('code', ${code}, 'name', t.${quoteIdent('now_name')})::text END`;
}

/** Builds and refreshes the search index; one refresh at a time per instance. */
export class SearchIndexBuilder {
  private fresh = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly catalog: Catalog,
  ) {
    catalog.onChange(() => {
      this.fresh = false;
    });
  }

  /** Brings the index up to date with the catalog (cheap when nothing changed since the last call). */
  async ensureFresh(): Promise<void> {
    if (this.fresh) return;
    this.running ??= this.refresh().finally(() => {
      this.running = null;
    });
    await this.running;
  }

  private async refresh(): Promise<void> {
    const layers = this.catalog.list({ role: 'admin', tokenId: 'search-index', name: 'search index' });
    const states = new Map(
      (await this.db.rows<StateRow>('SELECT layer_id, data_version, updated_at FROM search_index_state')).map((s) => [
        s.layer_id,
        s,
      ]),
    );
    const wanted = new Set<string>();
    for (const layer of layers) {
      if (!nameColumn(layer)) continue;
      wanted.add(layer.id);
      const s = states.get(layer.id);
      if (s && s.data_version === layer.dataVersion && new Date(s.updated_at).getTime() === layer.updatedAt.getTime()) continue;
      await this.indexLayer(layer);
    }
    for (const id of states.keys()) {
      if (!wanted.has(id)) await this.db.knex.transaction(async (trx) => this.clear(trx, id));
    }
    this.fresh = true;
  }

  private async clear(trx: Knex.Transaction, layerId: string): Promise<void> {
    await trx.raw('DELETE FROM search_index WHERE layer_id = ?', [layerId]);
    await trx.raw('DELETE FROM search_index_state WHERE layer_id = ?', [layerId]);
  }

  /**
   * Re-indexes one layer in a transaction, so searches see the old or the new names, never half. The rows are read
   * after the layer's index lock, inside the transaction: an edit that indexed one feature (indexFeature, under the
   * same lock) is either committed before the read or waits until the rebuild is done, never overwritten by it.
   */
  async indexLayer(layer: Layer): Promise<void> {
    await this.db.knex.transaction(async (trx) => {
      await lockLayerIndex(trx, layer.id);
      let rows: NamedRow[];
      try {
        // A savepoint: a missing table must not abort the transaction.
        rows = await trx.transaction(async (sp) => ((await sp.raw(namedRowsSql(layer, ''))).rows ?? []) as NamedRow[]);
      } catch {
        return; // the table is missing or being replaced; the next catalog change indexes it
      }
      await this.clear(trx, layer.id);
      await insertRows(trx, layer.id, rows);
      await trx.raw(
        'INSERT INTO search_index_state (layer_id, data_version, updated_at, rows) VALUES (?, ?::int, ?::timestamptz, ?::int)',
        [layer.id, layer.dataVersion, layer.updatedAt.toISOString(), rows.length],
      );
    });
  }

  /**
   * Brings one feature's entry up to date inside an edit's transaction (the edit service's search index port): its
   * name and bbox as stored now, or no entry when it was deleted or has no name. Committed or rolled back with the edit.
   */
  async indexFeature(trx: Knex.Transaction, layer: Layer, fid: number): Promise<void> {
    if (!nameColumn(layer)) return;
    await lockLayerIndex(trx, layer.id);
    await trx.raw('DELETE FROM search_index WHERE layer_id = ? AND feature_id = ?::int', [layer.id, fid]);
    const rows = ((await trx.raw(namedRowsSql(layer, 'AND t.id = ?::int'), [fid])).rows ?? []) as NamedRow[];
    await insertRows(trx, layer.id, rows);
  }
}

/** Serialises the writers of one layer's index entries (a rebuild, edits; several servers share the database). */
async function lockLayerIndex(trx: Knex.Transaction, layerId: string): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?::text))', [`search_index:${layerId}`]);
}

/** The named features of a layer with their bbox (EPSG:4326); `extra` narrows the WHERE clause (bound by the caller). */
function namedRowsSql(layer: Layer, extra: string): string {
  const fullName = layer.column('full_name')?.type === 'string' ? `t.${quoteIdent('full_name')}` : 'NULL::text';
  return `SELECT t.id, t.${quoteIdent('name')} AS name, ${fullName} AS full_name, ${nowInSql(layer)} AS now_in,
                 ST_XMin(t.geom) AS minx, ST_YMin(t.geom) AS miny, ST_XMax(t.geom) AS maxx, ST_YMax(t.geom) AS maxy
            FROM ${layer.tableSql} t WHERE t.${quoteIdent('name')} IS NOT NULL AND t.geom IS NOT NULL ${extra}`;
}

/** Writes index entries in batches, the names folded by normalizeSearchText (names that fold to nothing are left out). */
async function insertRows(trx: Knex.Transaction, layerId: string, rows: readonly NamedRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += insertBatch) {
    const batch = rows.slice(i, i + insertBatch).filter((r) => normalizeSearchText(r.name) !== '');
    if (!batch.length) continue;
    await trx.raw(
      `INSERT INTO search_index (layer_id, feature_id, name, full_name, name_norm, full_norm, minx, miny, maxx, maxy, now_in)
       SELECT ?::text, u.id, u.name, u.full_name, u.name_norm, u.full_norm, u.minx, u.miny, u.maxx, u.maxy, u.now_in::jsonb
       FROM unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::text[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::text[])
         AS u(id, name, full_name, name_norm, full_norm, minx, miny, maxx, maxy, now_in)`,
      [
        layerId,
        batch.map((r) => r.id),
        batch.map((r) => r.name),
        batch.map((r) => r.full_name),
        batch.map((r) => normalizeSearchText(r.name)),
        batch.map((r) => normalizeSearchText(r.full_name)),
        batch.map((r) => r.minx),
        batch.map((r) => r.miny),
        batch.map((r) => r.maxx),
        batch.map((r) => r.maxy),
        batch.map((r) => r.now_in),
      ] as Knex.RawBinding[],
    );
  }
}
