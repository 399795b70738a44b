/**
 * The `filter` of OGC API Features Part 3 on a layer: a CQL2 syntax tree of allowed operators compiled to SQL with
 * bound values by server/sql/cql2, properties resolved through the catalog only. Never string-built. The HTTP edge
 * parses the text or JSON; this module knows the layer.
 */
import { featureIdSql, type Layer } from '../catalog/catalog.ts';
import type { CrsDefinition } from '../crs/registry.ts';
import { compileCql2, type CqlNode } from '../sql/cql2/index.ts';
import { columnSql, type SqlPart } from '../sql/parts.ts';
import { isLatitudeFirst } from './crs.ts';
import { nativeBoxTest, nativeDomain } from '../sql/native.ts';

/** Names by which a filter may refer to the layer geometry. */
const geometryNames = new Set(['geom', 'geometry']);

/**
 * The WHERE fragment of a parsed filter whose geometry literals are in `crs` (`filter-crs`); columns resolve through
 * the catalog only (plus `id` and the geometry). Throws CqlError for an unknown property or a type error.
 */
export function compileFilter(layer: Layer, node: CqlNode, crs: CrsDefinition): SqlPart {
  return compileCql2(node, {
    resolveProperty(name: string) {
      if (geometryNames.has(name)) return { sql: 't.geom', type: 'geometry' as const };
      if (name === 'id') {
        // A text or uuid key is compared as text (a uuid is not equal to a text literal in PostgreSQL).
        const key = layer.source?.idType ?? 'integer';
        if (key === 'integer') return { sql: 't.id', type: 'integer' as const };
        return { sql: key === 'uuid' ? `${featureIdSql(layer)}::text` : featureIdSql(layer), type: 'string' as const };
      }
      const column = layer.column(name);
      return column ? { sql: columnSql(column.name), type: column.type } : undefined;
    },
    geometrySql: 't.geom',
    filterSrid: crs.srid,
    swapAxes: isLatitudeFirst(crs),
    // Only for a table read in place in another SRID: the compiler then writes the literal twice (test and predicate).
    ...(nativeDomain(layer) ? { nativeBox: (literal: string) => nativeBoxTest(layer, literal) } : {}),
  });
}
