/** Pure parts of access control: roles, token hashing, the failure throttle. */
import { expect } from 'chai';
import { AuthThrottle } from '../../server/auth/throttle.ts';
import { hasRole, hashToken, isRole } from '../../server/auth/tokens.ts';

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
