/**
 * Keeps source layers honest between edits we cannot see: every SOURCE_CHECK_SECONDS the catalog is reloaded (it
 * re-checks each source table, flagging a dropped or reshaped one, which then answers 503 naming the layer), and
 * the tiles of source layers without change triggers are dropped once their cacheTtlSeconds have passed; a table
 * that comes back gets its triggers again.
 */
import type { AppContext } from '../context.ts';
import type { LayerSource } from '../catalog/catalog.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { attachTriggers } from './publish.ts';

/** What the watcher needs of the tile service. */
export interface TileInvalidator {
  invalidate(layerIds: readonly string[], bbox: null): Promise<void>;
}

/** Starts the periodic check; stopped by the context's close. Returns the check, for a caller that needs it now. */
export function watchSources(ctx: AppContext, tiles: TileInvalidator): () => Promise<void> {
  const lastDrop = new Map<string, number>();
  const check = async () => {
    await ctx.catalog.load();
    for (const l of ctx.catalog.all()) {
      // A layer that reports edits by triggers (no TTL) must still have them: a recreated table has lost them.
      if (!l.source || l.source.problem || l.source.cacheTtlSeconds) continue;
      const [t] = await ctx.db.rows<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = to_regclass(?::text) AND tgname::text LIKE 'sdi\\_tiles\\_%'",
        [l.relationSql],
      );
      if ((t?.n ?? 0) < 4) await recovered(l.id, l.source);
    }
    const now = Date.now();
    const expired: string[] = [];
    for (const l of ctx.catalog.all()) {
      const ttl = l.source?.cacheTtlSeconds;
      if (!ttl) continue;
      const last = lastDrop.get(l.id) ?? now;
      if (!lastDrop.has(l.id)) lastDrop.set(l.id, now);
      if (now - last >= ttl * 1000) {
        expired.push(l.id);
        lastDrop.set(l.id, now);
      }
    }
    if (expired.length) await tiles.invalidate(expired, null);
  };
  /**
   * A table that was recreated (ogr2ogr -overwrite drops and creates it again) has lost our triggers: attach them again and
   * bump the layer's data version, so no tile of the old table is served and the tile service checks triggers anew.
   */
  const recovered = async (id: string, s: LayerSource) => {
    const [rel] = await ctx.db.rows<{ kind: string }>(
      'SELECT relkind::text AS kind FROM pg_class WHERE oid = to_regclass(?::text)',
      [`${quoteIdent(s.schema)}.${quoteIdent(s.table)}`],
    );
    const kind = rel?.kind === 'r' || rel?.kind === 'p' ? 'table' : 'view';
    await attachTriggers(ctx.db.knex, { kind, schema: s.schema, name: s.table, geometryColumn: s.geomColumn, srid: s.srid });
    await ctx.db.rows('UPDATE layer_catalog SET data_version = data_version + 1, updated_at = now() WHERE id = ?', [id]);
    await ctx.catalog.load();
  };
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    check()
      .catch((err: unknown) => ctx.log.warn({ err }, 'source check failed'))
      .finally(() => (busy = false));
  }, ctx.config.sourceCheckSeconds * 1000);
  timer.unref();
  ctx.onClose.push(async () => clearInterval(timer));
  return check;
}
