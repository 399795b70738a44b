/**
 * The `filter` parameter (OGC API Features Part 3): CQL2 text or JSON parsed into a tree of allowed operators over
 * the layer's known columns, then compiled to SQL with bound values by server/sql/cql2. Never string-built.
 */
import type { Layer } from '../catalog/catalog.ts';
import type { CrsDefinition } from '../crs/registry.ts';
import { InvalidParameterError } from '../errors.ts';
import { CqlError, compileCql2, parseCql2Json, parseCql2Text, type CqlNode } from '../sql/cql2/index.ts';
import { columnSql, type SqlPart } from './sql.ts';
import { isLatitudeFirst } from './crs.ts';

/** The filter languages we accept in `filter-lang`. */
export const filterLanguages = ['cql2-text', 'cql2-json'] as const;

/** A parsed filter and the CRS of its geometry literals (`filter-crs`). */
export interface ParsedFilter {
  node: CqlNode;
  crs: CrsDefinition;
}

/** Parses `filter` in `filter-lang` (cql2-text by default); a syntax error is a 400 naming the parameter and position. */
export function parseFilter(layer: Layer, text: string, lang: string | undefined, crs: CrsDefinition): ParsedFilter {
  const language = lang ?? 'cql2-text';
  if (!(filterLanguages as readonly string[]).includes(language)) {
    throw new InvalidParameterError(`parameter "filter-lang": ${JSON.stringify(language.slice(0, 40))} is not one of ${filterLanguages.join(', ')}`);
  }
  try {
    let node: CqlNode;
    if (language === 'cql2-json') {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new CqlError(`not valid JSON (${(err as Error).message})`);
      }
      node = parseCql2Json(json);
    } else {
      node = parseCql2Text(text);
    }
    const parsed = { node, crs };
    filterClause(layer, parsed); // unknown properties and type errors surface now, as a 400, not at query time
    return parsed;
  } catch (err) {
    if (err instanceof CqlError) throw new InvalidParameterError(`parameter "filter" (${language}): ${err.message}`);
    throw err;
  }
}

/** Names by which a filter may refer to the layer geometry. */
const geometryNames = new Set(['geom', 'geometry']);

/** The WHERE fragment of a parsed filter; columns resolve through the catalog only (plus `id` and the geometry). */
export function filterClause(layer: Layer, filter: ParsedFilter): SqlPart {
  return compileCql2(filter.node, {
    resolveProperty(name: string) {
      if (geometryNames.has(name)) return { sql: 't.geom', type: 'geometry' as const };
      if (name === 'id') return { sql: 't.id', type: 'integer' as const };
      const column = layer.column(name);
      return column ? { sql: columnSql(column.name), type: column.type } : undefined;
    },
    geometrySql: 't.geom',
    filterSrid: filter.crs.srid,
    swapAxes: isLatitudeFirst(filter.crs),
  });
}
