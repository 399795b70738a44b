/**
 * Pieces of SQL with their bound values, and the column expressions every builder shares (items, spatial queries).
 * Identifiers come only from the catalog and pass through quoteIdent; values are always bound `?` placeholders.
 * The layer table is aliased `t` in every statement built from these.
 */
import type { LayerColumn } from '../wire/layer.ts';
import { quoteIdent } from './identifiers.ts';

/** A piece of SQL and the values of its `?` placeholders, in order. */
export interface SqlPart {
  sql: string;
  bindings: unknown[];
}

/** Joins parts with a separator, concatenating their bindings in order. */
export function joinParts(parts: SqlPart[], separator: string): SqlPart {
  return { sql: parts.map((p) => p.sql).join(separator), bindings: parts.flatMap((p) => p.bindings) };
}

/** `t."column"` for a column the catalog knows (or the `id` key every layer table has). */
export function columnSql(name: string): string {
  return `t.${quoteIdent(name)}`;
}

// json_build_object takes at most 100 arguments: 50 key/value pairs per call, merged as jsonb beyond that.
const pairsPerCall = 50;

/** The properties of a feature as JSON text; keys are bound, values are catalog columns. */
export function propertiesJsonSql(columns: readonly LayerColumn[]): SqlPart {
  if (!columns.length) return { sql: `'{}'`, bindings: [] };
  const calls: SqlPart[] = [];
  for (let i = 0; i < columns.length; i += pairsPerCall) {
    const chunk = columns.slice(i, i + pairsPerCall);
    calls.push({
      sql: `json_build_object(${chunk.map((c) => `?::text, ${columnSql(c.name)}`).join(', ')})`,
      bindings: chunk.map((c) => c.name),
    });
  }
  if (calls.length === 1) return { sql: `${calls[0].sql}::text`, bindings: calls[0].bindings };
  const merged = joinParts(
    calls.map((c) => ({ ...c, sql: `${c.sql}::jsonb` })),
    ' || ',
  );
  return { sql: `(${merged.sql})::text`, bindings: merged.bindings };
}
