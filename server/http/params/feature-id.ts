/**
 * The `{featureId}` of a path: an integer for our own tables and integer keys; for a table read in place with a text
 * key, the key as written (any text up to 1000 characters); with a uuid key, a uuid. Anything else names no feature
 * (null -> 404), never a database error.
 */
import type { Layer } from '../../catalog/catalog.ts';

const uuidPattern = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** The feature id of a path segment for this layer, or null when it cannot be the id of one of its features. */
export function parseFeatureId(layer: Pick<Layer, 'source'>, raw: string): number | string | null {
  const kind = layer.source?.idType ?? 'integer';
  if (kind === 'text') return raw.length > 0 && raw.length <= 1000 && !raw.includes('\u0000') ? raw : null;
  if (kind === 'uuid') return uuidPattern.test(raw) ? raw.toLowerCase() : null;
  if (!/^\d{1,15}$/.test(raw)) return null;
  return Number(raw);
}
