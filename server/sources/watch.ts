/**
 * Keeps source layers honest between edits we cannot see: every SOURCE_CHECK_SECONDS the catalog is reloaded (it
 * re-checks each source table, flagging a dropped or reshaped one, which then answers 503 naming the layer), and
 * the tiles of source layers without change triggers are dropped once their cacheTtlSeconds have passed.
 */
import type { AppContext } from '../context.ts';

/** What the watcher needs of the tile service. */
export interface TileInvalidator {
  invalidate(layerIds: readonly string[], bbox: null): Promise<void>;
}

/** Starts the periodic check; stopped by the context's close. Returns the check, for a caller that needs it now. */
export function watchSources(ctx: AppContext, tiles: TileInvalidator): () => Promise<void> {
  const lastDrop = new Map<string, number>();
  const check = async () => {
    await ctx.catalog.load();
    const now = Date.now();
    const expired: string[] = [];
    for (const l of ctx.catalog.list({ role: 'admin', tokenId: '', name: 'sources' })) {
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
