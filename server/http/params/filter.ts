/**
 * The `filter`, `filter-lang` and `filter-crs` parameters (OGC API Features Part 3): CQL2 text or JSON parsed into a
 * tree of allowed operators, then compiled once, against the layer, into the WHERE fragment the request carries.
 */
import type { Layer } from '../../catalog/catalog.ts';
import type { CrsDefinition } from '../../crs/registry.ts';
import { InvalidParameterError } from '../../errors.ts';
import { compileFilter } from '../../features/filter.ts';
import { CqlError, parseCql2Json, parseCql2Text, type CqlNode } from '../../sql/cql2/index.ts';
import type { CompiledFilter } from '../../features/items-query.ts';
import { hasSpatialPredicate } from '../../limits/costs.ts';

/** The filter languages we accept in `filter-lang`. */
export const filterLanguages = ['cql2-text', 'cql2-json'] as const;

/**
 * Parses `filter` in `filter-lang` (cql2-text by default) and compiles it for the layer. A syntax error, an unknown
 * property or a type error is a 400 naming the parameter (and the position), before any query runs.
 */
export function parseFilter(layer: Layer, text: string, lang: string | undefined, crs: CrsDefinition): CompiledFilter {
  const language = lang ?? 'cql2-text';
  if (!(filterLanguages as readonly string[]).includes(language)) {
    const given = JSON.stringify(language.slice(0, 40));
    throw new InvalidParameterError(
      `parameter "filter-lang": ${given} is not one of ${filterLanguages.join(', ')}`,
      'filter-lang',
    );
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
    return { ...compileFilter(layer, node, crs), spatial: hasSpatialPredicate(node) };
  } catch (err) {
    if (err instanceof CqlError) throw new InvalidParameterError(`parameter "filter" (${language}): ${err.message}`, 'filter');
    throw err;
  }
}
