/** Fills `name_search` (diacritic-free, lower-case key of `name`) with the one normaliser the server uses. */
import { normalizeSearchText } from '../text/normalize.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import type { Sql } from './sql.ts';

/** Sets `name_search` for every row of `table` from its `name`. */
export async function fillNameSearch(sql: Sql, table: string): Promise<void> {
  const t = quoteIdent(table);
  const names = await sql<{ name: string }>(`SELECT DISTINCT name FROM ${t} ORDER BY name`);
  const keys = names.map((r) => ({ name: r.name, key: normalizeSearchText(r.name) }));
  await sql(
    `UPDATE ${t} AS t SET name_search = m.key FROM jsonb_to_recordset(?::jsonb) AS m(name text, key text) WHERE t.name = m.name`,
    [JSON.stringify(keys)],
  );
}
