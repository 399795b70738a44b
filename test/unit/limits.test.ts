import { expect } from 'chai';
import { ConfigError, defaults, expensiveTotal, loadConfig, type Config } from '../../server/config.ts';
import { ClientGoneError, LimitExceededError, OverloadedError, QueryTimeoutError } from '../../server/errors.ts';
import { ExpensiveGate, type GateLimits } from '../../server/limits/gate.ts';
import { hasSpatialPredicate, itemsCost, summaryCost, tileCost } from '../../server/limits/costs.ts';
import { CostLimits } from '../../server/limits/limits.ts';
import { parseCql2Text } from '../../server/sql/cql2/index.ts';

/** Settles a promise into what it resolved to or the error it rejected with. */
const settle = <T>(p: Promise<T>): Promise<T | Error> =>
  p.then(
    (v) => v,
    (e: Error) => e,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('expensive-request gate', () => {
  const gate = (limits: Partial<GateLimits> = {}) => new ExpensiveGate(() => ({ perClient: 2, total: 3, queueMs: 0, ...limits }));

  it('refuses a third request of one address with a 429 error naming LIMIT_EXPENSIVE_PER_CLIENT', async () => {
    const g = gate();
    await g.acquire('10.0.0.1', 'summary');
    await g.acquire('10.0.0.1', 'summary');
    const err = await settle(g.acquire('10.0.0.1', 'summary'));
    expect(err).to.be.instanceOf(LimitExceededError);
    expect((err as LimitExceededError).message)
      .to.include('LIMIT_EXPENSIVE_PER_CLIENT=2')
      .and.include('10.0.0.1');
    expect((err as LimitExceededError).retryAfterSeconds).to.be.greaterThan(0);
  });

  it('lets another address in while one is at its cap, until the total is reached (503 naming LIMIT_EXPENSIVE_TOTAL)', async () => {
    const g = gate();
    await g.acquire('a', 'x');
    await g.acquire('a', 'x');
    await g.acquire('b', 'x');
    const err = await settle(g.acquire('c', 'x'));
    expect(err).to.be.instanceOf(OverloadedError);
    expect((err as Error).message).to.include('LIMIT_EXPENSIVE_TOTAL=3');
    expect(g.stats()).to.deep.equal({ running: 3, waiting: 0, clients: 2 });
  });

  it('gives a released slot back once, however often release is called', async () => {
    const g = gate({ perClient: 1 });
    const release = await g.acquire('a', 'x');
    release();
    release();
    expect(g.stats().running).to.equal(0);
    await g.acquire('a', 'x');
    expect(g.stats()).to.deep.equal({ running: 1, waiting: 0, clients: 1 });
  });

  it('lets a request wait for a slot up to the queue time, first come first served', async () => {
    const g = gate({ perClient: 1, queueMs: 1000 });
    const first = await g.acquire('a', 'x');
    const order: string[] = [];
    const second = g.acquire('a', 'x').then((r) => (order.push('second'), r));
    const third = g.acquire('a', 'x').then((r) => (order.push('third'), r));
    expect(g.stats().waiting).to.equal(2);
    first();
    (await second)();
    (await third)();
    expect(order).to.deep.equal(['second', 'third']);
    expect(g.stats()).to.deep.equal({ running: 0, waiting: 0, clients: 0 });
  });

  it('refuses a waiting request when the queue time passes', async () => {
    const g = gate({ perClient: 1, queueMs: 30 });
    await g.acquire('a', 'x');
    const started = Date.now();
    const err = await settle(g.acquire('a', 'x'));
    expect(err).to.be.instanceOf(LimitExceededError);
    expect(Date.now() - started).to.be.within(20, 500);
    expect(g.stats().waiting).to.equal(0);
  });

  it('does not hold up another address behind a waiting client at its cap', async () => {
    const g = gate({ perClient: 1, total: 3, queueMs: 1000 });
    await g.acquire('a', 'x');
    const waiting = settle(g.acquire('a', 'x'));
    const other = await g.acquire('b', 'x');
    expect(typeof other).to.equal('function');
    expect(g.stats()).to.deep.equal({ running: 2, waiting: 1, clients: 2 });
    void waiting;
  });

  it('drops a waiting request whose client went away', async () => {
    const g = gate({ perClient: 1, queueMs: 5000 });
    await g.acquire('a', 'x');
    const ac = new AbortController();
    const waiting = settle(g.acquire('a', 'x', ac.signal));
    ac.abort();
    expect(await waiting).to.be.instanceOf(ClientGoneError);
    expect(g.stats().waiting).to.equal(0);
  });

  it('bounds how many requests one address may have waiting', async () => {
    const g = gate({ perClient: 1, total: 100, queueMs: 5000 });
    await g.acquire('a', 'x');
    const waiting = Array.from({ length: 4 }, () => settle(g.acquire('a', 'x')));
    const refused = await settle(g.acquire('a', 'x'));
    expect(refused).to.be.instanceOf(LimitExceededError);
    expect(g.stats().waiting).to.equal(4);
    void waiting;
  });
});

describe('cost of a request', () => {
  const config: Config = { ...defaults };

  it('counts an items page as expensive above LIMIT_ITEMS_EXPENSIVE_ABOVE or with a spatial filter, and no other', () => {
    expect(itemsCost(config, 'parcels', { limit: 1000, filter: null })).to.equal(null);
    expect(itemsCost(config, 'parcels', { limit: 1001, filter: null })?.what).to.include('LIMIT_ITEMS_EXPENSIVE_ABOVE=1000');
    const spatial = {
      spatial: hasSpatialPredicate(
        parseCql2Text("code = 'LUA' AND S_INTERSECTS(geom, POLYGON((106 21, 107 21, 107 22, 106 21)))"),
      ),
    };
    expect(itemsCost(config, 'parcels', { limit: 10, filter: spatial })?.deadlineSetting).to.equal('LIMIT_ITEMS_TIMEOUT_MS');
    expect(
      itemsCost(config, 'parcels', { limit: 10, filter: { spatial: hasSpatialPredicate(parseCql2Text("code = 'LUA'")) } }),
    ).to.equal(null);
  });

  it('finds spatial predicates under NOT, AND and OR, DWITHIN included', () => {
    expect(hasSpatialPredicate(parseCql2Text('NOT (a = 1 OR S_WITHIN(geom, POINT(106 21)))'))).to.equal(true);
    expect(hasSpatialPredicate(parseCql2Text('a = 1 AND S_DWITHIN(geom, POINT(106 21), 10, meters)'))).to.equal(true);
    expect(hasSpatialPredicate(parseCql2Text('a = 1 AND b IN (1, 2)'))).to.equal(false);
  });

  it('counts a tile as expensive only at low zoom with several layers', () => {
    expect(tileCost(config, ['a', 'b'], 8)?.what).to.equal('composite tile of 2 layers at zoom 8');
    expect(tileCost(config, ['a', 'b'], 9)).to.equal(null);
    expect(tileCost(config, ['a'], 0)).to.equal(null);
  });
});

describe('deadlines of expensive requests', () => {
  const limits = (overrides: Partial<Config>) => new CostLimits({ ...defaults, ...overrides });

  it('aborts the work at the deadline and answers a QueryTimeoutError naming the setting, Retry-After included', async () => {
    const config = { ...defaults, limitSummaryTimeoutMs: 40 };
    const l = new CostLimits(config);
    let aborted = false;
    const cancelled = (signal: AbortSignal) =>
      new Promise((_, reject) => {
        signal.addEventListener('abort', () => ((aborted = true), reject(new Error('canceling statement due to user request'))));
      });
    const err = await settle(l.run(summaryCost(config, 'parcels'), 'a', new AbortController().signal, cancelled));
    expect(aborted).to.equal(true);
    expect(err).to.be.instanceOf(QueryTimeoutError);
    expect((err as QueryTimeoutError).message)
      .to.include('40 ms')
      .and.include('LIMIT_SUMMARY_TIMEOUT_MS');
    expect((err as QueryTimeoutError).retryAfterSeconds).to.equal(1);
    expect(l.gate.stats().running).to.equal(0);
  });

  it('turns work that returned past its deadline into a timeout (the embedded database cannot be interrupted)', async () => {
    const config = { ...defaults, limitSummaryTimeoutMs: 20 };
    const l = new CostLimits(config);
    const busy = (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end); // a synchronous query: timers cannot fire meanwhile
    };
    const err = await settle(
      l.run(summaryCost(config, 'parcels'), 'a', new AbortController().signal, async () => (busy(60), 'late')),
    );
    expect(err).to.be.instanceOf(QueryTimeoutError);
    const delivered = await l.run(
      summaryCost(config, 'parcels'),
      'a',
      new AbortController().signal,
      async () => (busy(60), 'sent'),
      () => true,
    );
    expect(delivered).to.equal('sent');
  });

  it('passes the error of a client that went away through untouched and frees its slot', async () => {
    const config = { ...defaults };
    const l = new CostLimits(config);
    const ac = new AbortController();
    const gone = new Error('client gone');
    const work = (signal: AbortSignal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(gone)));
    const p = settle(l.run(summaryCost(config, 'parcels'), 'a', ac.signal, work));
    await sleep(5);
    ac.abort();
    expect(await p).to.equal(gone);
    expect(l.gate.stats().running).to.equal(0);
  });

  it('runs an ordinary request (no cost) at once, outside the gate', async () => {
    const l = limits({ limitExpensivePerClient: 1 });
    const release = await l.gate.acquire('a', 'held');
    expect(await l.run(null, 'a', new AbortController().signal, async () => 'ok')).to.equal('ok');
    release();
  });
});

describe('limit settings', () => {
  it('takes the pool minus its reserve as the total by default on a server, at least 1, and 1 on the embedded database', () => {
    const server = { DATABASE_URL: 'postgres://h/db' };
    expect(expensiveTotal(loadConfig(server))).to.equal(6);
    expect(expensiveTotal(loadConfig({ ...server, DB_POOL_SIZE: '3' }))).to.equal(1);
    expect(expensiveTotal(loadConfig({ ...server, LIMIT_EXPENSIVE_TOTAL: '4' }))).to.equal(4);
    expect(expensiveTotal(loadConfig({}))).to.equal(1);
    expect(expensiveTotal(loadConfig({ LIMIT_EXPENSIVE_TOTAL: '3' }))).to.equal(3);
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ LIMIT_EXPENSIVE_PER_CLIENT: '0' }, /LIMIT_EXPENSIVE_PER_CLIENT="0"/],
    [{ LIMIT_EXPENSIVE_TOTAL: 'many' }, /LIMIT_EXPENSIVE_TOTAL="many"/],
    [{ LIMIT_SUMMARY_TIMEOUT_MS: '2.5' }, /LIMIT_SUMMARY_TIMEOUT_MS="2.5" is not a whole number/],
    [{ LIMIT_QUERY_GEOMETRY_VERTICES: '1' }, /LIMIT_QUERY_GEOMETRY_VERTICES="1"/],
    [{ LIMIT_QUERY_BODY_BYTES: '-5' }, /LIMIT_QUERY_BODY_BYTES="-5"/],
    [
      { DATABASE_URL: 'postgres://h/db', DB_POOL_SIZE: '8', LIMIT_EXPENSIVE_TOTAL: '8' },
      /LIMIT_EXPENSIVE_TOTAL=8 must be below DB_POOL_SIZE=8/,
    ],
  ];
  for (const [env, message] of bad) {
    const name = Object.keys(env).at(-1)!;
    it(`stops the start with a message naming ${name} for ${JSON.stringify(env[name])}`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, message);
    });
  }
});
