/** The one way the seed talks to the database: SQL with knex `?` bindings inside the seed transaction. */
import type { Knex } from 'knex';

/** Runs one statement and returns its rows. */
export type Sql = <T = Record<string, unknown>>(sql: string, bindings?: readonly unknown[]) => Promise<T[]>;

/** An `Sql` bound to a knex transaction (or the knex instance). */
export function sqlOf(knex: Knex | Knex.Transaction): Sql {
  return async <T>(sql: string, bindings: readonly unknown[] = []) => {
    const res = (await knex.raw(sql, bindings as Knex.RawBinding[])) as { rows?: T[] };
    return res.rows ?? [];
  };
}

/** Where the temporary province outline lives during a seed (created by the admin step). */
export const outlineTable = 'seed_outline';
/** The outline cut into small pieces (ST_Subdivide) with a GiST index, for fast clipping of many cells. */
export const outlinePartsTable = 'seed_outline_parts';
