import { expect } from 'chai';
import os from 'node:os';
import { ConfigError, loadConfig, tileQuerySlots } from '../../server/config.ts';

describe('configuration', () => {
  it('starts on the embedded default with no environment at all', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).to.equal('');
    expect(config.dataDir).to.equal('./data');
    expect(config.port).to.equal(3000);
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /PORT="eighty"/],
    [{ PORT: '70000' }, /PORT="70000".*0 to 65535/],
    [{ DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL must start with postgres:/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a URL/],
    [{ DB_POOL_SIZE: '0' }, /DB_POOL_SIZE="0"/],
    [{ DB_PREPARED_STATEMENTS: '-1' }, /DB_PREPARED_STATEMENTS="-1"/],
    [{ SEED_DEMO: 'yes' }, /SEED_DEMO="yes" must be one of auto, always, never/],
    [{ SEED_SCALE: '-1' }, /SEED_SCALE="-1"/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL="loud"/],
    [{ TILE_CACHE_MB: '1.5' }, /TILE_CACHE_MB="1.5" is not a whole number/],
    [{ TRUST_PROXY: 'true' }, /TRUST_PROXY entry "true" is not an IP address/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /TRUST_PROXY entry "10.0.0.0\/33"/],
    [{ TRUST_PROXY: 'proxy.example' }, /TRUST_PROXY entry "proxy.example"/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be at least 16 characters/],
    [{ METRICS_LISTEN: '9464' }, /METRICS_LISTEN="9464" is not host:port/],
    [{ TILE_DB_CONCURRENCY: '-1' }, /TILE_DB_CONCURRENCY="-1"/],
    [{ TILE_DB_CONCURRENCY: 'all' }, /TILE_DB_CONCURRENCY="all"/],
  ];
  for (const [env, message] of bad) {
    it(`stops the start with a message naming ${Object.keys(env)[0]} for ${JSON.stringify(Object.values(env)[0])}`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, message);
    });
  }

  it('accepts a server database URL and trims a trailing slash from PUBLIC_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@h:5432/db', PUBLIC_URL: 'https://maps.example.vn/sdi/' });
    expect(config.databaseUrl).to.equal('postgres://u@h:5432/db');
    expect(config.publicUrl).to.equal('https://maps.example.vn/sdi');
  });

  it('trusts no proxy by default, and reads TRUST_PROXY as a hop count or a list of addresses, CIDRs and names', () => {
    expect(loadConfig({}).trustProxy).to.equal(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).to.equal(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8, 192.168.1.5' }).trustProxy).to.deep.equal([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.168.1.5',
    ]);
  });

  it('runs as many tile statements at once as this machine has cores plus one, never more than the pool', () => {
    const cores = os.availableParallelism();
    expect(tileQuerySlots(loadConfig({ DB_POOL_SIZE: '100' }))).to.equal(cores + 1);
    expect(tileQuerySlots(loadConfig({ DB_POOL_SIZE: '2' }))).to.equal(Math.min(2, cores + 1));
    expect(tileQuerySlots(loadConfig({ TILE_DB_CONCURRENCY: '7', DB_POOL_SIZE: '20' }))).to.equal(7);
    expect(tileQuerySlots(loadConfig({ TILE_DB_CONCURRENCY: '50', DB_POOL_SIZE: '20' }))).to.equal(20);
  });

  it('reads the /metrics protection settings', () => {
    const config = loadConfig({ METRICS_TOKEN: 'a-long-metrics-secret', METRICS_LISTEN: '127.0.0.1:9464' });
    expect(config).to.deep.include({ metricsToken: 'a-long-metrics-secret', metricsListen: '127.0.0.1:9464' });
  });
});
