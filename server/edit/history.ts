/** The history of one feature's edits (`feature_history`): written in the edit's transaction, listed by version. */
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import type { Actor } from '../auth/audit.ts';
import type { FeatureJson } from './properties.ts';

/** What a version did. */
export type EditAction = 'create' | 'replace' | 'update' | 'delete' | 'restore';

/** One version of a feature, as GET .../items/{fid}/history lists it. */
export interface HistoryEntry {
  version: number;
  action: EditAction;
  actor: string;
  tokenId: string | null;
  at: string;
  /** Property names that changed, and "geometry" when the geometry did. */
  changed: string[];
  before: FeatureJson | null;
  after: FeatureJson | null;
}

/** The next version number of a feature (1 for a feature never edited). */
export async function nextVersion(trx: Knex.Transaction, layerId: string, fid: number): Promise<number> {
  const [row] = (
    await trx.raw('SELECT coalesce(max(version), 0)::int + 1 AS v FROM feature_history WHERE layer_id = ? AND fid = ?::bigint', [
      layerId,
      fid,
    ])
  ).rows as Array<{ v: number }>;
  return Number(row.v);
}

/** Writes one version. */
export async function recordVersion(
  trx: Knex.Transaction,
  layerId: string,
  fid: number,
  version: number,
  action: EditAction,
  actor: Actor,
  before: FeatureJson | null,
  after: FeatureJson | null,
  changed: string[],
): Promise<void> {
  await trx('feature_history').insert({
    layer_id: layerId,
    fid,
    version,
    action,
    token_id: actor.tokenId,
    actor: actor.name,
    before: before === null ? null : JSON.stringify(before),
    after: after === null ? null : JSON.stringify(after),
    changed,
  });
}

interface HistoryRow {
  version: number;
  action: EditAction;
  actor: string;
  token_id: string | null;
  at: Date;
  changed: string[];
  before: FeatureJson | string | null;
  after: FeatureJson | string | null;
}

const json = (v: FeatureJson | string | null): FeatureJson | null => (typeof v === 'string' ? (JSON.parse(v) as FeatureJson) : v);

function toEntry(r: HistoryRow): HistoryEntry {
  return {
    version: Number(r.version),
    action: r.action,
    actor: r.actor,
    tokenId: r.token_id,
    at: new Date(r.at).toISOString(),
    changed: r.changed,
    before: json(r.before),
    after: json(r.after),
  };
}

/** Every version of a feature, oldest first. */
export async function listVersions(db: Database, layerId: string, fid: number): Promise<HistoryEntry[]> {
  const rows = await db.rows<HistoryRow>(
    `SELECT version, action, actor, token_id, at, changed, before, after FROM feature_history
      WHERE layer_id = ? AND fid = ?::bigint ORDER BY version`,
    [layerId, fid],
  );
  return rows.map(toEntry);
}

/** One version, or undefined. */
export async function findVersion(
  trx: Knex.Transaction,
  layerId: string,
  fid: number,
  version: number,
): Promise<HistoryEntry | undefined> {
  const rows = (
    await trx.raw(
      `SELECT version, action, actor, token_id, at, changed, before, after FROM feature_history
        WHERE layer_id = ? AND fid = ?::bigint AND version = ?::int`,
      [layerId, fid, version],
    )
  ).rows as HistoryRow[];
  return rows[0] && toEntry(rows[0]);
}
