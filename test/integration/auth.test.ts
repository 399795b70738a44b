/**
 * Access control over HTTP: token administration by admins, roles, one 401 for unknown and revoked tokens, the
 * throttle on repeated failures, and restricted layers hidden from anonymous callers.
 */
import { expect } from 'chai';
import { forEachBackend } from '../support/servers.ts';
import { call, dropUploadedLayer, tokenFor, upload, waitForJob } from '../fixtures/upload/http.ts';
import type { JobReport } from '../../server/upload/jobs.ts';

forEachBackend('auth: tokens, roles and restricted layers', (server) => {
  let admin: string;
  let editor: string;
  afterEach(() => server().app.services.auth.resetThrottle());
  before(async () => {
    admin = await tokenFor(server(), 'admin', 'Quản trị');
    editor = await tokenFor(server(), 'editor');
  });

  it('lets an admin create, list and revoke tokens, and the revoked token stops working at once', async () => {
    const created = await call(server(), admin, 'POST', '/admin/tokens', { name: 'Trạm BTS app', role: 'viewer' });
    expect(created.status).to.equal(201);
    const t = (await created.json()) as { id: string; token: string; role: string; name: string };
    expect(t).to.include({ role: 'viewer', name: 'Trạm BTS app' });
    expect(t.token).to.match(/^sdi_[A-Za-z0-9_-]{43}$/);
    const [row] = await server().ctx.db.rows<{ token_hash: string }>('SELECT token_hash FROM api_tokens WHERE id = ?', [t.id]);
    expect(row.token_hash)
      .to.match(/^[0-9a-f]{64}$/)
      .and.not.include(t.token);

    const who = await call(server(), t.token, 'GET', '/admin/whoami');
    expect(await who.json()).to.deep.equal({ name: 'Trạm BTS app', role: 'viewer', tokenId: t.id });
    const list = (await (await call(server(), admin, 'GET', '/admin/tokens')).json()) as {
      tokens: Array<Record<string, unknown>>;
    };
    const listed = list.tokens.find((x) => x.id === t.id)!;
    expect(listed).to.include({ name: 'Trạm BTS app', role: 'viewer', revokedAt: null });
    expect(JSON.stringify(list)).to.not.include('token_hash').and.not.include(t.token);

    expect((await call(server(), admin, 'DELETE', `/admin/tokens/${t.id}`)).status).to.equal(204);
    const after = await call(server(), t.token, 'GET', '/admin/whoami');
    expect(after.status).to.equal(401);
    expect((await call(server(), admin, 'DELETE', `/admin/tokens/${t.id}`)).status).to.equal(404);
    const audit = (await (await call(server(), admin, 'GET', '/admin/audit?limit=5')).json()) as {
      entries: Array<{ action: string; actor: string }>;
    };
    expect(audit.entries.slice(0, 2).map((e) => [e.action, e.actor])).to.deep.equal([
      ['token_revoke', 'Quản trị'],
      ['token_create', 'Quản trị'],
    ]);
  });

  it('answers 401 the same way for an unknown, a revoked and a malformed token', async () => {
    const bodies = [];
    for (const auth of ['Bearer sdi_doesnotexist0000000000000000000000000000000', 'Bearer x', 'Basic dXNlcjpwYXNz']) {
      const res = await fetch(`${server().url}/admin/whoami`, { headers: { Authorization: auth } });
      expect(res.status).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.match(/^Bearer/);
      bodies.push(await res.text());
    }
    expect(new Set(bodies).size).to.equal(1);
  });

  it('answers 403 to an editor on token administration and 401 without a token', async () => {
    expect((await call(server(), editor, 'GET', '/admin/tokens')).status).to.equal(403);
    expect((await call(server(), editor, 'POST', '/admin/tokens', { name: 'x', role: 'admin' })).status).to.equal(403);
    expect((await call(server(), null, 'GET', '/admin/layers')).status).to.equal(401);
    expect((await call(server(), admin, 'POST', '/admin/tokens', { name: 'x', role: 'root' })).status).to.equal(400);
  });

  it('answers failures from a locked address with 429 and Retry-After, and still lets a valid token in', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push(
        (await fetch(`${server().url}/admin/whoami`, { headers: { Authorization: `Bearer sdi_wrong${i}xxxxxxxxxxxxxxxx` } }))
          .status,
      );
    }
    expect(statuses.slice(0, 10)).to.deep.equal(Array(10).fill(401));
    expect(statuses.slice(10)).to.deep.equal([429, 429]);
    const wrong = await fetch(`${server().url}/admin/whoami`, {
      headers: { Authorization: 'Bearer sdi_wrongagainxxxxxxxxxxxxxxxx' },
    });
    expect(wrong.status).to.equal(429);
    expect(Number(wrong.headers.get('retry-after'))).to.be.greaterThan(0);
    expect(((await wrong.json()) as { code: string }).code).to.equal('TooManyRequests');
    expect((await call(server(), admin, 'GET', '/admin/whoami')).status).to.equal(200);
    expect((await call(server(), editor, 'GET', '/admin/layers')).status).to.equal(200);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: rotating it neither escapes the throttle nor locks out the named address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${server().url}/admin/whoami`, {
        headers: { Authorization: `Bearer sdi_wrong${i}xxxxxxxxxxxxxxxx`, 'X-Forwarded-For': `10.0.0.${i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(10)).to.deep.equal([429, 429]);
    const victim = await fetch(`${server().url}/admin/whoami`, {
      headers: { Authorization: `Bearer ${admin}`, 'X-Forwarded-For': '10.0.0.1' },
    });
    expect(victim.status).to.equal(200);
  });

  it('hides a restricted upload from anonymous callers and shows it to every role', async () => {
    await dropUploadedLayer(server(), 'secret_bts');
    const fc = {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', properties: { op: 'Viettel' }, geometry: { type: 'Point', coordinates: [106.2, 21.28] } }],
    };
    const res = await upload(
      server(),
      editor,
      { name: 'bts.geojson', bytes: JSON.stringify(fc) },
      { id: 'secret_bts', access: 'restricted' },
    );
    const job = await waitForJob(server(), editor, ((await res.json()) as JobReport).id);
    expect(job.status).to.equal('published');
    const ids = (body: unknown) => (body as { collections: Array<{ id: string }> }).collections.map((c) => c.id);
    const anon = await fetch(`${server().url}/collections`);
    expect(anon.status).to.equal(200);
    expect(ids(await anon.json())).to.not.include('secret_bts');
    expect((await fetch(`${server().url}/collections/secret_bts`)).status).to.equal(404);
    const tokens = { viewer: await tokenFor(server(), 'viewer'), editor, admin };
    for (const [role, token] of Object.entries(tokens)) {
      const withToken = await fetch(`${server().url}/collections`, { headers: { Authorization: `Bearer ${token}` } });
      expect(withToken.status, role).to.equal(200);
      expect(ids(await withToken.json()), role).to.include('secret_bts');
      expect(
        (await fetch(`${server().url}/collections/secret_bts`, { headers: { Authorization: `Bearer ${token}` } })).status,
        role,
      ).to.equal(200);
    }
  });
});
