import { expect } from 'chai';
import { asDatabaseFailure, isDatabaseUnreachable } from '../../server/db/failures.ts';
import { DatabaseUnavailableError, QueryTimeoutError } from '../../server/errors.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('database failures as domain errors', () => {
  const unreachable: Array<[string, Error]> = [
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['an administrator shutdown (57P01)', withCode('terminating connection due to administrator command', '57P01')],
    ['a server starting up (57P03)', withCode('the database system is starting up', '57P03')],
    ['a connection failure (08006)', withCode('connection failure', '08006')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a client that lost its connection', new Error('Client has encountered a connection error and is not queryable')],
    [
      'a pool that cannot hand out a connection',
      Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' }),
    ],
    ['a missing embedded socket', withCode('connect ENOENT /tmp/x/.s.PGSQL.5432', 'ENOENT')],
  ];
  for (const [what, err] of unreachable) {
    it(`reads ${what} as DatabaseUnavailableError with a Retry-After`, () => {
      const mapped = asDatabaseFailure(err);
      expect(mapped).to.be.instanceOf(DatabaseUnavailableError);
      expect((mapped as DatabaseUnavailableError).message).to.contain('database is unreachable');
      expect((mapped as DatabaseUnavailableError).retryAfterSeconds).to.be.above(0);
    });
  }

  it('reads a statement timeout (57014) as QueryTimeoutError naming the setting', () => {
    const mapped = asDatabaseFailure(withCode('canceling statement due to statement timeout', '57014'));
    expect(mapped).to.be.instanceOf(QueryTimeoutError);
    expect((mapped as Error).message).to.contain('STATEMENT_TIMEOUT_MS');
  });

  it('leaves a cancel the server asked for, and errors of the statement itself, as they are', () => {
    const cancelled = withCode('canceling statement due to user request', '57014');
    const syntax = withCode('syntax error at or near "FORM"', '42601');
    expect(asDatabaseFailure(cancelled)).to.equal(cancelled);
    expect(asDatabaseFailure(syntax)).to.equal(syntax);
    expect(isDatabaseUnreachable('not an error')).to.equal(false);
  });
});
