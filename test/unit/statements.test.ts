import { expect } from 'chai';
import { isStalePreparedStatement, PreparedStatements } from '../../server/db/statements.ts';

describe('prepared statements: which texts get a name', () => {
  it('names a text only once it has come back, with $n placeholders and the values as given', () => {
    const s = new PreparedStatements(10, 3);
    const first = s.config('SELECT ?::int', [1]);
    expect(first).to.deep.equal({ text: 'SELECT $1::int', values: [1] });
    s.config('SELECT ?::int', [2]);
    const third = s.config('SELECT ?::int', [3]);
    expect(third.name).to.match(/^sdi_[0-9a-f]{24}$/);
    expect(third.text).to.equal('SELECT $1::int');
    expect(s.config('SELECT ?::int', [4]).name).to.equal(third.name);
    expect(s.preparedCount).to.equal(1);
  });

  it('gives different texts different names', () => {
    const s = new PreparedStatements(10, 1);
    expect(s.config('SELECT 1', []).name).to.not.equal(s.config('SELECT 2', []).name);
  });

  it('prepares no more than its limit, and runs the rest unnamed', () => {
    const s = new PreparedStatements(2, 1);
    const names = ['a', 'b', 'c', 'd'].map((t) => s.config(`SELECT '${t}'`, []).name);
    expect(names.filter(Boolean)).to.have.length(2);
    expect(s.preparedCount).to.equal(2);
  });

  it('forgets cold texts when too many are tracked, keeping the prepared ones', () => {
    const s = new PreparedStatements(10, 2, 4);
    s.config('SELECT 0', []);
    const hot = s.config('SELECT 0', []).name;
    for (let i = 1; i < 50; i++) s.config(`SELECT ${i}`, []); // one-off texts, never prepared
    expect(s.config('SELECT 0', []).name).to.equal(hot);
    expect(s.preparedCount).to.equal(1);
  });

  it('names nothing when turned off (DB_PREPARED_STATEMENTS=0)', () => {
    const off = new PreparedStatements(0);
    for (let i = 0; i < 5; i++) expect(off.config('SELECT ?::int', [i]).name).to.equal(undefined);
    expect(off.preparedCount).to.equal(0);
  });

  it('runs a text unnamed for good once its prepared form failed', () => {
    const s = new PreparedStatements(10, 1);
    expect(s.config('SELECT 1', []).name).to.be.a('string');
    s.runUnnamed('SELECT 1');
    expect(s.config('SELECT 1', []).name).to.equal(undefined);
    expect(s.unnamedCount).to.equal(1);
  });

  it('knows the errors of a stale prepared statement, and only those', () => {
    expect(isStalePreparedStatement({ code: '0A000', message: 'cached plan must not change result type' })).to.equal(true);
    expect(isStalePreparedStatement({ code: '26000', message: 'prepared statement "sdi_x" does not exist' })).to.equal(true);
    expect(isStalePreparedStatement({ code: '0A000', message: 'feature not supported' })).to.equal(false);
    expect(isStalePreparedStatement({ code: '57014', message: 'canceling statement due to statement timeout' })).to.equal(false);
    expect(isStalePreparedStatement(null)).to.equal(false);
  });
});
