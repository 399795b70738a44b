/**
 * What an edit needs to know of a layer's table beyond the catalog: the stored geometry type of `geom` and the
 * columns the catalog does not describe that still need a value on insert (`src_row` of uploaded tables).
 */
import type { Knex } from 'knex';
import { quoteIdent } from '../sql/identifiers.ts';
import { NotFoundError } from '../errors.ts';

/** The table of a layer as an edit writes it. */
export interface EditTable {
  /** The table, quoted for SQL. */
  sql: string;
  /** The type in `geometry(<type>, 4326)`: Polygon, MultiPolygon, ..., or Geometry when unconstrained. */
  storedType: string;
  /** Columns outside the catalog that are NOT NULL without a default, with the value an edit gives them. */
  fills: Array<{ name: string; value: number | string }>;
}

/**
 * Reads the table the catalog row names now (inside the transaction, after the layer lock: a replacing upload may
 * have swapped it since the request's catalog snapshot).
 */
export async function loadEditTable(
  trx: Knex.Transaction,
  layerId: string,
  describedColumns: readonly string[],
): Promise<EditTable> {
  const [cat] = (await trx.raw('SELECT source_table FROM layer_catalog WHERE id = ?', [layerId])).rows as Array<{
    source_table: string;
  }>;
  if (!cat) throw new NotFoundError(`layer "${layerId}" does not exist`);
  const sql = quoteIdent(cat.source_table);
  const attrs = (
    await trx.raw(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull, a.atthasdef AS hasdef
         FROM pg_attribute a WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped`,
      [sql],
    )
  ).rows as Array<{ name: string; type: string; notnull: boolean; hasdef: boolean }>;
  const geom = attrs.find((a) => a.name === 'geom');
  if (!geom || !attrs.some((a) => a.name === 'id'))
    throw new NotFoundError(`layer "${layerId}": its table has no id and geom columns to edit`);
  const m = /^geometry\((\w+)/i.exec(geom.type);
  const storedType = m ? normalType(m[1]) : 'Geometry';
  const described = new Set(['id', 'geom', ...describedColumns]);
  const fills = attrs
    .filter((a) => !described.has(a.name) && a.notnull && !a.hasdef)
    .map((a) => ({ name: a.name, value: /int|numeric|double|real/.test(a.type) ? 0 : '' }));
  return { sql, storedType, fills };
}

const types = [
  'Point',
  'LineString',
  'Polygon',
  'MultiPoint',
  'MultiLineString',
  'MultiPolygon',
  'GeometryCollection',
  'Geometry',
];

function normalType(t: string): string {
  return types.find((x) => x.toLowerCase() === t.toLowerCase()) ?? 'Geometry';
}
