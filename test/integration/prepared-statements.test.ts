/**
 * Hot statements run as named prepared statements on the server (server/db/statements.ts), and stay correct when
 * the tables under them change: a column's type altered, a table swapped for a new one (what an upload's replace
 * does). The embedded backend runs the same texts unprepared; the answers must be the same on both.
 */
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { queryRows } from '../../server/db/rows.ts';

forEachBackend('prepared statements', (server, backend) => {
  const table = `prepared_probe_${backend}`;
  // One text per test (by its alias), so each test starts from a statement of its own.
  const text = (alias: string) =>
    `SELECT ${alias}.id, ${alias}.v FROM ${table} ${alias} WHERE ${alias}.id >= ?::int ORDER BY ${alias}.id`;
  const runMany = async (alias: string, times: number, prepare = true) => {
    const answers = [];
    for (let i = 0; i < times; i++)
      answers.push(await queryRows<{ id: number; v: unknown }>(server().ctx.db, text(alias), [1], undefined, { prepare }));
    return answers;
  };
  const prepared = () => server().ctx.db.statements ?? { preparedCount: 0, unnamedCount: 0 };

  before(async () => {
    const db = server().ctx.db;
    await db.rows(`DROP TABLE IF EXISTS ${table}, ${table}_next`);
    await db.rows(`CREATE TABLE ${table} (id int PRIMARY KEY, v int)`);
    await db.rows(`INSERT INTO ${table} VALUES (1, 10), (2, 20)`);
  });

  after(async () => {
    await server().ctx.db.rows(`DROP TABLE IF EXISTS ${table}, ${table}_next`);
  });

  it('answers the same on every run, and prepares a statement that keeps coming back (server)', async () => {
    const before = prepared().preparedCount;
    const answers = await runMany('a', 12);
    for (const a of answers)
      expect(a).to.deep.equal([
        { id: 1, v: 10 },
        { id: 2, v: 20 },
      ]);
    if (backend === 'server') expect(prepared().preparedCount).to.equal(before + 1);
  });

  it('never prepares a statement the caller did not allow (parameters that are not scalars)', async () => {
    const before = prepared().preparedCount;
    for (const a of await runMany('d', 12, false))
      expect(a).to.deep.equal([
        { id: 1, v: 10 },
        { id: 2, v: 20 },
      ]);
    expect(prepared().preparedCount).to.equal(before);
  });

  it('keeps answering after a column changes type under the prepared statement', async () => {
    await runMany('b', 12);
    const stale = prepared().unnamedCount;
    await server().ctx.db.rows(`ALTER TABLE ${table} ALTER COLUMN v TYPE text USING 'v' || v`);
    for (const a of await runMany('b', 12))
      expect(a).to.deep.equal([
        { id: 1, v: 'v10' },
        { id: 2, v: 'v20' },
      ]);
    // PostgreSQL refuses the prepared form once its result type changed; the server ran it unnamed instead.
    if (backend === 'server') expect(prepared().unnamedCount).to.equal(stale + 1);
  });

  it('reads the new table after a swap by rename, as a layer replace does', async () => {
    await runMany('c', 12);
    const stale = prepared().unnamedCount;
    const db = server().ctx.db;
    await db.rows(`CREATE TABLE ${table}_next (id int PRIMARY KEY, v text)`);
    await db.rows(`INSERT INTO ${table}_next VALUES (1, 'new'), (3, 'newer')`);
    await db.rows(`DROP TABLE ${table}`);
    await db.rows(`ALTER TABLE ${table}_next RENAME TO ${table}`);
    for (const a of await runMany('c', 12))
      expect(a).to.deep.equal([
        { id: 1, v: 'new' },
        { id: 3, v: 'newer' },
      ]);
    // Same result type: PostgreSQL re-analysed the prepared statement against the new table by itself.
    expect(prepared().unnamedCount).to.equal(stale);
  });
});
