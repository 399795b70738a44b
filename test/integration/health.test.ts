import { expect } from 'chai';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { forEachBackend, testConfig } from '../support/servers.ts';
import { startServer, type RunningServer } from '../../server/server.ts';
import { createLogger } from '../../server/log.ts';
import { serverDatabaseUrl } from '../support/environment.ts';

forEachBackend('health, readiness and metrics', (server, backend) => {
  it('answers /health with 200', async () => {
    const res = await fetch(`${server().url}/health`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ status: 'ok' });
  });

  it('answers /ready with 200 and names the backend and PostGIS version', async () => {
    const res = await fetch(`${server().url}/ready`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { backend: string; postgis: string };
    expect(body.backend).to.equal(backend);
    expect(body.postgis).to.match(/^3\.\d+/);
  });

  it('records whether ST_AsMVT is available (absent on the embedded build)', () => {
    expect(server().ctx.db.capabilities.mvt).to.equal(backend === 'server');
  });

  it('exports request counts by route and pool figures in Prometheus format', async () => {
    await fetch(`${server().url}/health`);
    const res = await fetch(`${server().url}/metrics`);
    const text = await res.text();
    expect(res.headers.get('content-type')).to.match(/text\/plain/);
    expect(text).to.match(/http_requests_total\{route="\/health",method="GET",status="200"\} \d+/);
    expect(text).to.match(/db_pool_max \d+/);
    expect(text).to.match(/^tile_statements_waiting \d+$/m);
  });

  it('answers an unknown path with 404 and an OGC exception', async () => {
    const res = await fetch(`${server().url}/no/such/thing`);
    expect(res.status).to.equal(404);
    const body = (await res.json()) as { code: string; description: string };
    expect(body.code).to.equal('NotFound');
    expect(body.description).to.contain('/no/such/thing');
  });

  it('sets a request id and open CORS for reads', async () => {
    const res = await fetch(`${server().url}/health`, { headers: { Origin: 'https://other.example' } });
    expect(res.headers.get('access-control-allow-origin')).to.equal('*');
    expect(res.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
  });
});

/** A data request while the database cannot be reached: 503 with Retry-After, saying so (not a 500). */
async function expectDatabaseUnavailable(url: string): Promise<void> {
  const res = await fetch(`${url}/collections/places/items?limit=1`);
  const body = (await res.json()) as { code: string; description: string };
  expect(res.status, JSON.stringify(body)).to.equal(503);
  expect(res.headers.get('retry-after')).to.match(/^\d+$/);
  expect(body.code).to.equal('DatabaseUnavailable');
  expect(body.description).to.contain('database is unreachable');
}

describe('readiness when the database goes away', function () {
  this.timeout(300_000); // a fresh embedded database is created and migrated first

  it('answers /ready and data requests with 503 while /health stays 200 (embedded database closed)', async () => {
    const running = await startServer(testConfig('embedded', { seedDemo: 'never' }), createLogger('silent'));
    try {
      await running.ctx.db.close();
      const ready = await fetch(`${running.url}/ready`);
      expect(ready.status).to.equal(503);
      expect(((await ready.json()) as { code: string }).code).to.equal('ServiceUnavailable');
      expect((await fetch(`${running.url}/health`)).status).to.equal(200);
      await expectDatabaseUnavailable(running.url);
    } finally {
      await new Promise<void>((resolve) => running.http.close(() => resolve()));
      await running.app.close();
    }
  });

  it('answers /ready and data requests with 503 when the PostgreSQL server becomes unreachable, and recovers', async function () {
    if (!serverDatabaseUrl) this.skip();
    // A TCP relay we can cut: the server reaches PostgreSQL only through it.
    const target = new URL(serverDatabaseUrl);
    const sockets = new Set<net.Socket>();
    let open = true;
    const relay = net.createServer((client) => {
      if (!open) return client.destroy();
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayUrl = new URL(serverDatabaseUrl);
    relayUrl.host = `127.0.0.1:${(relay.address() as AddressInfo).port}`;
    let running: RunningServer | null = null;
    try {
      running = await startServer(
        testConfig('server', { seedDemo: 'never', databaseUrl: relayUrl.toString() }),
        createLogger('silent'),
      );
      expect((await fetch(`${running.url}/ready`)).status).to.equal(200);
      open = false;
      for (const s of sockets) s.destroy();
      const ready = await fetch(`${running.url}/ready`);
      expect(ready.status).to.equal(503);
      expect((await fetch(`${running.url}/health`)).status).to.equal(200);
      await expectDatabaseUnavailable(running.url);
      open = true;
      let status = 0;
      for (let i = 0; i < 20 && status !== 200; i++) {
        status = (await fetch(`${running.url}/ready`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      expect(status, 'ready again once the database is back').to.equal(200);
    } finally {
      await running?.close();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });
});
