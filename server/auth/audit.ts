/** The audit log: who changed which layer or token, when, from which data version to which. */
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import type { Principal } from '../catalog/catalog.ts';

/** Who acts: a token's principal, or the command line. */
export interface Actor {
  name: string;
  tokenId: string | null;
}

/** The actor of a request's principal. */
export function actorOf(principal: Principal): Actor {
  return { name: principal.name, tokenId: principal.tokenId };
}

/** The actor of the `npm run token` command. */
export const cliActor: Actor = { name: 'cli', tokenId: null };

/** One audit entry. */
export interface AuditEntry {
  action:
    | 'publish'
    | 'replace'
    | 'rollback'
    | 'update'
    | 'access_change'
    | 'owner_change'
    | 'delete'
    | 'token_create'
    | 'token_revoke'
    | 'feature_create'
    | 'feature_replace'
    | 'feature_update'
    | 'feature_delete'
    | 'feature_restore';
  layerId?: string;
  oldVersion?: number | null;
  newVersion?: number | null;
  details?: Record<string, unknown>;
}

/** An audit row as listed by GET /admin/audit. */
export interface AuditRecord extends Required<Omit<AuditEntry, 'layerId'>> {
  id: number;
  at: string;
  actor: string;
  tokenId: string | null;
  layerId: string | null;
}

/** Writes one entry; pass the transaction when the change it records runs in one, so both commit together. */
export async function recordAudit(db: Database | Knex.Transaction, actor: Actor, entry: AuditEntry): Promise<void> {
  const knex = 'knex' in db ? db.knex : db;
  await knex('audit_log').insert({
    actor: actor.name,
    token_id: actor.tokenId,
    action: entry.action,
    layer_id: entry.layerId ?? null,
    old_version: entry.oldVersion ?? null,
    new_version: entry.newVersion ?? null,
    details: JSON.stringify(entry.details ?? {}),
  });
}

/** The latest entries, newest first, optionally of one layer. */
export async function listAudit(db: Database, layerId: string | null, limit: number): Promise<AuditRecord[]> {
  const rows = await db.rows<{
    id: number;
    at: Date;
    actor: string;
    token_id: string | null;
    action: AuditEntry['action'];
    layer_id: string | null;
    old_version: number | null;
    new_version: number | null;
    details: Record<string, unknown>;
  }>(
    `SELECT id, at, actor, token_id, action, layer_id, old_version, new_version, details FROM audit_log
      WHERE (?::text IS NULL OR layer_id = ?::text) ORDER BY id DESC LIMIT ?::int`,
    [layerId, layerId, limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    tokenId: r.token_id,
    action: r.action,
    layerId: r.layer_id,
    oldVersion: r.old_version,
    newVersion: r.new_version,
    details: r.details,
  }));
}
