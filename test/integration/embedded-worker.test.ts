/**
 * The embedded database in its worker thread: HTTP stays responsive while it works, its one session is shared safely
 * by the pool's connections, NOTIFY reaches `db.listen`, and its data directory has one owner.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { sharedServer, testConfig } from '../support/servers.ts';
import { openDatabase, type Database } from '../../server/db/database.ts';
import { DataDirectoryInUseError, runDirOf } from '../../server/db/data-dir-lock.ts';
import { tempDir } from '../fixtures/upload/builders.ts';

describe('embedded database in a worker thread', function () {
  this.timeout(120_000);

  it('answers /health within 1 s while a long embedded query runs', async function () {
    this.timeout(300_000);
    const s = await sharedServer('embedded');
    // Seconds of work inside PGlite; before the worker it held the event loop for all of it.
    let running = true;
    const slow = s.ctx.db
      .rows<{ n: number }>('SELECT count(*)::int AS n FROM generate_series(1, 15000000) g WHERE g % 7 = 3')
      .finally(() => (running = false));
    const times: number[] = [];
    while (running) {
      const t = Date.now();
      const res = await fetch(`${s.url}/health`);
      expect(res.status).to.equal(200);
      if (running) times.push(Date.now() - t); // answered while the statement was still running
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await slow)[0].n).to.equal(2142857);
    expect(times.length, 'health answered at least twice during the query').to.be.at.least(2);
    expect(Math.max(...times), `health took ${times.join(', ')} ms`).to.be.below(1000);
  });

  it('delivers a NOTIFY sent on any pool connection to db.listen', async () => {
    const { db } = (await sharedServer('embedded')).ctx;
    const got: string[] = [];
    const stop = await db.listen('embedded_test_channel', (payload) => got.push(payload));
    try {
      await db.rows(`SELECT pg_notify('embedded_test_channel', ?)`, ['xin chào "1"']);
      for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).to.deep.equal(['xin chào "1"']);
    } finally {
      await stop();
    }
  });

  it('answers the query after a failed one on the same connection with its own rows', async () => {
    const { db } = (await sharedServer('embedded')).ctx;
    // One connection, so that each query follows the failure directly. PGlite answers the failure with a second
    // ReadyForQuery, which the client used to take as the end of its next query (no rows).
    const conn = (await db.knex.client.acquireConnection()) as import('pg').Client;
    try {
      for (let i = 0; i < 20; i++) {
        const failed = await conn.query('SELECT 1 / $1::int AS x', [0]).then(
          () => null,
          (err: Error) => err.message,
        );
        expect(failed).to.contain('division by zero');
        const { rows } = await conn.query<{ n: number }>('SELECT $1::int AS n', [i]);
        expect(rows, `query ${i} after a failure`).to.deep.equal([{ n: i }]);
      }
    } finally {
      await db.knex.client.releaseConnection(conn);
    }
  });

  it('keeps the statements of concurrent pool connections apart, and a transaction to itself until it ends', async () => {
    const { db } = (await sharedServer('embedded')).ctx;
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        db.rows<{ v: string }>('SELECT ?::text || repeat(?::text, 1000) AS v', [`q${i}:`, 'x']),
      ),
    );
    results.forEach((rows, i) => expect(rows[0].v.startsWith(`q${i}:x`)).to.equal(true));
    // PGlite has one session: were another connection's statement run inside this transaction, it would see the table.
    let outside: Promise<Array<{ n: number }>> | null = null;
    const rolledBack = await db.knex
      .transaction(async (trx) => {
        await trx.raw('CREATE TABLE embedded_tx_probe (x int)');
        outside = db.rows<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relname = 'embedded_tx_probe'`);
        await new Promise((r) => setTimeout(r, 100));
        await trx.raw('INSERT INTO embedded_tx_probe VALUES (1)');
        throw new Error('roll back');
      })
      .catch((err: Error) => err.message);
    expect(rolledBack).to.equal('roll back');
    const [{ n }] = await outside!;
    expect(n, 'the other connection waited for the transaction to end').to.equal(0);
  });
});

describe('the embedded data directory has one owner', function () {
  this.timeout(300_000);
  const tmp = tempDir('sdi-owner-');
  after(() => tmp.remove());

  it('refuses a second open of a data directory in use, naming the running server', async () => {
    const config = testConfig('embedded', { dataDir: tmp.dir, seedDemo: 'never' });
    const first: Database = await openDatabase(config);
    try {
      const err = await openDatabase(config).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(DataDirectoryInUseError);
      expect((err as Error).message)
        .to.contain(tmp.dir)
        .and.contain(`pid ${process.pid}`);
      expect(fs.statSync(runDirOf(tmp.dir)).mode & 0o777).to.equal(0o700);
    } finally {
      await first.close();
    }
    expect(fs.existsSync(`${runDirOf(tmp.dir)}/owner.json`), 'the lock is given back on close').to.equal(false);
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.mkdirSync(runDirOf(tmp.dir), { recursive: true });
    const lock = { pid: Number(gone), command: 'node', socketDir: runDirOf(tmp.dir), startedAt: new Date(0).toISOString() };
    fs.writeFileSync(`${runDirOf(tmp.dir)}/owner.json`, JSON.stringify(lock));
    const db = await openDatabase(testConfig('embedded', { dataDir: tmp.dir, seedDemo: 'never' }));
    try {
      const owner = JSON.parse(fs.readFileSync(`${runDirOf(tmp.dir)}/owner.json`, 'utf8')) as { pid: number };
      expect(owner.pid).to.equal(process.pid);
    } finally {
      await db.close();
    }
  });
});
