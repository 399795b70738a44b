/** Pure parts of access control: roles, token hashing, the failure throttle. */
import { expect } from 'chai';
import { AuthThrottle } from '../../server/auth/throttle.ts';
import { hasRole, hashToken, isRole } from '../../server/auth/tokens.ts';
import { isValidHost } from '../../server/http/base-url.ts';
import { metricsAuthorized } from '../../server/http/health.ts';
import { jobOfStagingTable, liveTable, previousTable, stagingTable, swapTable } from '../../server/upload/table-names.ts';
import { mayChange } from '../../server/upload/ownership.ts';
import type { Principal } from '../../server/catalog/catalog.ts';

describe('auth: roles and token hashes', () => {
  it('orders roles viewer < editor < admin', () => {
    expect(hasRole('admin', 'editor')).to.equal(true);
    expect(hasRole('editor', 'editor')).to.equal(true);
    expect(hasRole('viewer', 'editor')).to.equal(false);
    expect(isRole('root')).to.equal(false);
  });

  it('stores tokens as hex SHA-256', () => {
    expect(hashToken('abc')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('auth: failure throttle', () => {
  it('locks an address after the allowed failures, doubling the lock with each further failure', () => {
    let now = 0;
    const t = new AuthThrottle({ maxFailures: 3, windowMs: 60_000, baseLockMs: 1000, maxLockMs: 8000 }, () => now);
    t.fail('a');
    t.fail('a');
    expect(t.retryAfterMs('a')).to.equal(0);
    t.fail('a');
    expect(t.retryAfterMs('a')).to.equal(1000);
    t.fail('a');
    expect(t.retryAfterMs('a')).to.equal(2000);
    for (let i = 0; i < 5; i++) t.fail('a');
    expect(t.retryAfterMs('a')).to.equal(8000);
    expect(t.retryAfterMs('b')).to.equal(0);
    now += 8000;
    expect(t.retryAfterMs('a')).to.equal(0);
  });

  it('forgets failures outside the window and after a success', () => {
    let now = 0;
    const t = new AuthThrottle({ maxFailures: 2, windowMs: 1000, baseLockMs: 500, maxLockMs: 500 }, () => now);
    t.fail('a');
    now = 2000;
    t.fail('a');
    expect(t.retryAfterMs('a')).to.equal(0);
    t.succeed('a');
    t.fail('a');
    expect(t.retryAfterMs('a')).to.equal(0);
  });
});

describe('auth: who may change a layer', () => {
  const layer = { id: 'x', origin: 'upload', owner: 'tok_a', access: 'public' };
  const as = (role: Principal['role'], tokenId: string): Principal => ({ role, tokenId, name: 'same name' });
  it('lets the owning token id and admins change an uploaded layer, not a token that only shares the name', () => {
    expect(mayChange(layer, as('editor', 'tok_a'))).to.equal(true);
    expect(mayChange(layer, as('editor', 'tok_b'))).to.equal(false);
    expect(mayChange(layer, as('viewer', 'tok_a'))).to.equal(false);
    expect(mayChange(layer, as('admin', 'tok_c'))).to.equal(true);
  });
  it('leaves built-in and ownerless layers to admins', () => {
    expect(mayChange({ ...layer, origin: 'builtin', owner: null }, as('editor', 'tok_a'))).to.equal(false);
    expect(mayChange({ ...layer, owner: null }, as('editor', ''))).to.equal(false);
    expect(mayChange({ ...layer, origin: 'builtin', owner: null }, as('admin', 'tok_c'))).to.equal(true);
  });
});

describe('auth: internal table names', () => {
  const ids = ['x', 'x__prev', 'prev', 'prev_x', 'stage_0a1b2c3d_0', 'stage', 'swap_x', 'upl_x', 'a1', 'a_1', 'x_prev'];
  it("gives every id its own live, previous and swap table, none equal to another id's or to a staging table", () => {
    const names = ids.flatMap((id) => [liveTable(id), previousTable(id), swapTable(id)]);
    names.push(stagingTable('0a1b2c3d-0000-4000-8000-000000000000', 0), stagingTable('0a1b2c3d-0000-4000-8000-000000000000', 1));
    expect(new Set(names).size).to.equal(names.length);
    for (const n of names) expect(Buffer.byteLength(n), n).to.be.at.most(63);
  });
  it('recognises only staging names as staging tables', () => {
    for (const id of ids) {
      for (const n of [liveTable(id), previousTable(id), swapTable(id)]) expect(jobOfStagingTable(n), n).to.equal(null);
    }
    expect(jobOfStagingTable(stagingTable('0a1b2c3d-0000-4000-8000-000000000000', 2))).to.equal('0a1b2c3d');
    expect(jobOfStagingTable('upl_stage_0a1b2c3d_0')).to.equal(null);
  });
  it('refuses a name for something that is not a layer id', () => {
    expect(() => liveTable('X"; DROP')).to.throw(RangeError);
    expect(() => previousTable('a$b')).to.throw(RangeError);
  });
});

describe('auth: Host headers and the metrics token', () => {
  it('accepts host names, IP literals and ports, and refuses anything that could leave a URL authority', () => {
    for (const h of ['localhost', 'localhost:3000', 'gis.bacninh.gov.vn', '127.0.0.1:8080', '[::1]:3000', 'example.org.'])
      expect(isValidHost(h), h).to.equal(true);
    for (const h of [
      'javascript:alert(1)//',
      'a" onmouseover="x',
      'a b',
      'evil.com/x',
      'user@evil.com',
      '',
      '<script>',
      'a:b:c',
      "x'y",
    ]) {
      expect(isValidHost(h), h).to.equal(false);
    }
  });
  it('accepts only the configured metrics token as a bearer credential, and anything when none is set', () => {
    expect(metricsAuthorized(undefined, '')).to.equal(true);
    expect(metricsAuthorized('Bearer a-long-metrics-secret', 'a-long-metrics-secret')).to.equal(true);
    expect(metricsAuthorized('Bearer a-long-metrics-secreT', 'a-long-metrics-secret')).to.equal(false);
    expect(metricsAuthorized('Basic a-long-metrics-secret', 'a-long-metrics-secret')).to.equal(false);
    expect(metricsAuthorized(undefined, 'a-long-metrics-secret')).to.equal(false);
  });
});
