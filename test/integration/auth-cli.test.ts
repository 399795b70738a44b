/** The token command (`npm run token -- create|list|revoke`) against an embedded database in a temporary folder. */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../fixtures/upload/builders.ts';
import { testConfig } from '../support/servers.ts';
import { startServer } from '../../server/server.ts';
import { createLogger } from '../../server/log.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..', '..');

describe('auth: token command line', function () {
  this.timeout(300_000);
  const tmp = tempDir('sdi-token-cli-');
  after(() => tmp.remove());
  const token = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'token.ts'), ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: '', DATA_DIR: tmp.dir, LOG_LEVEL: 'silent' },
    });

  it('creates, lists and revokes a token, showing the secret once', async () => {
    const created = await token('create', '--role', 'editor', '--name', 'Nguyễn Văn A');
    const id = /created (tok_\S+) \(editor\) for Nguyễn Văn A/.exec(created.stdout)?.[1];
    expect(id, created.stdout).to.be.a('string');
    expect(created.stdout).to.match(/\nsdi_[A-Za-z0-9_-]{43}\n/);
    const listed = await token('list');
    expect(listed.stdout).to.match(new RegExp(`${id}\\teditor\\s*\\tactive\\t.*\\tNguyễn Văn A`));
    expect(listed.stdout).to.not.match(/sdi_/);
    expect((await token('revoke', id!)).stdout).to.include(`revoked ${id}`);
    expect((await token('list')).stdout).to.match(new RegExp(`${id}\\teditor\\s*\\trevoked`));
  });

  it('refuses an unknown role with a usage message and exit code 2', async () => {
    const err = await token('create', '--role', 'root', '--name', 'x').then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).to.equal(2);
    expect(err?.stderr).to.match(/--role \(viewer, editor, admin\)/);
  });

  it('creates a token through the running server, which accepts it at once', async () => {
    const live = tempDir('sdi-token-live-');
    const running = await startServer(testConfig('embedded', { dataDir: live.dir, seedDemo: 'never' }), createLogger('silent'));
    try {
      const created = await run(
        process.execPath,
        ['--import', 'tsx', path.join(root, 'scripts', 'token.ts'), 'create', '--role', 'admin', '--name', 'Trần Thị B'],
        {
          cwd: root,
          env: { ...process.env, DATABASE_URL: '', DATA_DIR: live.dir, LOG_LEVEL: 'silent' },
        },
      );
      const secret = /\n(sdi_[A-Za-z0-9_-]{43})\n/.exec(created.stdout)?.[1];
      expect(secret, created.stdout).to.be.a('string');
      const res = await fetch(`${running.url}/admin/whoami`, { headers: { Authorization: `Bearer ${secret}` } });
      expect(res.status).to.equal(200);
      expect(await res.json()).to.include({ role: 'admin', name: 'Trần Thị B' });
    } finally {
      await running.close();
      live.remove();
    }
  });

  it('stops a second server on the same data directory with a message naming the running one', async () => {
    const live = tempDir('sdi-second-server-');
    const running = await startServer(testConfig('embedded', { dataDir: live.dir, seedDemo: 'never' }), createLogger('silent'));
    try {
      const second = await run(process.execPath, ['--import', 'tsx', path.join(root, 'server', 'index.ts')], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: '', DATA_DIR: live.dir, PORT: '0', SEED_DEMO: 'never', LOG_LEVEL: 'info' },
      }).then(
        () => null,
        (e: { code: number; stdout: string }) => e,
      );
      expect(second?.code).to.equal(1);
      expect(second?.stdout).to.contain(`in use by a running server (pid ${process.pid}`);
    } finally {
      await running.close();
      live.remove();
    }
  });
});
