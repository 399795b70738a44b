/**
 * Change notifications from layer tables: statement-level triggers (migration 005's function) send
 * NOTIFY tile_changes {table, schema, bbox} after every write; each instance listens and drops the
 * cached tiles over that bbox.
 */
import type { Database } from '../db/database.ts';
import type { Layer } from '../catalog/catalog.ts';
import type { BBox } from './grid.ts';

/** NOTIFY channel of data changes in layer tables. */
export const tileChangesChannel = 'tile_changes';

/** One change: the table written and the EPSG:4326 extent of the rows before and after (null = everything). */
export interface TableChange {
  table: string;
  bbox: BBox | null;
}

/** Reads a NOTIFY payload; null when it is not ours. */
export function parseTableChange(payload: string): TableChange | null {
  try {
    const v = JSON.parse(payload) as { table?: unknown; bbox?: unknown };
    if (typeof v.table !== 'string') return null;
    const b = v.bbox;
    const bbox = Array.isArray(b) && b.length === 4 && b.every((n) => typeof n === 'number') ? (b as BBox) : null;
    return { table: v.table, bbox };
  } catch {
    return null;
  }
}

/**
 * A barrier in the stream of changes: a NOTIFY on the same channel with a token. PostgreSQL delivers the
 * notifications of different transactions in commit order, so a listener that sees the barrier has seen every
 * change committed before it was sent.
 */
export async function sendBarrier(db: Database, token: string): Promise<void> {
  await db.rows('SELECT pg_notify(?, ?)', [tileChangesChannel, JSON.stringify({ barrier: token })]);
}

/** The token of a barrier payload; null when it is not one. */
export function parseBarrier(payload: string): string | null {
  try {
    const v = JSON.parse(payload) as { barrier?: unknown };
    return typeof v.barrier === 'string' ? v.barrier : null;
  } catch {
    return null;
  }
}

const triggers = [
  { name: 'sdi_tiles_insert', event: 'INSERT', referencing: 'REFERENCING NEW TABLE AS sdi_new_rows' },
  { name: 'sdi_tiles_update', event: 'UPDATE', referencing: 'REFERENCING OLD TABLE AS sdi_old_rows NEW TABLE AS sdi_new_rows' },
  { name: 'sdi_tiles_delete', event: 'DELETE', referencing: 'REFERENCING OLD TABLE AS sdi_old_rows' },
  { name: 'sdi_tiles_truncate', event: 'TRUNCATE', referencing: '' },
] as const;

/**
 * Attaches the change triggers to a layer's table when they are missing (checked first, so a start with
 * everything in place takes no table lock). One trigger per event: transition tables need that.
 * A view or a table we do not own cannot take triggers; then false (its tiles are dropped only on reload).
 */
export async function ensureChangeTriggers(db: Database, layer: Layer): Promise<boolean> {
  const rows = await db.rows<{ kind: string | null; names: string[] | null }>(
    `SELECT c.relkind::text AS kind, array(SELECT tgname::text FROM pg_trigger WHERE tgrelid = c.oid) AS names
       FROM pg_class c WHERE c.oid = to_regclass(?)`,
    [layer.relationSql],
  );
  if (rows.length === 0 || !['r', 'p'].includes(rows[0].kind ?? '')) return false;
  const present = new Set(rows[0].names ?? []);
  // A table read in place gets its triggers from server/sources (they know its geometry column and SRID).
  if (layer.source) return triggers.every((t) => present.has(t.name));
  for (const t of triggers) {
    if (present.has(t.name)) continue;
    const level = t.event === 'TRUNCATE' ? 'FOR EACH STATEMENT' : `${t.referencing} FOR EACH STATEMENT`;
    await db.rows(
      `CREATE OR REPLACE TRIGGER ${t.name} AFTER ${t.event} ON ${layer.relationSql} ${level} EXECUTE FUNCTION sdi_tile_change_notify()`,
    );
  }
  return true;
}
